# Plan-level checks of the root module with a mocked AWS provider: variables reach the
# right environment variables, IAM is scoped as docs/design.md requires, schedules,
# runtime, the probe document and the validations are what the inputs say. Run by
# test/terraform/tftest.test.ts:
#   terraform test -test-directory=test/terraform/tftest

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  # For the runs that apply on the mock: ARNs the provider validates.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mock" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:111122223333:function:mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:111122223333:rule/mock" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:mock" }
  }
}

variables {
  environment = "gh-ci"
  github_app = {
    id_parameter         = "/github-action-runners/gh-ci/app/github_app_id"
    key_base64_parameter = "/github-action-runners/gh-ci/app/github_app_key_base64"
  }
}

run "defaults" {
  command = plan

  assert {
    condition     = module.scale_down.configuration.runtime == "nodejs22.x" && module.orphan_cleanup.configuration.runtime == "nodejs22.x"
    error_message = "Both functions must default to nodejs22.x."
  }
  assert {
    condition     = module.scale_down.configuration.handler == "index.handler" && module.orphan_cleanup.configuration.handler == "index.handler"
    error_message = "Both handlers must be index.handler."
  }
  assert {
    condition     = module.scale_down.function_name == "gh-ci-reaper-scale-down" && module.orphan_cleanup.function_name == "gh-ci-reaper-orphan-cleanup"
    error_message = "Function names must be <environment>-reaper-<function> by default."
  }
  assert {
    condition     = module.scale_down.configuration.schedule_expression == "cron(*/5 * * * ? *)" && module.orphan_cleanup.configuration.schedule_expression == "rate(10 minutes)"
    error_message = "Default schedules are wrong."
  }
  assert {
    condition     = module.scale_down.configuration.environment_variables.JOB_EVIDENCE == "auto"
    error_message = "job_evidence must default to auto (machine evidence per instance)."
  }
  assert {
    condition     = module.scale_down.configuration.environment_variables.SETTLE_SECONDS == "15" && module.scale_down.configuration.environment_variables.DRY_RUN == "false"
    error_message = "SETTLE_SECONDS must default to 15 and DRY_RUN to false."
  }
  assert {
    condition     = module.scale_down.configuration.environment_variables.IDLE_CONFIG == "[]"
    error_message = "An empty idle_config must be the JSON array []."
  }
  assert {
    condition = alltrue([for f in [module.scale_down, module.orphan_cleanup] : (
      f.configuration.environment_variables.ENVIRONMENT == "gh-ci" &&
      f.configuration.environment_variables.GITHUB_API_URL == "https://api.github.com" &&
      f.configuration.environment_variables.IDLE_POOL_SCOPE == "owner" &&
      f.configuration.environment_variables.UNREGISTERED_HOLD_MAX_INSTANCES == "0" &&
      f.configuration.environment_variables.PROBE_DOCUMENT_NAME == "gh-ci-reaper-probe" &&
      f.configuration.environment_variables.PROBE_TIMEOUT_SECONDS == "10" &&
      f.configuration.environment_variables.FUNCTION_TIMEOUT_SECONDS == "180"
    )])
    error_message = "Default environment variables are wrong."
  }
  assert {
    # Unset, not empty: the functions' own defaults apply (per-OS minimum running time,
    # a hold of MAX_JOB_DURATION_MINUTES, no installation id, no CA bundle, github.com).
    condition = alltrue([for f in [module.scale_down, module.orphan_cleanup] : length(setintersection(keys(f.configuration.environment_variables), [
      "ENVIRONMENTS", "GHES_URL", "MINIMUM_RUNNING_TIME_IN_MINUTES", "UNREGISTERED_HOLD_MINUTES",
      "PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME", "PARAMETER_GITHUB_CA_BUNDLE_NAME", "GITHUB_POINTS_PER_MINUTE",
    ])) == 0])
    error_message = "Optional settings left at their defaults must not be set."
  }
  assert {
    condition     = module.scale_down.configuration.reserved_concurrency == 1 && module.orphan_cleanup.configuration.reserved_concurrency == 1
    error_message = "Each function must reserve a concurrency of 1 so runs never overlap."
  }
  assert {
    condition     = endswith(module.scale_down.configuration.filename, "lambda/dist/scale-down.zip") && endswith(module.orphan_cleanup.configuration.filename, "lambda/dist/orphan-cleanup.zip")
    error_message = "The default packages must be the zips npm run build writes."
  }
  assert {
    condition     = module.scale_down.configuration.log_retention_in_days == 30
    error_message = "Log retention must default to 30 days."
  }
  assert {
    condition     = output.probe_document_name == "gh-ci-reaper-probe" && length(module.probe) == 1
    error_message = "The probe document must exist by default, named <prefix>-probe."
  }
}

