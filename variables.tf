variable "environment" {
  description = "The `ghr:environment` tag value of the runner fleet this reaper owns. It acts only on instances with this tag (and `ghr:Application=github-action-runner`)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=._:/@ -]{1,128}$", var.environment)) && trimspace(var.environment) == var.environment
    error_message = "environment must be a valid EC2 tag value of 1 to 128 characters (letters, digits, spaces and + - = . _ : / @), without leading or trailing spaces, e.g. \"gh-ci\"."
  }
}

variable "prefix" {
  description = "Prefix of every resource name (functions, roles, log groups, rules). Defaults to `<environment>-reaper`, so it never collides with the github-aws-runners module's own `<prefix>-scale-down`."
  type        = string
  default     = null

  validation {
    condition     = var.prefix == null || can(regex("^[a-zA-Z0-9_-]{1,40}$", var.prefix))
    error_message = "prefix must be 1 to 40 letters, digits, hyphens or underscores (function and role names are limited to 64 characters)."
  }
}

variable "github_app" {
  description = "Names of the SSM parameters that hold the GitHub App credentials: the same parameters the github-aws-runners module creates. `installation_id_parameter` is optional; without it the installation is looked up per owner."
  type = object({
    id_parameter              = string
    key_base64_parameter      = string
    installation_id_parameter = optional(string)
  })

  validation {
    condition = alltrue([
      for name in compact([var.github_app.id_parameter, var.github_app.key_base64_parameter, var.github_app.installation_id_parameter]) :
      length(name) <= 2048 && can(regex("^[a-zA-Z0-9_./-]+$", name))
    ])
    error_message = "github_app parameter names must be SSM parameter names such as \"/github-action-runners/gh-ci/app/github_app_id\" (letters, digits and _ . - /)."
  }
}

variable "github_api_url" {
  description = "Base URL of the GitHub REST API: `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server."
  type        = string
  default     = "https://api.github.com"

  validation {
    condition     = can(regex("^https?://[^\\s/]+", var.github_api_url))
    error_message = "github_api_url must be an http(s) URL such as \"https://api.github.com\" or \"https://github.example.com/api/v3\"."
  }
}

variable "scale_down_schedule_expression" {
  description = "EventBridge schedule of the scale-down function."
  type        = string
  default     = "cron(*/5 * * * ? *)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(\\S+( \\S+){5}\\))$", var.scale_down_schedule_expression))
    error_message = "scale_down_schedule_expression must be an EventBridge schedule such as \"rate(5 minutes)\" or \"cron(*/5 * * * ? *)\" (six cron fields)."
  }
}

variable "orphan_cleanup_schedule_expression" {
  description = "EventBridge schedule of the orphan-cleanup function."
  type        = string
  default     = "rate(10 minutes)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(\\S+( \\S+){5}\\))$", var.orphan_cleanup_schedule_expression))
    error_message = "orphan_cleanup_schedule_expression must be an EventBridge schedule such as \"rate(10 minutes)\" or \"cron(*/10 * * * ? *)\" (six cron fields)."
  }
}

variable "minimum_running_time_in_minutes" {
  description = "Scale-down keeps an instance at least this long after launch."
  type        = number
  default     = 5

  validation {
    condition     = var.minimum_running_time_in_minutes >= 0 && floor(var.minimum_running_time_in_minutes) == var.minimum_running_time_in_minutes
    error_message = "minimum_running_time_in_minutes must be a whole number of 0 or more."
  }
}

variable "runner_boot_time_in_minutes" {
  description = "Orphan-cleanup leaves an unregistered instance alone this long after launch (time to boot and register)."
  type        = number
  default     = 5

  validation {
    condition     = var.runner_boot_time_in_minutes >= 0 && floor(var.runner_boot_time_in_minutes) == var.runner_boot_time_in_minutes
    error_message = "runner_boot_time_in_minutes must be a whole number of 0 or more."
  }
}

