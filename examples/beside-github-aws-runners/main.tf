# runner-reaper next to a fleet made by the github-aws-runners module
# (github-aws-runners/terraform-aws-github-runner): same SSM parameters, same tags, and
# that module's job hooks slot. See README.md for the lines to change in your runners
# module call, including switching its own scale-down off.

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

variable "runners_prefix" {
  description = "The `prefix` given to the github-aws-runners module: its instances carry it as `ghr:environment`, and it names the SSM parameters."
  type        = string
  default     = "gh-ci"
}

variable "runners_ssm_root" {
  description = "`ssm_paths.root` of the github-aws-runners module (its default is `github-action-runners`)."
  type        = string
  default     = "github-action-runners"
}

variable "runner_instance_role_name" {
  description = "Name of the IAM role of the runner instances (the github-aws-runners module's `runners.role_runner` output). The job hooks need the policy attached below."
  type        = string
  default     = "gh-ci-runner-role"
}

locals {
  app_parameters = "/${var.runners_ssm_root}/${var.runners_prefix}/app"
}

module "runner_reaper" {
  source = "../../"

  environment = var.runners_prefix
  github_app = {
    id_parameter         = "${local.app_parameters}/github_app_id"
    key_base64_parameter = "${local.app_parameters}/github_app_key_base64"
  }

  # The runners run this module's job hooks (README.md): the reaper can see jobs on the
  # instance itself, and may act as soon as a drained runner is provably idle.
  job_evidence = "hooks"

  # Same cadence as the module it replaces.
  scale_down_schedule_expression = "cron(*/5 * * * ? *)"
}

# Lets each runner instance tag itself with the ghr:job* keys, and nothing else.
resource "aws_iam_role_policy" "runner_job_hooks" {
  name   = "runner-reaper-job-hooks"
  role   = var.runner_instance_role_name
  policy = module.runner_reaper.runner_hooks.instance_policy_json
}

output "runner_user_data" {
  description = "Pass to the runners module as `userdata_post_install`: installs the job hooks."
  value       = module.runner_reaper.runner_hooks.user_data
}

output "job_started_script" {
  description = "The job-started hook, for modules that take the script itself."
  value       = module.runner_reaper.runner_hooks.job_started_script
}

output "job_completed_script" {
  description = "The job-completed hook, for modules that take the script itself."
  value       = module.runner_reaper.runner_hooks.job_completed_script
}
