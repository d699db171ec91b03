variable "github_runner_prefix" {
  description = "The `prefix` you give the github-aws-runners module: its instances carry it as `ghr:environment` (v7.11.0 main.tf). Pass the same literal or local you pass that module, not one of its outputs (that would make a cycle through the hook inputs)."
  type        = string
  validation {
    condition     = length(trimspace(var.github_runner_prefix)) > 0
    error_message = "github_runner_prefix must be the github-aws-runners module's prefix, e.g. \"gh-ci\"."
  }
}

variable "github_runner" {
  description = "The github-aws-runners module's outputs: pass `module.github_runner` (the names are read from its `ssm_parameters` and `runners` outputs, v7.11.0 outputs.tf)."
  type = object({
    ssm_parameters = object({
      id         = object({ name = string, arn = string })
      key_base64 = object({ name = string, arn = string })
    })
    runners = object({
      # A count resource there (modules/runners/policies-runner.tf): empty with iam_overrides.override_runner_role.
      role_runner = list(object({ name = string, arn = string }))
      # Its scale-down function; its environment says what that module's scale-down ran with.
      lambda_down = object({
        function_name = string
        environment   = list(object({ variables = map(string) }))
      })
    })
  })
}

variable "runner_os" {
  description = "That module's `runner_os` (`linux`, `windows` or `osx`). The job hooks are installed on Linux only: that module's Windows user data has no hook block, and on macOS the reaper's boot check (which reads /proc) cannot verify them; there the probe or conservative waits cover the instances."
  type        = string
  default     = "linux"
  validation {
    condition     = contains(["linux", "windows", "osx"], var.runner_os)
    error_message = "runner_os must be \"linux\", \"windows\" or \"osx\", as that module's runner_os."
  }
}

variable "stage" {
  description = "Who reclaims the fleet: `github-aws-runners` (that module, as today; the reaper is deployed but never runs), `dry-run` (that module's scale-down off, the reaper decides and logs only), `runner-reaper` (the reaper reclaims), `hand-back` (rolling back: only the reaper's orphan-cleanup runs, to finish the instances it holds). Move one step per apply: github-aws-runners -> dry-run -> runner-reaper; back: runner-reaper -> hand-back -> dry-run -> github-aws-runners. Plans that skip a step fail with the reason."
  type        = string
  default     = "github-aws-runners"
}

variable "github_runner_scale_down_schedule_expression" {
  description = "The schedule that module's scale-down runs on while it reclaims the fleet (stage github-aws-runners). Its default is `cron(*/5 * * * ? *)` (v7.11.0 variables.tf)."
  type        = string
  default     = "cron(*/5 * * * ? *)"
}

variable "prefix" {
  description = "Prefix of the reaper's resource names. Null: `<github_runner_prefix>-reaper`, which never collides with that module's `<prefix>-scale-down`."
  type        = string
  default     = null
}

variable "ssm_kms_key_arn" {
  description = "The customer-managed key you give that module's `kms_key_arn` (it encrypts the GitHub App parameters with it, v7.11.0 modules/ssm/ssm.tf). Null when that module uses `alias/aws/ssm`."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer-managed key for the reaper's log groups and environment variables; its key policy must let CloudWatch Logs use it. Null: AWS-owned keys."
  type        = string
  default     = null
}

variable "ghes_url" {
  description = "The value you give that module's `ghes_url` (GitHub Enterprise Server web URL, or `https://<name>.ghe.com` for data residency). Null for github.com."
  type        = string
  default     = null
}

variable "github_ca_bundle_parameter" {
  description = "Name of an SSM parameter with the PEM bundle of a private CA that signs your GitHub Enterprise Server's certificate. Instead of that module's `ghes_ssl_verify = false`, which turns verification off."
  type        = string
  default     = null
}

variable "idle_config" {
  description = "Copy that module's `idle_config` here as it is. With `idle_pool_scope = \"environment\"` (set below) the reaper keeps `idleCount` per environment, as that module does; unlike it, busy runners do not count (docs/beside-github-aws-runners.md)."
  type = list(object({
    cron             = string
    timeZone         = string
    idleCount        = number
    evictionStrategy = optional(string, "oldest_first")
  }))
  default = []
}

variable "minimum_running_time_in_minutes" {
  description = "That module's `minimum_running_time_in_minutes`. Null (both modules' default): 5 minutes on Linux, 15 on Windows, 20 on macOS."
  type        = number
  default     = null
}

variable "runner_boot_time_in_minutes" {
  description = "That module's `runner_boot_time_in_minutes` (default 5 there and here)."
  type        = number
  default     = 5
}

variable "existing_runner_hooks" {
  description = "The scripts you give that module's `runner_hook_job_started` / `runner_hook_job_completed` today, if any. The reaper's hook scripts run them (and keep their exit status), since those inputs can hold only one script each."
  type = object({
    job_started   = optional(string)
    job_completed = optional(string)
  })
  default = {}
}

variable "enable_probe" {
  description = "Ask the instances themselves over SSM Run Command whether a job runs, where the job hooks are absent (prebuilt AMIs, Windows, hooks overridden). Needs the SSM agent online on the instances: the `github_runner_inputs.enable_ssm_on_runners` output says to turn it on in that module."
  type        = bool
  default     = true
}

variable "instance_policy_attachment" {
  description = "How the runner instances get the hooks' policy: `role-policy` (an inline policy on each runner role, by the role names of that module's `runners.role_runner` output) or `managed-policy` (a managed policy, whose ARN the `github_runner_inputs` output adds to that module's `runner_iam_role_managed_policy_arns`)."
  type        = string
  default     = "role-policy"
  validation {
    condition     = contains(["role-policy", "managed-policy"], var.instance_policy_attachment)
    error_message = "instance_policy_attachment must be \"role-policy\" or \"managed-policy\"."
  }
}

variable "extra_runner_role_names" {
  description = "Roles of your own the runner instances use (that module's `iam_overrides.override_runner_role`): they get the hooks' policy too."
  type        = list(string)
  default     = []
}

variable "scale_down_schedule_expression" {
  description = "The reaper's scale-down schedule while it reclaims (that module's default cadence)."
  type        = string
  default     = "cron(*/5 * * * ? *)"
}

variable "orphan_cleanup_schedule_expression" {
  description = "The reaper's orphan-cleanup schedule while it runs."
  type        = string
  default     = "rate(10 minutes)"
}

variable "tags" {
  description = "Tags for the resources this example creates."
  type        = map(string)
  default     = {}
}