variable "idle_confirmation_seconds" {
  description = "How long a runner must be seen idle (or an instance seen unregistered) before it is reclaimed. With `job_evidence = \"off\"` scale-down waits twice this."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_confirmation_seconds >= 0 && floor(var.idle_confirmation_seconds) == var.idle_confirmation_seconds
    error_message = "idle_confirmation_seconds must be a whole number of 0 or more."
  }
}

variable "idle_config" {
  description = "Idle-pool windows, in the github-aws-runners shape: while `cron` (5 or 6 fields, seconds first) matches in `timeZone`, keep `idleCount` idle runners per owner. `evictionStrategy` is `oldest_first` (keep the newest) or `newest_first`."
  type = list(object({
    cron             = string
    timeZone         = optional(string, "UTC")
    idleCount        = number
    evictionStrategy = optional(string, "oldest_first")
  }))
  default = []

  validation {
    condition = alltrue([
      for w in var.idle_config :
      length(split(" ", trimspace(w.cron))) >= 5 && length(split(" ", trimspace(w.cron))) <= 6 &&
      w.idleCount >= 0 && w.idleCount <= 1000 && floor(w.idleCount) == w.idleCount &&
      contains(["oldest_first", "newest_first"], w.evictionStrategy)
    ])
    error_message = "Each idle_config window needs a cron of 5 or 6 fields, a whole idleCount from 0 to 1000, and evictionStrategy \"oldest_first\" or \"newest_first\"."
  }
}

variable "max_job_duration_minutes" {
  description = "Longest a job may run. Orphan-cleanup terminates an instance whose job tag is older than this, and without job hooks waits this long before terminating a drained or unregistered instance."
  type        = number
  default     = 360

  validation {
    condition     = var.max_job_duration_minutes >= 1 && var.max_job_duration_minutes <= 50400 && floor(var.max_job_duration_minutes) == var.max_job_duration_minutes
    error_message = "max_job_duration_minutes must be a whole number from 1 to 50400 (35 days)."
  }
}

variable "job_evidence" {
  description = "`hooks` when the runner instances run this module's job hooks (see the `runner_hooks` output), so a job is visible on the instance itself; `off` otherwise (conservative: longer waits)."
  type        = string
  default     = "off"

  validation {
    condition     = contains(["hooks", "off"], var.job_evidence)
    error_message = "job_evidence must be \"hooks\" or \"off\"."
  }
}

variable "settle_seconds" {
  description = "Pause between deregistering runners and the final re-check, once per run. Must leave room inside both functions' timeouts."
  type        = number
  default     = 15

  validation {
    condition     = var.settle_seconds >= 0 && var.settle_seconds <= 600 && floor(var.settle_seconds) == var.settle_seconds
    error_message = "settle_seconds must be a whole number from 0 to 600."
  }
}

variable "github_concurrency" {
  description = "Most GitHub API requests in flight at once."
  type        = number
  default     = 10

  validation {
    condition     = var.github_concurrency >= 1 && var.github_concurrency <= 100 && floor(var.github_concurrency) == var.github_concurrency
    error_message = "github_concurrency must be a whole number from 1 to 100 (GitHub allows at most 100 concurrent requests)."
  }
}

variable "dry_run" {
  description = "Decide and log only: no tag, deregistration or termination."
  type        = bool
  default     = false
}

variable "lambda_zip" {
  description = "Local paths of the deployment zips. Null fields default to the zips `npm run build` writes into `lambda/dist/` of this module. Ignored when `lambda_s3` is set."
  type = object({
    scale_down     = optional(string)
    orphan_cleanup = optional(string)
  })
  default = {}
}

variable "lambda_s3" {
  description = "Deployment zips in S3 instead of local files."
  type = object({
    bucket                        = string
    scale_down_key                = string
    orphan_cleanup_key            = string
    scale_down_object_version     = optional(string)
    orphan_cleanup_object_version = optional(string)
  })
  default = null
}

