# Plans this example with a mocked AWS provider (run by test/terraform/static.test.ts). The
# github-aws-runners module's outputs are given as that module (v7.11.0) shapes them; the
# switch-over's reads of the deployed reaper and the fleet are overridden per run.

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
  github_runner_prefix = "fleet-x"
  github_runner = {
    ssm_parameters = {
      id         = { name = "/github-action-runners/fleet-x/app/github_app_id", arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet-x/app/github_app_id" }
      key_base64 = { name = "/github-action-runners/fleet-x/app/github_app_key_base64", arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet-x/app/github_app_key_base64" }
    }
    runners = {
      role_runner = [{ name = "fleet-x-runner-1a2b3c4d", arn = "arn:aws:iam::111122223333:role/fleet-x/fleet-x-runner-1a2b3c4d" }]
      lambda_down = {
        function_name = "fleet-x-scale-down"
        environment = [{ variables = {
          ENVIRONMENT                     = "fleet-x"
          SCALE_DOWN_CONFIG               = "[{\"cron\":\"* * 8-18 * * 1-5\",\"evictionStrategy\":\"oldest_first\",\"idleCount\":2,\"timeZone\":\"Europe/Amsterdam\"}]"
          MINIMUM_RUNNING_TIME_IN_MINUTES = "5"
        } }]
      }
    }
  }
  idle_config = [{ cron = "* * 8-18 * * 1-5", timeZone = "Europe/Amsterdam", idleCount = 2 }]
}

# Nothing deployed yet, no instance tagged: what the first apply sees.
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

run "takes_every_name_from_that_modules_outputs" {
  command = plan

  assert {
    condition = jsondecode(module.runner_reaper.scale_down.policy_json).Statement[3].Resource == [
      "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet-x/app/github_app_id",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet-x/app/github_app_key_base64",
    ]
    error_message = "The reaper must read the App parameters named by that module's ssm_parameters output."
  }
  assert {
    condition     = keys(aws_iam_role_policy.runner_reaper_hooks) == ["fleet-x-runner-1a2b3c4d"] && aws_iam_role_policy.runner_reaper_hooks["fleet-x-runner-1a2b3c4d"].policy == module.runner_reaper.runner_hooks.instance_policy_json
    error_message = "The hooks' policy must go on the role of that module's runners.role_runner output."
  }
  assert {
    condition     = length(aws_iam_policy.runner_reaper_hooks) == 0 && output.github_runner_inputs.runner_iam_role_managed_policy_arns == []
    error_message = "With role-policy, no managed policy is created."
  }
}

run "stage_github_aws_runners_keeps_its_scale_down_and_installs_the_hooks" {
  command = plan

  assert {
    condition     = output.github_runner_inputs.scale_down_schedule_expression == "cron(*/5 * * * ? *)"
    error_message = "In stage github-aws-runners that module keeps its own schedule."
  }
  assert {
    condition     = module.runner_reaper.scale_down.schedule_rule_name != "" && output.stage == { now = "github-aws-runners", previous = "none" }
    error_message = "The stage must be reported."
  }
  assert {
    condition = (output.github_runner_inputs.runner_hook_job_started == module.runner_reaper.runner_hooks.github_aws_runners.runner_hook_job_started
      && output.github_runner_inputs.runner_hook_job_completed == module.runner_reaper.runner_hooks.github_aws_runners.runner_hook_job_completed
    && output.github_runner_inputs.userdata_post_install == module.runner_reaper.runner_hooks.user_data)
    error_message = "The hook inputs of that module get the reaper's chains, userdata_post_install the boot check."
  }
  assert {
    condition     = output.github_runner_inputs.enable_ssm_on_runners
    error_message = "The probe needs that module's enable_ssm_on_runners."
  }
}

run "stage_dry_run_switches_its_scale_down_off" {
  command = plan

  variables {
    stage = "dry-run"
  }

  assert {
    condition     = output.github_runner_inputs.scale_down_schedule_expression == "cron(0 0 1 1 ? 1970)"
    error_message = "In stage dry-run that module's scale-down gets a schedule that never fires."
  }
}

run "no_hooks_on_windows" {
  command = plan

  variables {
    runner_os = "windows"
  }

  assert {
    condition     = output.github_runner_inputs.runner_hook_job_started == "" && output.github_runner_inputs.runner_hook_job_completed == "" && output.github_runner_inputs.userdata_post_install == ""
    error_message = "That module's Windows user data has no hook block, and a shell snippet does not belong in it."
  }
}

run "managed_policy_for_its_runner_iam_role_managed_policy_arns" {
  command = plan

  variables {
    instance_policy_attachment = "managed-policy"
  }

  assert {
    condition     = length(aws_iam_policy.runner_reaper_hooks) == 1 && length(aws_iam_role_policy.runner_reaper_hooks) == 0 && length(output.github_runner_inputs.runner_iam_role_managed_policy_arns) == 1
    error_message = "With managed-policy, one managed policy for that module's runner_iam_role_managed_policy_arns, no inline one."
  }
}

run "a_copied_idle_config_that_differs_is_reported" {
  command = plan

  variables {
    idle_config = [{ cron = "* * 8-18 * * 1-5", timeZone = "Europe/Amsterdam", idleCount = 3 }]
  }

  expect_failures = [check.same_idle_config_as_its_scale_down]
}

run "an_overridden_runner_role_needs_extra_runner_role_names" {
  command = plan

  variables {
    github_runner = {
      ssm_parameters = {
        id         = { name = "/a/id", arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/a/id" }
        key_base64 = { name = "/a/key", arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/a/key" }
      }
      runners = {
        role_runner = []
        lambda_down = { function_name = "fleet-x-scale-down", environment = [{ variables = { ENVIRONMENT = "fleet-x" } }] }
      }
    }
    idle_config = []
  }

  expect_failures = [check.the_runner_role_gets_the_hooks_policy]
}
