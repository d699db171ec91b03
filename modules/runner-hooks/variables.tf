variable "environment" {
  description = "The `ghr:environment` tag value of the runner fleet; the instance policy lets an instance tag itself only when it carries this tag. Set this or `environments`, not both."
  type        = string
  default     = null

  validation {
    condition     = var.environment == null || try(length(var.environment) > 0, false)
    error_message = "environment must not be empty."
  }
}

variable "environments" {
  description = "Several `ghr:environment` tag values (for example one per github-aws-runners multi-runner type): an instance may tag itself when it carries any of them. Set this or `environment`, not both."
  type        = list(string)
  default     = null

  validation {
    condition     = var.environments == null || try(length(var.environments) > 0 && alltrue([for e in var.environments : length(e) > 0]) && length(distinct(var.environments)) == length(var.environments), false)
    error_message = "environments must be a non-empty list of distinct, non-empty tag values."
  }
  validation {
    condition     = (var.environments == null) != (var.environment == null)
    error_message = "Set exactly one of environment (one fleet) and environments (several)."
  }
}

variable "install_dir" {
  description = "Directory on the runner instance the user-data snippet installs the hook scripts and the boot check into."
  type        = string
  default     = "/opt/runner-reaper"

  validation {
    condition     = can(regex("^/[a-zA-Z0-9._/-]*$", var.install_dir))
    error_message = "install_dir must be an absolute path of letters, digits and . _ - /."
  }
}

variable "runner_env_file" {
  description = "The actions runner's `.env` file, in the runner's own directory, where the snippet sets ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED (github-aws-runners installs the runner in /opt/actions-runner). The boot check waits for `<its directory>/bin/Runner.Listener run`."
  type        = string
  default     = "/opt/actions-runner/.env"

  validation {
    condition     = can(regex("^/[a-zA-Z0-9._/-]*/\\.env$", var.runner_env_file))
    error_message = "runner_env_file must be an absolute path of letters, digits and . _ - / ending in /.env (the runner reads the .env of its own directory)."
  }
}

variable "existing_hooks" {
  description = "The team's own job hook scripts (content, as given to github-aws-runners' runner_hook_job_started / runner_hook_job_completed), run by the `github_aws_runners` chains beside the reaper's hooks, their exit status kept."
  type = object({
    job_started   = optional(string)
    job_completed = optional(string)
  })
  default = {}
}

variable "check_timeout_seconds" {
  description = "How long the boot check waits for the runner's listener to start (its .env final) before it gives up without writing the ghr:job-hooks marker."
  type        = number
  default     = 1800

  validation {
    condition     = var.check_timeout_seconds >= 1 && var.check_timeout_seconds <= 86400 && floor(var.check_timeout_seconds) == var.check_timeout_seconds
    error_message = "check_timeout_seconds must be a whole number from 1 to 86400."
  }
}

variable "check_log_file" {
  description = "Where the boot check writes its log on the instance."
  type        = string
  default     = "/var/log/runner-reaper-hook-check.log"

  validation {
    condition     = can(regex("^/[a-zA-Z0-9._/-]*$", var.check_log_file))
    error_message = "check_log_file must be an absolute path of letters, digits and . _ - /."
  }
}

variable "partition" {
  description = "AWS partition of the runner instances (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}
