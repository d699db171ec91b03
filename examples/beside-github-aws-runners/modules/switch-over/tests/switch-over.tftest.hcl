# The switch-over's rules, planned with a mocked provider for every pair of (stage of the
# last apply, stage now), and the fleet checks. Run by test/terraform/examples-apply.test.ts.

mock_provider "aws" {}

variables {
  environments                    = ["gh-ci"]
  reaper_scale_down_function_name = "gh-ci-reaper-scale-down"
  reaper_schedules                = { scale_down = "cron(*/5 * * * ? *)", orphan_cleanup = "rate(10 minutes)" }
  github_runner_schedules         = { fleet = "cron(0/10 * * * ? *)" }
}

run "from_none_to_github_aws_runners" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = [] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "none"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_none_to_dry_run" {
  command = plan
  variables { stage = "dry-run" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = [] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "none"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_none_to_runner_reaper" {
  command = plan
  variables { stage = "runner-reaper" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = [] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.reaper]
}

run "from_none_to_hand_back" {
  command = plan
  variables { stage = "hand-back" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = [] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.reaper]
}

run "from_unknown_to_github_aws_runners" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.github_runner_schedules]
}

run "from_unknown_to_dry_run" {
  command = plan
  variables { stage = "dry-run" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "unknown"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_unknown_to_runner_reaper" {
  command = plan
  variables { stage = "runner-reaper" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.reaper]
}

run "from_unknown_to_hand_back" {
  command = plan
  variables { stage = "hand-back" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.reaper]
}

run "from_github_aws_runners_to_github_aws_runners" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "github-aws-runners" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "github-aws-runners"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_github_aws_runners_to_dry_run" {
  command = plan
  variables { stage = "dry-run" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "github-aws-runners" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "github-aws-runners"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_github_aws_runners_to_runner_reaper" {
  command = plan
  variables { stage = "runner-reaper" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "github-aws-runners" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.reaper]
}

run "from_github_aws_runners_to_hand_back" {
  command = plan
  variables { stage = "hand-back" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "github-aws-runners" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.reaper]
}

run "from_dry_run_to_github_aws_runners" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "dry-run"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_dry_run_to_dry_run" {
  command = plan
  variables { stage = "dry-run" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "dry-run"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_dry_run_to_runner_reaper" {
  command = plan
  variables { stage = "runner-reaper" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "dry-run"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_dry_run_to_hand_back" {
  command = plan
  variables { stage = "hand-back" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "dry-run"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_runner_reaper_to_github_aws_runners" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "runner-reaper" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.github_runner_schedules]
}

run "from_runner_reaper_to_dry_run" {
  command = plan
  variables { stage = "dry-run" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "runner-reaper" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "runner-reaper"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_runner_reaper_to_runner_reaper" {
  command = plan
  variables { stage = "runner-reaper" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "runner-reaper" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "runner-reaper"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_runner_reaper_to_hand_back" {
  command = plan
  variables { stage = "hand-back" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "runner-reaper" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "runner-reaper"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_hand_back_to_github_aws_runners" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "hand-back" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [output.github_runner_schedules]
}

run "from_hand_back_to_dry_run" {
  command = plan
  variables { stage = "dry-run" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "hand-back" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "hand-back"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_hand_back_to_runner_reaper" {
  command = plan
  variables { stage = "runner-reaper" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "hand-back" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "hand-back"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "from_hand_back_to_hand_back" {
  command = plan
  variables { stage = "hand-back" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "hand-back" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.previous_stage == "hand-back"
    error_message = "The stage of the last apply must be read back from the function's tag."
  }
}

run "what_github_aws_runners_sets" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = [] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.github_runner_schedules.fleet == "cron(0/10 * * * ? *)"
    error_message = "Stage github-aws-runners: wrong schedule for that module's scale-down."
  }
  assert {
    condition     = output.reaper.scale_down_schedule_expression == "cron(0 0 1 1 ? 1970)" && output.reaper.orphan_cleanup_schedule_expression == "cron(0 0 1 1 ? 1970)"
    error_message = "Stage github-aws-runners: wrong schedules for the reaper."
  }
  assert {
    condition     = output.reaper.dry_run == true && output.reaper.tags == { "runner-reaper:stage" = "github-aws-runners" }
    error_message = "Stage github-aws-runners: wrong dry_run or stage tag."
  }
}

run "what_dry_run_sets" {
  command = plan
  variables { stage = "dry-run" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.github_runner_schedules.fleet == "cron(0 0 1 1 ? 1970)"
    error_message = "Stage dry-run: wrong schedule for that module's scale-down."
  }
  assert {
    condition     = output.reaper.scale_down_schedule_expression == "cron(*/5 * * * ? *)" && output.reaper.orphan_cleanup_schedule_expression == "rate(10 minutes)"
    error_message = "Stage dry-run: wrong schedules for the reaper."
  }
  assert {
    condition     = output.reaper.dry_run == true && output.reaper.tags == { "runner-reaper:stage" = "dry-run" }
    error_message = "Stage dry-run: wrong dry_run or stage tag."
  }
}

run "what_runner_reaper_sets" {
  command = plan
  variables { stage = "runner-reaper" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.github_runner_schedules.fleet == "cron(0 0 1 1 ? 1970)"
    error_message = "Stage runner-reaper: wrong schedule for that module's scale-down."
  }
  assert {
    condition     = output.reaper.scale_down_schedule_expression == "cron(*/5 * * * ? *)" && output.reaper.orphan_cleanup_schedule_expression == "rate(10 minutes)"
    error_message = "Stage runner-reaper: wrong schedules for the reaper."
  }
  assert {
    condition     = output.reaper.dry_run == false && output.reaper.tags == { "runner-reaper:stage" = "runner-reaper" }
    error_message = "Stage runner-reaper: wrong dry_run or stage tag."
  }
}

run "what_hand_back_sets" {
  command = plan
  variables { stage = "hand-back" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = output.github_runner_schedules.fleet == "cron(0 0 1 1 ? 1970)"
    error_message = "Stage hand-back: wrong schedule for that module's scale-down."
  }
  assert {
    condition     = output.reaper.scale_down_schedule_expression == "cron(0 0 1 1 ? 1970)" && output.reaper.orphan_cleanup_schedule_expression == "rate(10 minutes)"
    error_message = "Stage hand-back: wrong schedules for the reaper."
  }
  assert {
    condition     = output.reaper.dry_run == false && output.reaper.tags == { "runner-reaper:stage" = "hand-back" }
    error_message = "Stage hand-back: wrong dry_run or stage tag."
  }
}

run "back_to_github_aws_runners_refused_while_an_instance_is_draining" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = ["i-0123456789abcdef0"] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = ["i-0123456789abcdef0"] }
  }
  expect_failures = [output.github_runner_schedules]
}

run "back_to_github_aws_runners_refused_while_the_reapers_tags_remain" {
  command = plan
  variables { stage = "github-aws-runners" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = ["i-0fedcba9876543210"] }
  }
  expect_failures = [output.github_runner_schedules]
}

run "the_clear_tags_command_names_every_environment_and_mark" {
  command = plan
  variables {
    stage        = "dry-run"
    environments = ["fleet-linux-x64", "fleet-linux-arm64"]
  }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = ["gh-ci-reaper-scale-down", "other-function"] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = { "runner-reaper:stage" = "dry-run" } }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  assert {
    condition     = strcontains(output.clear_tags_command, "Name=tag:ghr:environment,Values=fleet-linux-x64,fleet-linux-arm64") && strcontains(output.clear_tags_command, "Key=ghr:draining-since") && strcontains(output.clear_tags_command, "Key=ghr:idle-since")
    error_message = "The clear command must cover every environment and the reaper's marks."
  }
}

run "an_unknown_stage_is_refused" {
  command = plan
  variables { stage = "both" }
  override_data {
    target = data.aws_lambda_functions.all
    values = { function_names = [] }
  }
  override_data {
    target = data.aws_lambda_function.reaper
    values = { tags = {} }
  }
  override_data {
    target = data.aws_instances.draining
    values = { ids = [] }
  }
  override_data {
    target = data.aws_instances.marked
    values = { ids = [] }
  }
  expect_failures = [var.stage]
}