variable "lambda_runtime" {
  description = "Node.js runtime of both functions."
  type        = string
  default     = "nodejs22.x"

  validation {
    condition     = contains(["nodejs20.x", "nodejs22.x"], var.lambda_runtime)
    error_message = "lambda_runtime must be \"nodejs20.x\" or \"nodejs22.x\"."
  }
}

variable "scale_down_memory_size" {
  description = "Memory of the scale-down function in MB."
  type        = number
  default     = 512

  validation {
    condition     = var.scale_down_memory_size >= 128 && var.scale_down_memory_size <= 10240
    error_message = "scale_down_memory_size must be from 128 to 10240 MB."
  }
}

variable "scale_down_timeout" {
  description = "Timeout of the scale-down function in seconds: at least `settle_seconds` + 60, so the GitHub and EC2 calls around the pause fit."
  type        = number
  default     = 180

  validation {
    condition     = var.scale_down_timeout <= 900 && var.scale_down_timeout >= var.settle_seconds + 60
    error_message = "scale_down_timeout must be at most 900 seconds and at least settle_seconds + 60 (the settle pause plus time for the GitHub and EC2 calls around it)."
  }
}

variable "orphan_cleanup_memory_size" {
  description = "Memory of the orphan-cleanup function in MB."
  type        = number
  default     = 512

  validation {
    condition     = var.orphan_cleanup_memory_size >= 128 && var.orphan_cleanup_memory_size <= 10240
    error_message = "orphan_cleanup_memory_size must be from 128 to 10240 MB."
  }
}

variable "orphan_cleanup_timeout" {
  description = "Timeout of the orphan-cleanup function in seconds: at least `settle_seconds` + 60."
  type        = number
  default     = 180

  validation {
    condition     = var.orphan_cleanup_timeout <= 900 && var.orphan_cleanup_timeout >= var.settle_seconds + 60
    error_message = "orphan_cleanup_timeout must be at most 900 seconds and at least settle_seconds + 60 (the settle pause plus time for the GitHub and EC2 calls around it)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of each function. 1 (default) stops two runs of the same function from overlapping; -1 reserves none (for accounts with a low concurrency limit)."
  type        = number
  default     = 1

  validation {
    condition     = var.reserved_concurrent_executions == -1 || var.reserved_concurrent_executions == 1
    error_message = "reserved_concurrent_executions must be 1 (no overlapping runs) or -1 (no reservation)."
  }
}

variable "log_level" {
  description = "Log level of both functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be one of DEBUG, INFO, WARN, ERROR."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the functions' metrics (written as embedded metric format logs)."
  type        = string
  default     = "RunnerReaper"
}

variable "log_retention_in_days" {
  description = "Retention of the functions' log groups."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN that encrypts the log groups and the functions' environment variables. Its key policy must allow CloudWatch Logs to use it. Null uses AWS-owned keys."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "ssm_kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the GitHub App parameters, if any. The functions may decrypt with it only through SSM. Null when the parameters use the AWS-managed `aws/ssm` key."
  type        = string
  default     = null

  validation {
    condition     = var.ssm_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.ssm_kms_key_arn))
    error_message = "ssm_kms_key_arn must be a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "vpc_config" {
  description = "Run both functions in these subnets with these security groups (they need a route to GitHub and to the EC2 and SSM APIs). Null runs them outside a VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.vpc_config == null || (length(try(var.vpc_config.subnet_ids, [])) > 0 && length(try(var.vpc_config.security_group_ids, [])) > 0)
    error_message = "vpc_config needs at least one subnet id and one security group id."
  }
}

variable "role_path" {
  description = "Path of the functions' IAM roles."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([a-zA-Z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must start and end with \"/\", e.g. \"/runner-reaper/\"."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of a permissions boundary for the functions' IAM roles."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource this module creates."
  type        = map(string)
  default     = {}
}
