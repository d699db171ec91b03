variable "github_runner_prefix" {
  description = "The `prefix` you give the multi-runner module. Its runner types' instances carry `ghr:environment = <prefix>-<key>` (v7.11.0 modules/multi-runner/runners.tf). Pass the same literal or local you pass that module, not one of its outputs (that would make a cycle through the hook inputs)."
  type        = string
  validation {
    condition     = length(trimspace(var.github_runner_prefix)) > 0
    error_message = "github_runner_prefix must be the multi-runner module's prefix, e.g. \"fleet\"."
  }
}

variable "runner_types" {
  description = "The keys of the `multi_runner_config` you give that module, each with its `runner_os` (`linux`, `windows`, `osx`): one environment `<prefix>-<key>` each. Build it from your own map, e.g. `{ for key, type in local.multi_runner_config : key => type.runner_config.runner_os }`, not from that module's outputs. The job hooks are installed on Linux types only (see the README)."
  type        = map(string)
  validation {
    condition     = length(var.runner_types) > 0 && alltrue([for os in values(var.runner_types) : contains(["linux", "windows", "osx"], os)])
    error_message = "runner_types must map each multi_runner_config key to its runner_os: \"linux\", \"windows\" or \"osx\" (at least one type)."
  }
}

variable "github_runner" {
  description = "The multi-runner module's outputs: pass `module.multi_runner` (names are read from its `ssm_parameters` and `runners_map` outputs, v7.11.0 modules/multi-runner/outputs.tf)."
  type = object({
    ssm_parameters = object({
      id         = object({ name = string, arn = string })
      key_base64 = object({ name = string, arn = string })
    })
    runners_map = map(object({
      # One role per runner type, a list (count resource, modules/runners/policies-runner.tf).
      role_runner = list(object({ name = string, arn = string }))
      lambda_down = object({
        function_name = string
        environment   = list(object({ variables = map(string) }))
      })
    }))
  })
}

variable "stage" {
  description = "Who reclaims the fleet: `github-aws-runners` (that module, as today; the reaper is deployed but never runs), `dry-run` (that module's scale-down off, the reaper decides and logs only), `runner-reaper` (the reaper reclaims), `hand-back` (rolling back: only the reaper's orphan-cleanup runs, to finish the instances it holds). Move one step per apply: github-aws-runners -> dry-run -> runner-reaper; back: runner-reaper -> hand-back -> dry-run -> github-aws-runners. Plans that skip a step fail with the reason."
  type        = string
  default     = "github-aws-runners"
}

variable "github_runner_scale_down_schedule_expressions" {
  description = "Per runner type, the schedule its scale-down runs on while that module reclaims the fleet (stage github-aws-runners). Types not listed: its default `cron(*/5 * * * ? *)` (v7.11.0 modules/multi-runner/variables.tf)."
  type        = map(string)
  default     = {}
}

variable "prefix" {
  description = "Prefix of the reaper's resource names. Null: `<github_runner_prefix>-reaper`, which never collides with that module's `<prefix>-<key>-scale-down`."
  type        = string
  default     = null
}

variable "ssm_kms_key_arn" {
  description = "The customer-managed key you give the multi-runner module's `kms_key_arn` (it encrypts the shared GitHub App parameters with it, v7.11.0 modules/multi-runner/ssm.tf). Null when that module uses `alias/aws/ssm`."
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
  description = "The `idle_config` of your runner types, copied as it is. One deployment applies one idle_config to every runner type; with `idle_pool_scope = \"environment\"` (set below) each type keeps `idleCount`, as each type's own scale-down does there; unlike it, busy runners do not count. Types with different idle configs need a deployment each (docs/beside-github-aws-runners.md)."
  type = list(object({
    cron             = string
    timeZone         = string
    idleCount        = number
    evictionStrategy = optional(string, "oldest_first")
  }))
  default = []
}

variable "minimum_running_time_in_minutes" {
  description = "Your runner types' `minimum_running_time_in_minutes`, if they set one (one value for all types). Null (both modules' default): 5 minutes on Linux, 15 on Windows, 20 on macOS."
  type        = number
  default     = null
}

variable "runner_boot_time_in_minutes" {
  description = "That module's `runner_boot_time_in_minutes` (default 5 there and here)."
  type        = number
  default     = 5
}

variable "existing_runner_hooks" {
  description = "The scripts your runner types give `runner_hook_job_started` / `runner_hook_job_completed` today, if any (one pair for all types). The reaper's hook scripts run them (and keep their exit status), since those inputs can hold only one script each."
  type = object({
    job_started   = optional(string)
    job_completed = optional(string)
  })
  default = {}
}

variable "enable_probe" {
  description = "Ask the instances themselves over SSM Run Command whether a job runs, where the job hooks are absent (prebuilt AMIs, Windows, hooks overridden). Needs the SSM agent online on the instances: the `runner_config` output turns `enable_ssm_on_runners` on for each type."
  type        = bool
  default     = true
}

variable "instance_policy_attachment" {
  description = "How the runner instances get the hooks' policy: `role-policy` (an inline policy on each runner role, by the role names of that module's `runners.role_runner` output) or `managed-policy` (a managed policy, whose ARN the `runner_config` output adds to each type's `runner_iam_role_managed_policy_arns`)."
  type        = string
  default     = "role-policy"
  validation {
    condition     = contains(["role-policy", "managed-policy"], var.instance_policy_attachment)
    error_message = "instance_policy_attachment must be \"role-policy\" or \"managed-policy\"."
  }
}

variable "extra_runner_role_names" {
  description = "Roles of your own that runner types use (`iam_overrides.override_runner_role`): they get the hooks' policy too."
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