run "every_input_reaches_its_environment_variable" {
  command = plan

  # Distinct values everywhere, so a swapped pair of variables cannot pass.
  variables {
    environment = "fleet-a"
    github_app = {
      id_parameter              = "/p/app-id"
      key_base64_parameter      = "/p/app-key"
      installation_id_parameter = "/p/installation"
    }
    github_api_url                  = "https://ghe.example.com/api/v3"
    github_ca_bundle_parameter      = "/p/ca-bundle"
    minimum_running_time_in_minutes = 7
    runner_boot_time_in_minutes     = 11
    idle_confirmation_seconds       = 13
    max_job_duration_minutes        = 170
    unregistered_hold_minutes       = 31
    github_points_per_minute        = 430
    unregistered_hold_max_instances = 37
    idle_pool_scope                 = "environment"
    job_evidence                    = "hooks"
    probe_timeout_seconds           = 41
    settle_seconds                  = 19
    probe_settle_seconds            = 17
    github_concurrency              = 23
    dry_run                         = true
    log_level                       = "DEBUG"
    metrics_namespace               = "Ns29"
    idle_config = [
      { cron = "* * 9-17 * * 1-5", timeZone = "Europe/Amsterdam", idleCount = 2, evictionStrategy = "newest_first" },
      { cron = "* * * * *", idleCount = 1 },
    ]
    lambda_runtime             = "nodejs20.x"
    scale_down_memory_size     = 1024
    scale_down_timeout         = 301
    orphan_cleanup_memory_size = 768
    orphan_cleanup_timeout     = 241
    runner_directory           = "/srv/runner"
  }

  assert {
    condition     = jsondecode(module.probe[0].content).parameters.runnerRoot.default == "/srv/runner" && strcontains(output.runner_hooks.user_data, "echo 'ACTIONS_RUNNER_HOOK_JOB_STARTED=/opt/runner-reaper/job-started.sh' >> '/srv/runner/.env'")
    error_message = "runner_directory must reach the probe's runner root and the hooks' .env."
  }
  assert {
    condition = alltrue([for f in [module.scale_down, module.orphan_cleanup] : (
      f.configuration.environment_variables.ENVIRONMENT == "fleet-a" &&
      f.configuration.environment_variables.PARAMETER_GITHUB_APP_ID_NAME == "/p/app-id" &&
      f.configuration.environment_variables.PARAMETER_GITHUB_APP_KEY_BASE64_NAME == "/p/app-key" &&
      f.configuration.environment_variables.PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME == "/p/installation" &&
      f.configuration.environment_variables.PARAMETER_GITHUB_CA_BUNDLE_NAME == "/p/ca-bundle" &&
      f.configuration.environment_variables.GITHUB_API_URL == "https://ghe.example.com/api/v3" &&
      f.configuration.environment_variables.MINIMUM_RUNNING_TIME_IN_MINUTES == "7" &&
      f.configuration.environment_variables.RUNNER_BOOT_TIME_IN_MINUTES == "11" &&
      f.configuration.environment_variables.IDLE_CONFIRMATION_SECONDS == "13" &&
      f.configuration.environment_variables.MAX_JOB_DURATION_MINUTES == "170" &&
      f.configuration.environment_variables.UNREGISTERED_HOLD_MINUTES == "31" &&
      f.configuration.environment_variables.GITHUB_POINTS_PER_MINUTE == "430" &&
      f.configuration.environment_variables.UNREGISTERED_HOLD_MAX_INSTANCES == "37" &&
      f.configuration.environment_variables.IDLE_POOL_SCOPE == "environment" &&
      f.configuration.environment_variables.JOB_EVIDENCE == "hooks" &&
      f.configuration.environment_variables.PROBE_DOCUMENT_NAME == "fleet-a-reaper-probe" &&
      f.configuration.environment_variables.PROBE_TIMEOUT_SECONDS == "41" &&
      f.configuration.environment_variables.PROBE_SETTLE_SECONDS == "17" &&
      f.configuration.environment_variables.SETTLE_SECONDS == "19" &&
      f.configuration.environment_variables.GITHUB_CONCURRENCY == "23" &&
      f.configuration.environment_variables.DRY_RUN == "true" &&
      f.configuration.environment_variables.LOG_LEVEL == "DEBUG" &&
      f.configuration.environment_variables.POWERTOOLS_METRICS_NAMESPACE == "Ns29"
    )])
    error_message = "An input is not wired to its environment variable on both functions."
  }
  assert {
    condition     = module.scale_down.configuration.environment_variables.FUNCTION_TIMEOUT_SECONDS == "301" && module.orphan_cleanup.configuration.environment_variables.FUNCTION_TIMEOUT_SECONDS == "241"
    error_message = "FUNCTION_TIMEOUT_SECONDS must be each function's own timeout."
  }
  assert {
    condition = jsondecode(module.scale_down.configuration.environment_variables.IDLE_CONFIG) == [
      { cron = "* * 9-17 * * 1-5", timeZone = "Europe/Amsterdam", idleCount = 2, evictionStrategy = "newest_first" },
      { cron = "* * * * *", timeZone = "UTC", idleCount = 1, evictionStrategy = "oldest_first" },
    ]
    error_message = "IDLE_CONFIG must be the idle_config windows as JSON, with defaults filled in."
  }
  assert {
    condition     = module.scale_down.configuration.environment_variables.POWERTOOLS_SERVICE_NAME == "runner-reaper-scale-down" && module.orphan_cleanup.configuration.environment_variables.POWERTOOLS_SERVICE_NAME == "runner-reaper-orphan-cleanup"
    error_message = "Each function needs its own service name."
  }
  assert {
    condition     = module.scale_down.configuration.runtime == "nodejs20.x" && module.orphan_cleanup.configuration.runtime == "nodejs20.x"
    error_message = "lambda_runtime must reach both functions."
  }
  assert {
    condition     = module.scale_down.configuration.memory_size == 1024 && module.scale_down.configuration.timeout == 301
    error_message = "scale_down memory/timeout mis-wired."
  }
  assert {
    condition     = module.orphan_cleanup.configuration.memory_size == 768 && module.orphan_cleanup.configuration.timeout == 241
    error_message = "orphan_cleanup memory/timeout mis-wired."
  }
  assert {
    condition = [for s in jsondecode(module.scale_down.policy_json).Statement : s.Resource if s.Sid == "ReadGitHubAppParameters"][0] == [
      "arn:aws:ssm:eu-west-1:111122223333:parameter/p/app-id",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/p/app-key",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/p/installation",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/p/ca-bundle",
    ]
    error_message = "ssm:GetParameter must cover exactly the App's three parameters and the CA bundle."
  }
}

