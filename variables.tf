variable "environment" {
  description = "The `ghr:environment` tag value of the runner fleet this reaper owns. It acts only on instances with this tag (and `ghr:Application=github-action-runner`). Set this or `environments`, not both."
  type        = string
  default     = null

  validation {
    condition     = var.environment == null || try(can(regex("^[a-zA-Z0-9+=._:/@ -]{1,128}$", var.environment)) && trimspace(var.environment) == var.environment, false)
    error_message = "environment must be a valid EC2 tag value of 1 to 128 characters (letters, digits, spaces and + - = . _ : / @), without leading or trailing spaces, e.g. \"gh-ci\"."
  }
}

variable "environments" {
  description = "Several `ghr:environment` tag values owned by one deployment, e.g. the `<prefix>-<key>` of each github-aws-runners multi-runner type: one GitHub listing per owner per run serves them all, and IAM is scoped to exactly these. Set this or `environment`, not both; with several, set `prefix` too. At most 50 (each is repeated in the IAM policies, whose size AWS limits)."
  type        = list(string)
  default     = null

  validation {
    condition = var.environments == null || try(length(var.environments) >= 1 && length(var.environments) <= 50 && length(distinct(var.environments)) == length(var.environments) && alltrue([
      for e in var.environments : can(regex("^[a-zA-Z0-9+=._:/@ -]{1,128}$", e)) && trimspace(e) == e
    ]), false)
    error_message = "environments must be a list of 1 to 50 distinct EC2 tag values (1 to 128 letters, digits, spaces and + - = . _ : / @, no leading or trailing spaces), e.g. [\"gh-ci-linux\", \"gh-ci-arm\"]."
  }
  validation {
    condition     = (var.environment == null) != (var.environments == null)
    error_message = "Set exactly one of environment (one fleet, e.g. \"gh-ci\") and environments (several, e.g. [\"gh-ci-linux\", \"gh-ci-arm\"])."
  }
}

