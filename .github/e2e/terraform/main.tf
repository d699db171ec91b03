# The end-to-end workflow's Terraform: the root module, applied to LocalStack, plus the
# SSM parameters that hold the GitHub App (created by the github-aws-runners module in a
# real fleet). .github/scripts/e2e-terraform.sh sets the variables from the workflow.

terraform {
  required_version = ">= 1.9.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}

variable "environment" {
  description = "ghr:environment of the run's instances, unique per workflow run."
  type        = string
}

variable "github_app_id" {
  type      = string
  sensitive = true
}

variable "github_app_key_base64" {
  description = "The App's PEM private key, base64-encoded (as github-aws-runners stores it)."
  type        = string
  sensitive   = true
}

variable "github_app_installation_id" {
  description = "Optional; empty means the functions look the installation up per owner."
  type        = string
  default     = ""
}

variable "aws_endpoint_url" {
  description = "LocalStack's edge endpoint."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "runner_dir" {
  description = "Where the workflow unpacked actions/runner; the hooks' user-data snippet writes its .env, which each runner copy inherits."
  type        = string
  default     = "/opt/actions-runner"
}

variable "hooks_install_dir" {
  description = "Where the hooks' user-data snippet installs the hook scripts on the workflow's machine."
  type        = string
  default     = "/opt/runner-reaper"
}

provider "aws" {
  region                      = var.aws_region
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    cloudwatch = var.aws_endpoint_url
    ec2        = var.aws_endpoint_url
    events     = var.aws_endpoint_url
    iam        = var.aws_endpoint_url
    kms        = var.aws_endpoint_url
    lambda     = var.aws_endpoint_url
    logs       = var.aws_endpoint_url
    ssm        = var.aws_endpoint_url
    sts        = var.aws_endpoint_url
  }
}

locals {
  parameter_path = "/${var.environment}/app"
}

resource "aws_ssm_parameter" "app_id" {
  name  = "${local.parameter_path}/github_app_id"
  type  = "SecureString"
  value = var.github_app_id
}

resource "aws_ssm_parameter" "app_key_base64" {
  name  = "${local.parameter_path}/github_app_key_base64"
  type  = "SecureString"
  value = var.github_app_key_base64
}

resource "aws_ssm_parameter" "app_installation_id" {
  count = var.github_app_installation_id == "" ? 0 : 1

  name  = "${local.parameter_path}/github_app_installation_id"
  type  = "SecureString"
  value = var.github_app_installation_id
}

module "reaper" {
  source = "../../.."

  environment = var.environment
  github_app = {
    id_parameter              = aws_ssm_parameter.app_id.name
    key_base64_parameter      = aws_ssm_parameter.app_key_base64.name
    installation_id_parameter = one(aws_ssm_parameter.app_installation_id[*].name)
  }

  # The scenario invokes the functions itself, at the moments its steps need: the
  # schedules must never fire while it runs. Not `rate(1 day)`: LocalStack 4.14.0 turns
  # that into the cron `0 0 */1 * *` (services/events/scheduler.py), which fires at 00:00
  # UTC, in the middle of a run that spans midnight. A cron whose only date lies in the
  # past (1 January 1970) never fires: its scheduler's crontab 1.0.5 finds no next time.
  scale_down_schedule_expression     = "cron(0 0 1 1 ? 1970)"
  orphan_cleanup_schedule_expression = "cron(0 0 1 1 ? 1970)"

  # LocalStack instances are launched by the scenario seconds before the first run.
  minimum_running_time_in_minutes = 0
  runner_boot_time_in_minutes     = 0
  idle_confirmation_seconds       = 20
  max_job_duration_minutes        = 30 # the least the module and the functions accept
  log_retention_in_days           = 1

  # job_evidence stays "auto", the default: each instance's evidence is its boot check's
  # ghr:job-hooks marker (the scenario runs the check per instance and asserts the reaper
  # decided on hooks evidence). No probe: LocalStack's instances run no SSM agent, so none
  # could be asked; the probe is proven against the SSM twin in the local world.
  enable_probe = false
}

# The job hooks exactly as a runner instance gets them: the module's user-data snippet
# (modules/runner-hooks, the same template as the root module's runner_hooks.user_data),
# with paths on the workflow's machine. The workflow runs it before the scenario, which
# then starts its runners with the hooks from the runner's .env only, and runs the
# snippet's boot check for each instance (integration/scenario/runners-real.ts).
module "runner_hooks" {
  source = "../../../modules/runner-hooks"

  environment     = var.environment
  install_dir     = var.hooks_install_dir
  runner_env_file = "${var.runner_dir}/.env"
  # /var/log is not writable on the workflow's machine. (This is the log of the check the
  # snippet starts for the unpacked runner; each instance's check logs to the report.)
  check_log_file = "${var.hooks_install_dir}/check-hooks.log"
  # Each instance's runner starts seconds after its check: a check that waits longer has
  # found no runner, and says so by then.
  check_timeout_seconds = 300
}

output "runner_hooks_user_data" {
  value = module.runner_hooks.user_data
}

output "environment" {
  value = var.environment
}

output "scale_down" {
  value = module.reaper.scale_down
}

output "orphan_cleanup" {
  value = module.reaper.orphan_cleanup
}

output "github_app_parameters" {
  value = {
    id_parameter              = aws_ssm_parameter.app_id.name
    key_base64_parameter      = aws_ssm_parameter.app_key_base64.name
    installation_id_parameter = one(aws_ssm_parameter.app_installation_id[*].name)
  }
}