run "several_environments" {
  command = plan

  variables {
    environment      = null
    environments     = ["mr-linux", "mr-arm"]
    prefix           = "mr-reaper"
    create_dashboard = true
  }

  assert {
    condition = alltrue([for e in ["mr-linux", "mr-arm"] : (
      strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "\"RunnersTerminated\",\"Environment\",\"${e}\"") &&
      strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "\"InstancesByEvidence\",\"Environment\",\"${e}\",\"Evidence\",\"none\"")
    )])
    error_message = "With several environments the dashboard shows each one."
  }

  assert {
    condition = alltrue([for f in [module.scale_down, module.orphan_cleanup] : (
      f.configuration.environment_variables.ENVIRONMENTS == jsonencode(["mr-linux", "mr-arm"]) &&
      !contains(keys(f.configuration.environment_variables), "ENVIRONMENT")
    )])
    error_message = "Several environments must reach ENVIRONMENTS as a JSON array, and ENVIRONMENT must be unset."
  }
  assert {
    condition = alltrue(flatten([for p in [module.scale_down.policy_json, module.orphan_cleanup.policy_json] : [
      for s in jsondecode(p).Statement : (
        s.Condition.StringEquals["aws:ResourceTag/ghr:environment"] == ["mr-linux", "mr-arm"]
      ) if contains(["TerminateFleetInstances", "TagFleetInstancesWithReaperKeys", "UntagFleetInstancesReaperAndLegacyKeys"], s.Sid)
    ]]))
    error_message = "Every EC2 write must be scoped to exactly the listed environments."
  }
  assert {
    condition     = [for s in jsondecode(module.scale_down.policy_json).Statement : s.Condition.StringEquals["ssm:resourceTag/ghr:environment"] if s.Sid == "SendProbeToFleetInstances"][0] == ["mr-linux", "mr-arm"]
    error_message = "The probe must be scoped to exactly the listed environments."
  }
  assert {
    condition     = jsondecode(output.runner_hooks.instance_policy_json).Statement[0].Condition.StringEquals["aws:ResourceTag/ghr:environment"] == ["mr-linux", "mr-arm"]
    error_message = "The runner instance policy must accept instances of any listed environment."
  }
  assert {
    condition     = module.scale_down.function_name == "mr-reaper-scale-down" && output.probe_document_name == "mr-reaper-probe"
    error_message = "prefix must name the resources."
  }
}

run "one_entry_in_environments_defaults_the_prefix" {
  command = plan

  variables {
    environment  = null
    environments = ["solo"]
  }

  assert {
    condition     = module.scale_down.function_name == "solo-reaper-scale-down" && module.scale_down.configuration.environment_variables.ENVIRONMENTS == "[\"solo\"]"
    error_message = "The default prefix must follow the first environment."
  }
}

run "github_enterprise" {
  command = plan

  variables {
    ghes_url = "https://octocorp.ghe.com"
  }

  assert {
    condition = alltrue([for f in [module.scale_down, module.orphan_cleanup] : (
      f.configuration.environment_variables.GHES_URL == "https://octocorp.ghe.com" &&
      !contains(keys(f.configuration.environment_variables), "GITHUB_API_URL")
    )])
    error_message = "ghes_url must reach GHES_URL, and GITHUB_API_URL must then be unset."
  }
}