variable "prefix" {
  description = "Prefix of every resource name (functions, roles, log groups, rules, the probe document, the dashboard and alarms). Defaults to `<environment>-reaper` (with `environments`, the first one's), so it never collides with the github-aws-runners module's own `<prefix>-scale-down`. Changing it replaces every resource."
  type        = string
  default     = null

  validation {
    condition     = var.prefix == null || can(regex("^[a-zA-Z0-9_-]{1,40}$", var.prefix))
    error_message = "prefix must be 1 to 40 letters, digits, hyphens or underscores (function and role names are limited to 64 characters)."
  }
  validation {
    # The probe document is named <prefix>-probe, and AWS reserves these document name prefixes.
    condition     = !var.enable_probe || !can(regex("^(?i)(aws|amazon|amzn)", coalesce(var.prefix, try(var.environments[0], null), var.environment, "x")))
    error_message = "The probe document is named <prefix>-probe, and SSM document names must not start with aws, amazon or amzn: set prefix (it defaults to <environment>-reaper) to something else, or enable_probe = false."
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
  description = "Base URL of the GitHub REST API: `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server. Leave it at its default when you set `ghes_url`."
  type        = string
  default     = "https://api.github.com"

  validation {
    condition     = can(regex("^https?://[^\\s/]+", var.github_api_url))
    error_message = "github_api_url must be an http(s) URL such as \"https://api.github.com\" or \"https://github.example.com/api/v3\"."
  }
}

variable "ghes_url" {
  description = "GitHub Enterprise web base URL, with the github-aws-runners module's meaning of its `ghes_url`: the API is `<ghes_url>/api/v3`, or `https://api.<host>` for GHE.com data residency (`*.ghe.com`). Null for github.com. Set it instead of `github_api_url`."
  type        = string
  default     = null

  validation {
    condition     = var.ghes_url == null || can(regex("^https?://[^\\s/?#]+/?$", var.ghes_url))
    error_message = "ghes_url must be the web base URL of GitHub Enterprise, without a path, such as \"https://github.example.com\" or \"https://octocorp.ghe.com\"."
  }
  validation {
    condition     = var.ghes_url == null || !can(regex("^https?://(www\\.|api\\.)?github\\.com/?$", var.ghes_url))
    error_message = "ghes_url is for GitHub Enterprise Server or a *.ghe.com tenant: leave it null for github.com."
  }
  validation {
    condition     = var.ghes_url == null || var.github_api_url == "https://api.github.com"
    error_message = "Set either ghes_url (the GitHub Enterprise web URL; the API URL is derived from it) or github_api_url, not both."
  }
}

variable "github_ca_bundle_parameter" {
  description = "Name of an SSM parameter holding a PEM bundle of CA certificates to trust for GitHub (a GitHub Enterprise Server behind a private CA). The functions may read this parameter; with a customer-managed key, set `ssm_kms_key_arn` too. Null trusts the public CAs only."
  type        = string
  default     = null

  validation {
    condition     = var.github_ca_bundle_parameter == null || try(length(var.github_ca_bundle_parameter) <= 2048 && can(regex("^[a-zA-Z0-9_./-]+$", var.github_ca_bundle_parameter)), false)
    error_message = "github_ca_bundle_parameter must be an SSM parameter name such as \"/github-action-runners/gh-ci/ca-bundle\" (letters, digits and _ . - /)."
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
  description = "Scale-down keeps an instance at least this long after launch, whatever its OS. Null (default) keeps the github-aws-runners defaults per runner OS: 5 minutes for Linux, 15 for Windows, 20 for macOS."
  type        = number
  default     = null

  validation {
    condition     = var.minimum_running_time_in_minutes == null || try(var.minimum_running_time_in_minutes >= 0 && var.minimum_running_time_in_minutes <= 10080 && floor(var.minimum_running_time_in_minutes) == var.minimum_running_time_in_minutes, false)
    error_message = "minimum_running_time_in_minutes must be null (per OS: 5 / 15 / 20) or a whole number of minutes from 0 to 10080 (a week)."
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
  description = "For instances without machine evidence (`none`): scale-down reclaims an idle runner on a second idle sighting at least twice this after the first, and orphan-cleanup counts an unregistered instance from two sightings this far apart before its hold. With machine evidence (hooks or probe) the first idle sighting reclaims and an unregistered instance goes after `runner_boot_time_in_minutes`: the machine is asked right before the DELETE and after the settle."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_confirmation_seconds >= 0 && floor(var.idle_confirmation_seconds) == var.idle_confirmation_seconds
    error_message = "idle_confirmation_seconds must be a whole number of 0 or more."
  }
}

variable "idle_config" {
  description = "Idle-pool windows, in the github-aws-runners shape: while `cron` (5 or 6 fields, seconds first) matches in `timeZone`, keep `idleCount` idle runners per pool (see `idle_pool_scope`). `evictionStrategy` is `oldest_first` (keep the newest) or `newest_first`. Only idle runners count, where github-aws-runners counts busy ones too."
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

variable "idle_pool_scope" {
  description = "What one `idle_config` pool covers: `owner` (default: `idleCount` idle runners per GitHub owner) or `environment` (per `ghr:environment`, as the github-aws-runners scale-down counts it, so a copied `idle_config` keeps the warm count the team had)."
  type        = string
  default     = "owner"

  validation {
    condition     = contains(["owner", "environment"], var.idle_pool_scope)
    error_message = "idle_pool_scope must be \"owner\" or \"environment\"."
  }
}

variable "max_job_duration_minutes" {
  description = "Longest a job may run. Job evidence older than this is stale, and instances without machine evidence that have no registration are held at most this long (see `unregistered_hold_minutes`). At least 30: a bound of a few minutes is almost always hours typed as minutes, and would end real jobs."
  type        = number
  default     = 360

  validation {
    condition     = var.max_job_duration_minutes >= 30 && var.max_job_duration_minutes <= 50400 && floor(var.max_job_duration_minutes) == var.max_job_duration_minutes
    error_message = "max_job_duration_minutes must be a whole number of minutes from 30 to 50400 (35 days); below 30 it is almost always hours typed as minutes, and it would end real jobs."
  }
}

variable "unregistered_hold_minutes" {
  description = "How long at most the reaper keeps an instance running without a GitHub registration and without machine evidence (drained but kept, vanished, orphans) before it terminates it. Null (default) holds up to `max_job_duration_minutes`. Such instances count against the github-aws-runners `runners_maximum_count`."
  type        = number
  default     = null

  validation {
    condition     = var.unregistered_hold_minutes == null || try(var.unregistered_hold_minutes >= 1 && var.unregistered_hold_minutes <= var.max_job_duration_minutes && floor(var.unregistered_hold_minutes) == var.unregistered_hold_minutes, false)
    error_message = "unregistered_hold_minutes must be null (hold up to max_job_duration_minutes) or a whole number of minutes from 1 to max_job_duration_minutes."
  }
}

variable "unregistered_hold_max_instances" {
  description = "How many such unregistered instances without machine evidence the reaper holds at once; beyond this, the longest-held are terminated first. 0 (default) sets no limit."
  type        = number
  default     = 0

  validation {
    condition     = var.unregistered_hold_max_instances >= 0 && var.unregistered_hold_max_instances <= 100000 && floor(var.unregistered_hold_max_instances) == var.unregistered_hold_max_instances
    error_message = "unregistered_hold_max_instances must be a whole number from 0 (no limit) to 100000."
  }
}

variable "job_evidence" {
  description = "Which machine evidence to trust, per instance: `auto` (default) trusts the job hooks where the instance carries the `ghr:job-hooks` marker, else the SSM probe where the instance is online in Systems Manager, else nothing (conservative); `hooks` trusts the hooks where the marker is present, else nothing; `off` trusts no machine evidence (conservative everywhere: longer waits). `ghr:job` is honoured in every mode."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "hooks", "off"], var.job_evidence)
    error_message = "job_evidence must be \"auto\", \"hooks\" or \"off\"."
  }
}

