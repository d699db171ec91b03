# Repository-level runners (ghr:Type=Repo, ghr:Owner=<owner>/<repo>) in a fleet of your
# own: a launch template whose user data installs the job hooks and their boot check, and
# the instance role they need (the hooks' tags, and the SSM agent for the probe). The reaper
# looks up the GitHub App installation per repository.

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.50.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "Region of the runner fleet."
  type        = string
  default     = "eu-west-1"
}

variable "runner_ami_id" {
  description = "AMI of the runner instances (with the actions runner in /opt/actions-runner, curl and the aws CLI)."
  type        = string
  default     = "ami-00000000000000000"
}

locals {
  environment = "repo-ci"
}

module "runner_reaper" {
  source = "../../"

  environment = local.environment
  github_app = {
    id_parameter         = "/repo-ci/github_app_id"
    key_base64_parameter = "/repo-ci/github_app_key_base64"
  }
  # job_evidence = "auto" (default): the hooks on instances whose boot check wrote the
  # ghr:job-hooks marker, the SSM probe on the others.

  # Per repository: a warm runner for each repo on weekdays.
  idle_config = [{
    cron      = "* * * * * 1-5"
    idleCount = 1
  }]
  minimum_running_time_in_minutes = 10
}

resource "aws_iam_role" "runner" {
  name = "${local.environment}-runner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "runner_job_hooks" {
  name   = "runner-reaper-job-hooks"
  role   = aws_iam_role.runner.id
  policy = module.runner_reaper.runner_hooks.instance_policy_json
}

# The SSM agent, for the probe (and Session Manager).
resource "aws_iam_role_policy_attachment" "runner_ssm" {
  role       = aws_iam_role.runner.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "runner" {
  name = "${local.environment}-runner"
  role = aws_iam_role.runner.name
}

resource "aws_launch_template" "runner" {
  name     = "${local.environment}-runner"
  image_id = var.runner_ami_id

  iam_instance_profile {
    arn = aws_iam_instance_profile.runner.arn
  }

  # IMDSv2 only: the hooks and their boot check use a session token.
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  user_data = base64encode(join("\n", [
    "#!/bin/bash",
    "set -euo pipefail",
    # Before the runner starts; its boot check then waits for the runner's listener.
    module.runner_reaper.runner_hooks.user_data,
    "# ... then configure and start the runner for <owner>/<repo> in /opt/actions-runner here.",
  ]))

  # The tags the reaper recognises; your scale-up sets ghr:Owner per repository.
  tag_specifications {
    resource_type = "instance"
    tags = {
      "ghr:Application" = "github-action-runner"
      "ghr:environment" = local.environment
      "ghr:Type"        = "Repo"
    }
  }
}

output "launch_template_id" {
  description = "Launch template of the runner instances."
  value       = aws_launch_template.runner.id
}