run "probe_off" {
  command = plan

  variables {
    enable_probe = false
  }

  assert {
    condition     = length(module.probe) == 0 && output.probe_document_name == null
    error_message = "enable_probe = false must create no document."
  }
  assert {
    condition = alltrue([for f in [module.scale_down, module.orphan_cleanup] : (
      length(setintersection(keys(f.configuration.environment_variables), ["PROBE_DOCUMENT_NAME", "PROBE_TIMEOUT_SECONDS"])) == 0
    )])
    error_message = "enable_probe = false must set no PROBE_* variable."
  }
  assert {
    condition = alltrue(flatten([for p in [module.scale_down.policy_json, module.orphan_cleanup.policy_json] : [
      for s in jsondecode(p).Statement : [for a in s.Action : !startswith(a, "ssm:") || a == "ssm:GetParameter"]
    ]]))
    error_message = "enable_probe = false must grant no SSM action besides reading the App's parameters."
  }
}

run "probe_document" {
  command = plan

  assert {
    condition     = module.probe[0].script == file("modules/probe/scripts/probe.sh")
    error_message = "The document must run modules/probe/scripts/probe.sh."
  }
  assert {
    condition = jsonencode(jsondecode(module.probe[0].content).mainSteps) == jsonencode([{
      action       = "aws:runShellScript"
      name         = "probe"
      precondition = { StringEquals = ["platformType", "Linux"] }
      inputs = {
        runCommand     = concat(["RUNNER_REAPER_RUNNER_ROOT='{{ runnerRoot }}'"], split("\n", trimsuffix(file("modules/probe/scripts/probe.sh"), "\n")))
        timeoutSeconds = "60"
      }
    }])
    error_message = "The document must be one Linux aws:runShellScript step running the probe script line by line, after setting the runner root."
  }
  assert {
    condition     = jsondecode(module.probe[0].content).parameters.runnerRoot.default == "/opt/actions-runner"
    error_message = "The runner root must default to runner_directory."
  }
  assert {
    condition     = module.probe[0].document_name == "gh-ci-reaper-probe" && jsondecode(module.probe[0].content).schemaVersion == "2.2"
    error_message = "The probe must be a schema 2.2 document named <prefix>-probe."
  }
}

run "schedules_and_prefix" {
  command = plan

  variables {
    prefix                             = "ci-reaper"
    scale_down_schedule_expression     = "rate(3 minutes)"
    orphan_cleanup_schedule_expression = "cron(0/20 * * * ? *)"
  }

  assert {
    condition     = module.scale_down.configuration.schedule_expression == "rate(3 minutes)"
    error_message = "scale_down_schedule_expression must reach the scale-down rule."
  }
  assert {
    condition     = module.orphan_cleanup.configuration.schedule_expression == "cron(0/20 * * * ? *)"
    error_message = "orphan_cleanup_schedule_expression must reach the orphan-cleanup rule."
  }
  assert {
    condition     = module.scale_down.schedule_rule_name == "ci-reaper-scale-down" && module.orphan_cleanup.function_name == "ci-reaper-orphan-cleanup"
    error_message = "prefix must name the resources."
  }
}

