# Plan-level checks of the root module with a mocked AWS provider: variables reach the
# right environment variables, IAM is scoped as docs/design.md and issue 4 require,
# schedules and runtime are what the inputs say. Run by test/terraform/tftest.test.ts:
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
    condition     = module.scale_down.configuration.environment_variables.JOB_EVIDENCE == "off"
    error_message = "job_evidence must default to off (conservative)."
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
    condition     = !contains(keys(module.scale_down.configuration.environment_variables), "PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME")
    error_message = "Without an installation id parameter the variable must be absent."
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
    minimum_running_time_in_minutes = 7
    runner_boot_time_in_minutes     = 11
    idle_confirmation_seconds       = 13
    max_job_duration_minutes        = 17
    job_evidence                    = "hooks"
    settle_seconds                  = 19
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
  }

  assert {
    condition = alltrue([for f in [module.scale_down, module.orphan_cleanup] : (
      f.configuration.environment_variables.ENVIRONMENT == "fleet-a" &&
      f.configuration.environment_variables.PARAMETER_GITHUB_APP_ID_NAME == "/p/app-id" &&
      f.configuration.environment_variables.PARAMETER_GITHUB_APP_KEY_BASE64_NAME == "/p/app-key" &&
      f.configuration.environment_variables.PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME == "/p/installation" &&
      f.configuration.environment_variables.GITHUB_API_URL == "https://ghe.example.com/api/v3" &&
      f.configuration.environment_variables.MINIMUM_RUNNING_TIME_IN_MINUTES == "7" &&
      f.configuration.environment_variables.RUNNER_BOOT_TIME_IN_MINUTES == "11" &&
      f.configuration.environment_variables.IDLE_CONFIRMATION_SECONDS == "13" &&
      f.configuration.environment_variables.MAX_JOB_DURATION_MINUTES == "17" &&
      f.configuration.environment_variables.JOB_EVIDENCE == "hooks" &&
      f.configuration.environment_variables.SETTLE_SECONDS == "19" &&
      f.configuration.environment_variables.GITHUB_CONCURRENCY == "23" &&
      f.configuration.environment_variables.DRY_RUN == "true" &&
      f.configuration.environment_variables.LOG_LEVEL == "DEBUG" &&
      f.configuration.environment_variables.POWERTOOLS_METRICS_NAMESPACE == "Ns29"
    )])
    error_message = "An input is not wired to its environment variable on both functions."
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
    condition = jsondecode(module.scale_down.policy_json).Statement[3].Resource == [
      "arn:aws:ssm:eu-west-1:111122223333:parameter/p/app-id",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/p/app-key",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/p/installation",
    ]
    error_message = "ssm:GetParameter must cover exactly the three named parameters."
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
      [for s in jsondecode(p).Statement : s.Sid] == ["DescribeInstances", "TerminateFleetInstances", "TagFleetInstancesWithReaperKeys", "ReadGitHubAppParameters", "WriteOwnLogGroup"]
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
    condition = jsondecode(module.scale_down.policy_json).Statement[1].Condition == {
      StringEquals = { "aws:ResourceTag/ghr:environment" = "gh-ci", "aws:ResourceTag/ghr:Application" = "github-action-runner" }
    }
    error_message = "TerminateInstances must require both ghr:environment and ghr:Application."
  }
  assert {
    condition     = jsondecode(module.scale_down.policy_json).Statement[1].Resource == ["arn:aws:ec2:eu-west-1:111122223333:instance/*"] && jsondecode(module.scale_down.policy_json).Statement[1].Action == ["ec2:TerminateInstances"]
    error_message = "TerminateInstances must be limited to this account's and region's instances."
  }
  assert {
    condition = jsondecode(module.orphan_cleanup.policy_json).Statement[2].Condition == {
      StringEquals                = { "aws:ResourceTag/ghr:environment" = "gh-ci", "aws:ResourceTag/ghr:Application" = "github-action-runner" }
      "ForAllValues:StringEquals" = { "aws:TagKeys" = ["ghr:idle-since", "ghr:draining-since", "ghr:orphan", "ghr:orphan-since"] }
      Null                        = { "aws:TagKeys" = "false" }
    }
    error_message = "CreateTags/DeleteTags must require both fleet tags and only the reaper's own keys."
  }
  assert {
    condition     = jsondecode(module.scale_down.policy_json).Statement[4].Resource == ["arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/gh-ci-reaper-scale-down:*"]
    error_message = "Logs must be limited to the function's own log group."
  }
  assert {
    condition     = jsondecode(module.orphan_cleanup.policy_json).Statement[4].Resource == ["arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/gh-ci-reaper-orphan-cleanup:*"]
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
    condition = jsondecode(module.scale_down.policy_json).Statement[4] == {
      Sid       = "DecryptGitHubAppParametersThroughSsm"
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = ["arn:aws:kms:eu-west-1:111122223333:key/ssm"]
      Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com" } }
    }
    error_message = "kms:Decrypt must be on the SSM key only, and only through SSM."
  }
  assert {
    condition     = jsondecode(module.scale_down.policy_json).Statement[6].Sid == "ManageVpcNetworkInterfaces"
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

  assert {
    condition = jsondecode(output.runner_hooks.instance_policy_json).Statement == [{
      Sid      = "TagOwnInstanceWithJobKeys"
      Effect   = "Allow"
      Action   = ["ec2:CreateTags", "ec2:DeleteTags"]
      Resource = ["arn:aws:ec2:*:*:instance/*"]
      Condition = {
        StringEquals                = { "aws:ARN" = "$${ec2:SourceInstanceARN}", "aws:ResourceTag/ghr:environment" = "gh-ci" }
        "ForAllValues:StringEquals" = { "aws:TagKeys" = ["ghr:job", "ghr:job-started-at", "ghr:last-job-completed-at"] }
        Null                        = { "aws:TagKeys" = "false" }
      }
    }]
    error_message = "The instance policy must let an instance tag only itself, only with the ghr:job* keys."
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
    condition     = strcontains(output.runner_hooks.job_started_script, "ghr:job-started-at") && strcontains(output.runner_hooks.job_completed_script, "ghr:last-job-completed-at")
    error_message = "The hook scripts are not the job-started/job-completed scripts."
  }
}

run "timeout_must_exceed_settle" {
  command = plan
  variables {
    settle_seconds     = 200
    scale_down_timeout = 240
  }
  expect_failures = [var.scale_down_timeout, var.orphan_cleanup_timeout]
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
  ]
}