variable "enable_probe" {
  description = "Create the SSM probe document and let the functions run it (ssm:SendCommand on that document and this fleet's instances only). False: no document, no SSM permissions, no PROBE_* variables; instances without the hook marker then have no machine evidence."
  type        = bool
  default     = true
}

variable "probe_timeout_seconds" {
  description = "Deadline of one probe round (one SendCommand for many instances, then its answers). An instance that has not answered by then is kept."
  type        = number
  default     = 10

  validation {
    condition     = var.probe_timeout_seconds >= 2 && var.probe_timeout_seconds <= 120 && floor(var.probe_timeout_seconds) == var.probe_timeout_seconds
    error_message = "probe_timeout_seconds must be a whole number of seconds from 2 to 120."
  }
}

variable "probe_settle_seconds" {
  description = "Scale-down's settle for an instance whose probe answered right before its DELETE: the probe sees the job's `Runner.Worker`, which the runner starts one lock renewal (an HTTP round trip) after the job reaches it, long before the job-started hook. Should the probe not answer after it, the instance waits out the full `settle_seconds` and is asked again; where the probe is its only evidence, no answer keeps it. From 1 to `settle_seconds`; null: 3, or `settle_seconds` where that is shorter."
  type        = number
  default     = null

  validation {
    condition     = var.probe_settle_seconds == null || try(var.probe_settle_seconds >= 1 && var.probe_settle_seconds <= var.settle_seconds && floor(var.probe_settle_seconds) == var.probe_settle_seconds, false)
    error_message = "probe_settle_seconds must be null or a whole number of seconds from 1 to settle_seconds: the probe only ever shortens the settle."
  }
}