run "iam_is_least_privilege" {
  command = plan

  assert {
    condition = alltrue([for p in [module.scale_down.policy_json, module.orphan_cleanup.policy_json] : (
      [for s in jsondecode(p).Statement : s.Sid] == [
        "DescribeInstances", "TerminateFleetInstances", "TagFleetInstancesWithReaperKeys", "ReadGitHubAppParameters",
        "UntagFleetInstancesReaperAndLegacyKeys", "SendProbeDocument", "SendProbeToFleetInstances", "ReadProbeAnswers", "WriteOwnLogGroup",
      ]
    )])
    error_message = "Unexpected set of statements (a grant was added or removed)."
  }
  assert {
    condition = alltrue(flatten([for p in [module.scale_down.policy_json, module.orphan_cleanup.policy_json] : [
      for s in jsondecode(p).Statement : [for a in s.Action : !endswith(a, "*")] if s.Effect == "Allow"
    ]]))
    error_message = "No action may be a wildcard."
  }
  assert {
    # Both tags in ONE condition map of ONE statement: ANDed, never ORed.
    condition = [for s in jsondecode(module.scale_down.policy_json).Statement : s.Condition if s.Sid == "TerminateFleetInstances"][0] == {
      StringEquals = { "aws:ResourceTag/ghr:environment" = "gh-ci", "aws:ResourceTag/ghr:Application" = "github-action-runner" }
    }
    error_message = "TerminateInstances must require both ghr:environment and ghr:Application."
  }
  assert {
    condition = [for s in jsondecode(module.scale_down.policy_json).Statement : [s.Resource, s.Action] if s.Sid == "TerminateFleetInstances"][0] == [
      ["arn:aws:ec2:eu-west-1:111122223333:instance/*"], ["ec2:TerminateInstances"]
    ]
    error_message = "TerminateInstances must be limited to this account's and region's instances."
  }
  assert {
    condition = [for s in jsondecode(module.orphan_cleanup.policy_json).Statement : [s.Action, s.Condition] if s.Sid == "TagFleetInstancesWithReaperKeys"][0] == [
      ["ec2:CreateTags"],
      {
        StringEquals = { "aws:ResourceTag/ghr:environment" = "gh-ci", "aws:ResourceTag/ghr:Application" = "github-action-runner" }
        "ForAllValues:StringEquals" = { "aws:TagKeys" = [
          "ghr:idle-since", "ghr:draining-since", "ghr:reaper-orphan-since",
          "ghr:reaper-delete-failures", "ghr:reaper-delete-failed-at", "ghr:reaper-termination-refused-at",
        ] }
        Null = { "aws:TagKeys" = "false" }
      },
    ]
    error_message = "CreateTags must require both fleet tags and exactly the keys the functions write: never ghr:orphan, which the github-aws-runners scale-down acts on."
  }
  assert {
    condition = [for s in jsondecode(module.orphan_cleanup.policy_json).Statement : [s.Action, s.Condition] if s.Sid == "UntagFleetInstancesReaperAndLegacyKeys"][0] == [
      ["ec2:DeleteTags"],
      {
        StringEquals                = { "aws:ResourceTag/ghr:environment" = "gh-ci", "aws:ResourceTag/ghr:Application" = "github-action-runner" }
        "ForAllValues:StringEquals" = { "aws:TagKeys" = ["ghr:idle-since", "ghr:draining-since", "ghr:reaper-orphan-since", "ghr:orphan", "ghr:orphan-since"] }
        Null                        = { "aws:TagKeys" = "false" }
      },
    ]
    error_message = "DeleteTags must require both fleet tags and exactly the keys the functions remove: the marks that end and the 0.1.0 pair (never the back-off marks)."
  }
  assert {
    condition = [for s in jsondecode(module.scale_down.policy_json).Statement : [s.Action, s.Resource, try(s.Condition, null)] if s.Sid == "SendProbeToFleetInstances"][0] == [
      ["ssm:SendCommand"],
      ["arn:aws:ec2:eu-west-1:111122223333:instance/*"],
      { StringEquals = { "ssm:resourceTag/ghr:environment" = "gh-ci", "ssm:resourceTag/ghr:Application" = "github-action-runner" } },
    ]
    error_message = "SendCommand on instances must require both fleet tags, on this account's and region's instances."
  }
  assert {
    condition = [for s in jsondecode(module.scale_down.policy_json).Statement : [s.Action, length(s.Resource), try(s.Condition, null)] if s.Sid == "SendProbeDocument"][0] == [
      ["ssm:SendCommand"], 1, null
    ]
    error_message = "SendCommand on documents must name the one probe document."
  }
  assert {
    condition     = [for s in jsondecode(module.scale_down.policy_json).Statement : s.Action if s.Sid == "ReadProbeAnswers"][0] == ["ssm:DescribeInstanceInformation", "ssm:GetCommandInvocation", "ssm:ListCommandInvocations"]
    error_message = "The probe's reads must be exactly DescribeInstanceInformation, GetCommandInvocation and ListCommandInvocations."
  }
  assert {
    condition     = [for s in jsondecode(module.scale_down.policy_json).Statement : s.Resource if s.Sid == "WriteOwnLogGroup"][0] == ["arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/gh-ci-reaper-scale-down:*"]
    error_message = "Logs must be limited to the function's own log group."
  }
  assert {
    condition     = [for s in jsondecode(module.orphan_cleanup.policy_json).Statement : s.Resource if s.Sid == "WriteOwnLogGroup"][0] == ["arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/gh-ci-reaper-orphan-cleanup:*"]
    error_message = "Logs must be limited to the function's own log group."
  }
}

run "kms_and_vpc" {
  command = plan

  variables {
    kms_key_arn     = "arn:aws:kms:eu-west-1:111122223333:key/logs"
    ssm_kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/ssm"
    vpc_config = {
      subnet_ids         = ["subnet-1"]
      security_group_ids = ["sg-1"]
    }
  }

  assert {
    condition = [for s in jsondecode(module.scale_down.policy_json).Statement : s if s.Sid == "DecryptGitHubAppParametersThroughSsm"][0] == {
      Sid       = "DecryptGitHubAppParametersThroughSsm"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = ["arn:aws:kms:eu-west-1:111122223333:key/ssm"]
      Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" } }
    }
    error_message = "kms:Decrypt must be on the SSM key only, and only through SSM."
  }
  assert {
    condition     = contains([for s in jsondecode(module.scale_down.policy_json).Statement : s.Sid], "ManageVpcNetworkInterfaces")
    error_message = "A function in a VPC needs the network interface statement."
  }
  assert {
    condition     = module.scale_down.configuration.log_kms_key_id == "arn:aws:kms:eu-west-1:111122223333:key/logs"
    error_message = "kms_key_arn must encrypt the log groups."
  }
}

run "s3_package" {
  command = plan

  variables {
    lambda_s3 = {
      bucket             = "artifacts"
      scale_down_key     = "reaper/scale-down.zip"
      orphan_cleanup_key = "reaper/orphan-cleanup.zip"
    }
  }

  assert {
    condition     = module.scale_down.configuration.s3_bucket == "artifacts" && module.scale_down.configuration.s3_key == "reaper/scale-down.zip" && module.scale_down.configuration.filename == null
    error_message = "lambda_s3 must replace the local zip for scale-down."
  }
  assert {
    condition     = module.orphan_cleanup.configuration.s3_key == "reaper/orphan-cleanup.zip"
    error_message = "lambda_s3 must replace the local zip for orphan-cleanup."
  }
}

