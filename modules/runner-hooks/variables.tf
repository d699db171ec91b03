variable "environment" {
  description = "The `ghr:environment` tag value of the runner fleet; the instance policy lets an instance tag itself only when it carries this tag."
  type        = string

  validation {
    condition     = length(var.environment) > 0
    error_message = "environment must not be empty."
  }
}

variable "install_dir" {
  description = "Directory on the runner instance the user-data snippet installs the hook scripts into."
  type        = string
  default     = "/opt/runner-reaper"

  validation {
    condition     = can(regex("^/[a-zA-Z0-9._/-]*$", var.install_dir))
    error_message = "install_dir must be an absolute path of letters, digits and . _ - /."
  }
}

variable "runner_env_file" {
  description = "The actions runner's `.env` file, where the snippet sets ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED (github-aws-runners installs the runner in /opt/actions-runner)."
  type        = string
  default     = "/opt/actions-runner/.env"

  validation {
    condition     = can(regex("^/[a-zA-Z0-9._/-]*$", var.runner_env_file))
    error_message = "runner_env_file must be an absolute path of letters, digits and . _ - /."
  }
}

variable "partition" {
  description = "AWS partition of the runner instances (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}