variable "settle_seconds" {
  description = "Pause between a window's DELETEs and the final re-check before termination (scale-down; `probe_settle_seconds` where the probe answered), and before orphan-cleanup re-reads and re-lists: a job given to a runner just before its DELETE shows on the machine by then. The probe sees `Runner.Worker` within about a second; the job-started hook tags only after the job's \"Set up job\" has downloaded its actions, so raise this for hooks-only fleets whose jobs take long to set up. From 2 to 600, and it must leave room inside both functions' timeouts: `settle_seconds` + 60 (+ 2 x `probe_timeout_seconds` with the probe) at most each timeout."
  type        = number
  default     = 15

  validation {
    condition     = var.settle_seconds >= 2 && var.settle_seconds <= 600 && floor(var.settle_seconds) == var.settle_seconds
    error_message = "settle_seconds must be a whole number of seconds from 2 to 600: a shorter settle re-checks before even the fastest job-started hook (1-3 s) can show the job the deregistration raced with."
  }
  validation {
    condition     = var.settle_seconds + 60 + (var.enable_probe ? 2 * var.probe_timeout_seconds : 0) <= min(var.scale_down_timeout, var.orphan_cleanup_timeout)
    error_message = "settle_seconds + 60 (+ 2 x probe_timeout_seconds when enable_probe) must fit in both scale_down_timeout and orphan_cleanup_timeout: each run pauses once for settle_seconds between deregistration and the final re-check, around GitHub and EC2 calls and up to two probe rounds. Lower settle_seconds or raise the timeouts."
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

variable "github_points_per_minute" {
  description = "GitHub's secondary rate limit per endpoint, in points a minute (a GET costs 1, a DELETE 5): the functions pace their reads and DELETEs below it. Null keeps github.com's 900; set it to your GitHub Enterprise Server's limit."
  type        = number
  default     = null

  validation {
    condition     = var.github_points_per_minute == null || try(var.github_points_per_minute >= 60 && var.github_points_per_minute <= 1000000 && floor(var.github_points_per_minute) == var.github_points_per_minute, false)
    error_message = "github_points_per_minute must be null (900, github.com) or a whole number from 60 to 1000000."
  }
}

variable "dry_run" {
  description = "Decide and log only: no tag, deregistration or termination."
  type        = bool
  default     = false
}

variable "runner_directory" {
  description = "The actions runner's directory on the runner instances (github-aws-runners: /opt/actions-runner): the runner hooks set its `.env` and wait for its listener; the probe reads its files."
  type        = string
  default     = "/opt/actions-runner"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]{0,254}$", var.runner_directory)) && !endswith(var.runner_directory, "/")
    error_message = "runner_directory must be an absolute path of letters, digits and . _ - /, without a trailing slash, e.g. \"/opt/actions-runner\"."
  }
}

variable "existing_runner_hooks" {
  description = "Job hook scripts the team already has (content, as given to github-aws-runners' `runner_hook_job_started` / `runner_hook_job_completed`). The `runner_hooks.github_aws_runners` chains run them beside the reaper's hooks and keep their exit status."
  type = object({
    job_started   = optional(string)
    job_completed = optional(string)
  })
  default = {}
}

variable "runner_hooks_check_timeout_seconds" {
  description = "How long the runner hooks' boot check waits for the runner to start (its .env final) before it gives up without writing the `ghr:job-hooks` marker. Raise it for user data that runs long before the runner starts."
  type        = number
  default     = 1800

  validation {
    condition     = var.runner_hooks_check_timeout_seconds >= 60 && var.runner_hooks_check_timeout_seconds <= 86400 && floor(var.runner_hooks_check_timeout_seconds) == var.runner_hooks_check_timeout_seconds
    error_message = "runner_hooks_check_timeout_seconds must be a whole number of seconds from 60 to 86400."
  }
}