run "runner_hooks" {
  command = plan

  variables {
    existing_runner_hooks = { job_started = "echo mine\n" }
  }

  assert {
    condition = jsondecode(output.runner_hooks.instance_policy_json).Statement == [{
      Sid      = "TagOwnInstanceWithJobKeys"
      Effect   = "Allow"
      Action   = ["ec2:CreateTags", "ec2:DeleteTags"]
      Resource = ["arn:aws:ec2:*:*:instance/*"]
      Condition = {
        StringEquals                = { "aws:ARN" = "$${ec2:SourceInstanceARN}", "aws:ResourceTag/ghr:environment" = "gh-ci" }
        "ForAllValues:StringEquals" = { "aws:TagKeys" = ["ghr:job", "ghr:job-started-at", "ghr:last-job-completed-at", "ghr:job-hooks"] }
        Null                        = { "aws:TagKeys" = "false" }
      }
    }]
    error_message = "The instance policy must let an instance tag only itself, only with the hook contract's keys (the ghr:job-hooks marker included)."
  }
  assert {
    condition     = strcontains(output.runner_hooks.user_data, "echo 'ACTIONS_RUNNER_HOOK_JOB_STARTED=/opt/runner-reaper/job-started.sh' >> '/opt/actions-runner/.env'")
    error_message = "The user data must set ACTIONS_RUNNER_HOOK_JOB_STARTED."
  }
  assert {
    condition     = strcontains(output.runner_hooks.user_data, "echo 'ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/opt/runner-reaper/job-completed.sh' >> '/opt/actions-runner/.env'")
    error_message = "The user data must set ACTIONS_RUNNER_HOOK_JOB_COMPLETED."
  }
  assert {
    condition     = strcontains(output.runner_hooks.user_data, "sh '/opt/runner-reaper/check-hooks.sh' --background '/opt/runner-reaper/check-hooks.conf'") && strcontains(output.runner_hooks.user_data, "WAIT_SECONDS='1800'")
    error_message = "The user data must start the boot check in the background with the default bound."
  }
  assert {
    condition     = strcontains(output.runner_hooks.job_started_script, "ghr:job-started-at") && strcontains(output.runner_hooks.job_completed_script, "ghr:last-job-completed-at")
    error_message = "The hook scripts are not the job-started/job-completed scripts."
  }
  assert {
    condition = (
      strcontains(output.runner_hooks.github_aws_runners.runner_hook_job_started, "runner_reaper_hook='${base64encode(output.runner_hooks.job_started_script)}'") &&
      strcontains(output.runner_hooks.github_aws_runners.runner_hook_job_started, "runner_reaper_team_hook='${base64encode("echo mine\n")}'") &&
      strcontains(output.runner_hooks.github_aws_runners.runner_hook_job_completed, "runner_reaper_team_hook=''")
    )
    error_message = "The chains must embed the reaper's hooks and the team's existing hooks (none given for job_completed)."
  }
}

run "no_dashboard_or_alarms_by_default" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && length(aws_cloudwatch_metric_alarm.metric) == 0 && length(aws_cloudwatch_metric_alarm.summed) == 0
    error_message = "Dashboard and alarms are opt-in."
  }
}

