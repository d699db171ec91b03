# One organisation's runner fleet (instances tagged ghr:environment=gh-ci), without job
# hooks: the reaper asks the instances that run the SSM agent (the probe), and is
# conservative on the others. A dashboard and alarms watch it.

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

module "runner_reaper" {
  source = "../../"

  environment = "gh-ci"
  github_app = {
    id_parameter         = "/github-action-runners/gh-ci/app/github_app_id"
    key_base64_parameter = "/github-action-runners/gh-ci/app/github_app_key_base64"
  }

  # Keep one idle runner per organisation during office hours.
  idle_config = [{
    cron      = "* * 8-18 * * 1-5"
    timeZone  = "Europe/Amsterdam"
    idleCount = 1
  }]

  create_dashboard    = true
  create_alarms       = true
  alarm_sns_topic_arn = aws_sns_topic.alerts.arn

  tags = {
    Project = "ci"
  }
}

resource "aws_sns_topic" "alerts" {
  name = "gh-ci-reaper-alerts"
}

output "scale_down_function" {
  description = "Name of the scale-down function."
  value       = module.runner_reaper.scale_down.function_name
}

output "orphan_cleanup_function" {
  description = "Name of the orphan-cleanup function."
  value       = module.runner_reaper.orphan_cleanup.function_name
}

output "dashboard" {
  description = "Name of the CloudWatch dashboard."
  value       = module.runner_reaper.dashboard_name
}