variable "create_dashboard" {
  description = "Create a CloudWatch dashboard named `<prefix>`: failed invocations and errors, github-unavailable, races caught by each guard, instances by machine evidence, instances held without a registration, reclaims against the DELETE budget, GitHub calls, the probe (docs/metrics.md)."
  type        = bool
  default     = false
}

variable "create_alarms" {
  description = "Create CloudWatch alarms named `<prefix>-<alarm>`: failed invocations of each function, errors, github-unavailable, reclaims deferred, instances held without a registration past the hold, GitHub rate limits, and (with a threshold) instances without machine evidence. Thresholds in `alarm_thresholds`."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the alarms notify, on alarm and back to OK. Null: alarms without notifications (visible in the console and on the dashboard)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN such as \"arn:aws:sns:eu-west-1:111122223333:ci-alerts\"."
  }
  validation {
    condition     = var.alarm_sns_topic_arn == null || var.create_alarms
    error_message = "alarm_sns_topic_arn is set but create_alarms is false: set create_alarms = true for the alarms that notify it."
  }
}

variable "alarm_thresholds" {
  description = "Alarm thresholds. `periods`: schedule intervals in a row before an alarm fires (failed invocations: most of them); `errors`: Errors per interval; `instances_without_evidence`: alarm when more instances than this have no machine evidence for `instances_without_evidence_minutes` (null: no such alarm); `held_unregistered_extra_minutes`: margin over the unregistered hold before the held-too-long alarm."
  type = object({
    periods                            = optional(number, 3)
    errors                             = optional(number, 1)
    instances_without_evidence         = optional(number)
    instances_without_evidence_minutes = optional(number, 60)
    held_unregistered_extra_minutes    = optional(number, 15)
  })
  default = {}

  validation {
    condition = (
      var.alarm_thresholds.periods >= 1 && var.alarm_thresholds.periods <= 24 && floor(var.alarm_thresholds.periods) == var.alarm_thresholds.periods &&
      var.alarm_thresholds.errors >= 1 &&
      try(var.alarm_thresholds.instances_without_evidence >= 0, var.alarm_thresholds.instances_without_evidence == null) &&
      var.alarm_thresholds.instances_without_evidence_minutes >= 1 && var.alarm_thresholds.instances_without_evidence_minutes <= 1440 &&
      var.alarm_thresholds.held_unregistered_extra_minutes >= 0 && var.alarm_thresholds.held_unregistered_extra_minutes <= 1440
    )
    error_message = "alarm_thresholds: periods a whole number from 1 to 24, errors at least 1, instances_without_evidence null or 0 or more, instances_without_evidence_minutes from 1 to 1440, held_unregistered_extra_minutes from 0 to 1440."
  }
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
  description = "Timeout of the scale-down function in seconds (also its FUNCTION_TIMEOUT_SECONDS): room for `settle_seconds` and the calls around it (checked on `settle_seconds`)."
  type        = number
  default     = 180

  validation {
    condition     = var.scale_down_timeout >= 60 && var.scale_down_timeout <= 900 && floor(var.scale_down_timeout) == var.scale_down_timeout
    error_message = "scale_down_timeout must be a whole number of seconds from 60 to 900 (the Lambda maximum)."
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
  description = "Timeout of the orphan-cleanup function in seconds (also its FUNCTION_TIMEOUT_SECONDS): room for `settle_seconds` and the calls around it (checked on `settle_seconds`)."
  type        = number
  default     = 180

  validation {
    condition     = var.orphan_cleanup_timeout >= 60 && var.orphan_cleanup_timeout <= 900 && floor(var.orphan_cleanup_timeout) == var.orphan_cleanup_timeout
    error_message = "orphan_cleanup_timeout must be a whole number of seconds from 60 to 900 (the Lambda maximum)."
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
  description = "ARN of the customer-managed KMS key that encrypts the GitHub App parameters (and `github_ca_bundle_parameter`), if any. The functions may decrypt with it only through SSM. Null when the parameters use the AWS-managed `aws/ssm` key."
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