run "dashboard_and_alarms" {
  # apply (on the mock provider): the dashboard lists the alarms' ARNs, known only then.
  command = apply

  variables {
    create_dashboard    = true
    create_alarms       = true
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:ci-alerts"
    alarm_thresholds    = { instances_without_evidence = 0 }
  }

  assert {
    condition = sort(keys(output.alarm_arns)) == sort([for a in [
      "errors", "github-rate-limited", "github-unavailable", "held-unregistered-too-long", "instances-without-machine-evidence",
      "orphan-cleanup-failed-invocations", "reclaims-deferred", "scale-down-failed-invocations",
    ] : "gh-ci-reaper-${a}"])
    error_message = "Unexpected set of alarms."
  }
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.summed)) : (
      a.alarm_actions == toset(["arn:aws:sns:eu-west-1:111122223333:ci-alerts"]) && a.ok_actions == toset(["arn:aws:sns:eu-west-1:111122223333:ci-alerts"]) && a.treat_missing_data == "notBreaching"
    )])
    error_message = "Every alarm must notify the SNS topic on alarm and on OK, and treat missing data as no news."
  }
  assert {
    condition = [for k, a in aws_cloudwatch_metric_alarm.metric : [a.namespace, a.metric_name, a.dimensions, a.statistic, a.period, a.evaluation_periods, a.threshold] if k == "github-unavailable"][0] == [
      "RunnerReaper", "GitHubUnavailable", tomap({ service = "runner-reaper-scale-down" }), "Maximum", 300, 3, 1
    ]
    error_message = "github-unavailable: GitHubUnavailable (scale-down total), Maximum, >= 1 for 3 scale-down intervals (docs/metrics.md)."
  }
  assert {
    condition = [for k, a in aws_cloudwatch_metric_alarm.metric : [a.namespace, a.metric_name, a.dimensions, a.datapoints_to_alarm, a.evaluation_periods] if k == "scale-down-failed-invocations"][0] == [
      "AWS/Lambda", "Errors", tomap({ FunctionName = "gh-ci-reaper-scale-down" }), 2, 3
    ]
    error_message = "Failed invocations: AWS/Lambda Errors of the function, in 2 of 3 intervals."
  }
  assert {
    condition = [for k, a in aws_cloudwatch_metric_alarm.metric : [a.metric_name, a.dimensions, a.period, a.threshold] if k == "held-unregistered-too-long"][0] == [
      "HeldUnregisteredOldestSeconds", tomap({ service = "runner-reaper-orphan-cleanup" }), 600, (360 + 15) * 60
    ]
    error_message = "held-unregistered-too-long: the oldest hold (orphan-cleanup) above the hold (max_job_duration_minutes by default) plus the margin, per orphan-cleanup interval."
  }
  assert {
    condition = [for k, a in aws_cloudwatch_metric_alarm.metric : [a.metric_name, a.dimensions, a.comparison_operator, a.threshold, a.evaluation_periods] if k == "instances-without-machine-evidence"][0] == [
      "InstancesByEvidence", tomap({ service = "runner-reaper-scale-down", Evidence = "none" }), "GreaterThanThreshold", 0, 12
    ]
    error_message = "instances-without-machine-evidence: InstancesByEvidence Evidence=none above the threshold for an hour (12 intervals of 5 minutes)."
  }
  assert {
    condition = [for k, a in aws_cloudwatch_metric_alarm.metric : [a.metric_name, a.dimensions, a.statistic, a.comparison_operator, a.threshold] if k == "reclaims-deferred"][0] == [
      "Decisions", tomap({ service = "runner-reaper-scale-down", Reason = "deferred" }), "Sum", "GreaterThanThreshold", 0
    ]
    error_message = "reclaims-deferred: Decisions Reason=deferred > 0."
  }
  assert {
    condition = alltrue([for k, a in aws_cloudwatch_metric_alarm.summed : (
      length(a.metric_query) == 3 &&
      [for q in a.metric_query : q.expression if q.id == "total"][0] == "FILL(sd, 0) + FILL(oc, 0)" &&
      toset(flatten([for q in a.metric_query : [for m in q.metric : m.dimensions.service]])) == toset(["runner-reaper-scale-down", "runner-reaper-orphan-cleanup"])
    )])
    error_message = "errors and github-rate-limited must sum both functions' series."
  }
  assert {
    condition = toset(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : [for line in w.properties.metrics : line[1]] if w.type == "metric"])) == toset([
      "Errors", "Throttles", "GitHubUnavailable", "RacesCaught", "InstancesByEvidence", "InstancesHeldUnregistered", "HeldUnregisteredOldestSeconds",
      "RunnersTerminated", "OrphansTerminated", "GitHubDeletes", "Decisions", "GitHubCalls", "GitHubRateLimited", "ProbesSent", "ProbeFailures",
    ])
    error_message = "The dashboard must show the metrics of docs/metrics.md's dashboard table."
  }
  assert {
    # Each line is [namespace, "RacesCaught", "Guard", <guard>, "service", <service>, {options}].
    condition = alltrue(flatten([for guard in ["get", "delete-422", "recheck", "job-evidence", "probe"] : [
      for service in ["runner-reaper-scale-down", "runner-reaper-orphan-cleanup"] :
      strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "\"RacesCaught\",\"Guard\",\"${guard}\",\"service\",\"${service}\"")
    ]]))
    error_message = "Races caught must be shown for every guard."
  }
  assert {
    condition     = [for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : length(w.properties.alarms) if w.type == "alarm"] == [8]
    error_message = "The dashboard must show the alarms."
  }
  assert {
    condition     = output.dashboard_name == "gh-ci-reaper"
    error_message = "The dashboard is named after the prefix."
  }
}

run "alarm_periods_follow_the_schedules" {
  command = plan

  variables {
    create_alarms                      = true
    scale_down_schedule_expression     = "cron(0/15 * * * ? *)"
    orphan_cleanup_schedule_expression = "rate(1 day)"
    unregistered_hold_minutes          = 100
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.metric["github-unavailable"].period == 900 && aws_cloudwatch_metric_alarm.metric["held-unregistered-too-long"].period == 3600
    error_message = "A */15 cron gives 15-minute periods; a daily schedule is capped at an hour."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.metric["held-unregistered-too-long"].threshold == (100 + 15) * 60
    error_message = "The held-too-long threshold follows unregistered_hold_minutes."
  }
  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.metric), "instances-without-machine-evidence") && length(aws_cloudwatch_metric_alarm.metric["github-unavailable"].alarm_actions) == 0
    error_message = "Without a threshold there is no evidence alarm; without a topic, no actions."
  }
}

