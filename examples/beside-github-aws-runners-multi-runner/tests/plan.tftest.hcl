# Plans this example with a mocked AWS provider (run by test/terraform/static.test.ts). The
# multi-runner module's outputs are given as that module (v7.11.0) shapes them, for a
# Linux and a Windows runner type.

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
  github_runner_prefix = "fleet"
  runner_types         = { linux-x64 = "linux", win = "windows" }
  github_runner = {
    ssm_parameters = {
      id         = { name = "/github-action-runners/fleet/app/github_app_id", arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet/app/github_app_id" }
      key_base64 = { name = "/github-action-runners/fleet/app/github_app_key_base64", arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet/app/github_app_key_base64" }
    }
    runners_map = {
      linux-x64 = {
        role_runner = [{ name = "fleet-linux-x64-runner-0a1b2c3d", arn = "arn:aws:iam::111122223333:role/fleet-linux-x64/fleet-linux-x64-runner-0a1b2c3d" }]
        lambda_down = { function_name = "fleet-linux-x64-scale-down", environment = [{ variables = { ENVIRONMENT = "fleet-linux-x64", SCALE_DOWN_CONFIG = "[]", MINIMUM_RUNNING_TIME_IN_MINUTES = "5" } }] }
      }
      win = {
        role_runner = [{ name = "fleet-win-runner-4e5f6a7b", arn = "arn:aws:iam::111122223333:role/fleet-win/fleet-win-runner-4e5f6a7b" }]
        lambda_down = { function_name = "fleet-win-scale-down", environment = [{ variables = { ENVIRONMENT = "fleet-win", SCALE_DOWN_CONFIG = "[]", MINIMUM_RUNNING_TIME_IN_MINUTES = "15" } }] }
      }
    }
  }
}

override_data {
  target = module.switch_over.data.aws_lambda_functions.all
  values = { function_names = [] }
}
override_data {
  target = module.switch_over.data.aws_instances.draining
  values = { ids = [] }
}
override_data {
  target = module.switch_over.data.aws_instances.marked
  values = { ids = [] }
}

run "one_deployment_owns_every_runner_type" {
  command = plan

  assert {
    condition     = output.environments == { linux-x64 = "fleet-linux-x64", win = "fleet-win" }
    error_message = "Each runner type is the environment <prefix>-<key>."
  }
  assert {
    condition     = toset(jsondecode(module.runner_reaper.orphan_cleanup.policy_json).Statement[1].Condition.StringEquals["aws:ResourceTag/ghr:environment"]) == toset(["fleet-linux-x64", "fleet-win"])
    error_message = "The reaper's IAM must be scoped to exactly the runner types' environments."
  }
  assert {
    condition     = module.runner_reaper.prefix == "fleet-reaper"
    error_message = "The reaper's resources are named after the shared prefix."
  }
  assert {
    condition = jsondecode(module.runner_reaper.scale_down.policy_json).Statement[3].Resource == [
      "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet/app/github_app_id",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet/app/github_app_key_base64",
    ]
    error_message = "The App parameters are the shared ones of the ssm_parameters output."
  }
  assert {
    condition     = toset(keys(aws_iam_role_policy.runner_reaper_hooks)) == toset(["fleet-linux-x64-runner-0a1b2c3d", "fleet-win-runner-4e5f6a7b"])
    error_message = "Each runner type's role (runners_map[<key>].role_runner) gets the hooks' policy."
  }
}

run "each_type_gets_its_own_switch_and_only_linux_types_the_hooks" {
  command = plan

  variables {
    stage                                         = "dry-run"
    github_runner_scale_down_schedule_expressions = { win = "cron(0/15 * * * ? *)" }
  }

  assert {
    condition     = output.runner_config["linux-x64"].scale_down_schedule_expression == "cron(0 0 1 1 ? 1970)" && output.runner_config["win"].scale_down_schedule_expression == "cron(0 0 1 1 ? 1970)"
    error_message = "In stage dry-run every type's scale-down gets a schedule that never fires."
  }
  assert {
    condition     = output.runner_config["linux-x64"].runner_hook_job_started == module.runner_reaper.runner_hooks.github_aws_runners.runner_hook_job_started && output.userdata_post_install["linux-x64"] == module.runner_reaper.runner_hooks.user_data
    error_message = "Linux types get the hook chains and the boot check."
  }
  assert {
    condition     = !contains(keys(output.runner_config["win"]), "runner_hook_job_started") && output.userdata_post_install["win"] == ""
    error_message = "Windows types get no hooks, so merging runner_config keeps their own."
  }
  assert {
    condition     = !contains(keys(output.runner_config["linux-x64"]), "runner_iam_role_managed_policy_arns")
    error_message = "With role-policy, runner_config must not replace a type's own managed policy list."
  }
}

run "each_type_keeps_its_own_schedule_in_stage_github_aws_runners" {
  command = plan

  variables {
    github_runner_scale_down_schedule_expressions = { win = "cron(0/15 * * * ? *)" }
  }

  assert {
    condition     = output.runner_config["win"].scale_down_schedule_expression == "cron(0/15 * * * ? *)" && output.runner_config["linux-x64"].scale_down_schedule_expression == "cron(*/5 * * * ? *)"
    error_message = "In stage github-aws-runners each type keeps its own schedule."
  }
}

run "types_with_another_idle_config_are_reported" {
  command = plan

  variables {
    idle_config = [{ cron = "* * 8-18 * * 1-5", timeZone = "UTC", idleCount = 1 }]
  }

  expect_failures = [check.same_idle_config_as_its_scale_downs]
}

run "a_type_missing_from_runners_map_is_reported" {
  command = plan

  variables {
    runner_types = { linux-x64 = "linux", win = "windows", arm = "linux" }
  }

  expect_failures = [check.every_runner_type_is_in_runners_map, check.every_runner_role_gets_the_hooks_policy]
}