run "alarm_topic_without_alarms_is_rejected" {
  command = plan
  variables {
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:111122223333:ci-alerts"
  }
  expect_failures = [var.alarm_sns_topic_arn]
}

run "bad_alarm_thresholds_are_rejected" {
  command = plan
  variables {
    alarm_thresholds = { periods = 0 }
  }
  expect_failures = [var.alarm_thresholds]
}

run "settle_seconds_must_be_at_least_two" {
  command = plan
  variables {
    settle_seconds = 1
  }
  expect_failures = [var.settle_seconds]
}

run "probe_settle_seconds_must_not_exceed_settle_seconds" {
  command = plan
  variables {
    settle_seconds       = 10
    probe_settle_seconds = 11
  }
  expect_failures = [var.probe_settle_seconds]
}

run "probe_settle_seconds_must_be_at_least_one" {
  command = plan
  variables {
    probe_settle_seconds = 0
  }
  expect_failures = [var.probe_settle_seconds]
}

run "probe_settle_seconds_unset_leaves_the_functions_default" {
  command = plan
  assert {
    condition     = !contains(keys(module.scale_down.configuration.environment_variables), "PROBE_SETTLE_SECONDS")
    error_message = "Unset, the function picks 3 s (or settle_seconds where shorter) itself."
  }
}

run "settle_seconds_must_fit_in_the_scale_down_timeout" {
  command = plan
  variables {
    settle_seconds     = 200
    scale_down_timeout = 240
  }
  expect_failures = [var.settle_seconds]
}

run "settle_seconds_must_fit_in_the_orphan_cleanup_timeout" {
  command = plan
  variables {
    settle_seconds         = 100
    orphan_cleanup_timeout = 170
  }
  # 100 + 60 + 2 x 10 (probe rounds) = 180 > 170.
  expect_failures = [var.settle_seconds]
}

run "without_the_probe_its_rounds_need_no_room" {
  command = plan
  variables {
    settle_seconds         = 100
    orphan_cleanup_timeout = 170
    enable_probe           = false
  }
  assert {
    condition     = module.orphan_cleanup.configuration.timeout == 170
    error_message = "100 + 60 fits in 170 without probe rounds."
  }
}

run "max_job_duration_below_thirty_minutes_is_rejected" {
  command = plan
  variables {
    max_job_duration_minutes = 29
  }
  expect_failures = [var.max_job_duration_minutes]
}

run "unregistered_hold_longer_than_the_longest_job_is_rejected" {
  command = plan
  variables {
    max_job_duration_minutes  = 60
    unregistered_hold_minutes = 61
  }
  expect_failures = [var.unregistered_hold_minutes]
}

run "exactly_one_of_environment_and_environments" {
  command = plan
  variables {
    environments = ["gh-ci", "gh-ci-arm"]
  }
  expect_failures = [var.environments]
}

run "neither_environment_nor_environments" {
  command = plan
  variables {
    environment = null
  }
  expect_failures = [var.environments]
}

run "ghes_url_and_github_api_url_together_are_rejected" {
  command = plan
  variables {
    ghes_url       = "https://github.example.com"
    github_api_url = "https://github.example.com/api/v3"
  }
  expect_failures = [var.ghes_url]
}

run "ghes_url_of_github_com_is_rejected" {
  command = plan
  variables {
    ghes_url = "https://github.com"
  }
  expect_failures = [var.ghes_url]
}

run "ghes_url_with_a_path_is_rejected" {
  command = plan
  variables {
    ghes_url = "https://github.example.com/api/v3"
  }
  expect_failures = [var.ghes_url]
}

run "reserved_document_prefix_is_rejected" {
  command = plan
  variables {
    environment = "aws-ci"
  }
  expect_failures = [var.prefix]
}

run "rejects_bad_inputs" {
  command = plan
  variables {
    environment                        = " spaced "
    job_evidence                       = "maybe"
    lambda_runtime                     = "nodejs24.x"
    scale_down_schedule_expression     = "every 5 minutes"
    orphan_cleanup_schedule_expression = "cron(* * * *)"
    log_retention_in_days              = 10
    github_api_url                     = "api.github.com"
    idle_config                        = [{ cron = "* *", idleCount = 1 }]
    max_job_duration_minutes           = 0
    reserved_concurrent_executions     = 5
    idle_pool_scope                    = "repo"
    probe_timeout_seconds              = 1
    minimum_running_time_in_minutes    = -1
    unregistered_hold_max_instances    = 1.5
    github_ca_bundle_parameter         = "not a name"
  }
  expect_failures = [
    var.environment,
    var.job_evidence,
    var.lambda_runtime,
    var.scale_down_schedule_expression,
    var.orphan_cleanup_schedule_expression,
    var.log_retention_in_days,
    var.github_api_url,
    var.idle_config,
    var.max_job_duration_minutes,
    var.reserved_concurrent_executions,
    var.idle_pool_scope,
    var.probe_timeout_seconds,
    var.minimum_running_time_in_minutes,
    var.unregistered_hold_max_instances,
    var.github_ca_bundle_parameter,
  ]
}
