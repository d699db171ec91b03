# The switch-over's rules, planned with a mocked provider: the stage of the last apply (read
# from the reaper function's tag) and the fleet's instances decide whether a stage may come
# next. Run by test/terraform/switch-over.test.ts (and against moto there).

mock_provider "aws" {}

variables {
  environments                    = ["gh-ci"]
  reaper_scale_down_function_name = "gh-ci-reaper-scale-down"
  reaper_schedules                = { scale_down = "cron(*/5 * * * ? *)", orphan_cleanup = "rate(10 minutes)" }
  github_runner_schedules         = { fleet = "cron(0/10 * * * ? *)" }
}

run "none_then_github_aws_runners_is_allowed" {
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

run "none_then_dry_run_is_allowed" {
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

run "dry_run_then_runner_reaper_is_allowed" {
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

run "runner_reaper_then_hand_back_is_allowed" {
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

run "hand_back_then_dry_run_is_allowed" {
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

run "dry_run_then_github_aws_runners_is_allowed" {
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
  assert {
    condition     = strcontains(output.clear_tags_command, "Name=tag:ghr:environment,Values=gh-ci") && strcontains(output.clear_tags_command, "Key=ghr:idle-since") && strcontains(output.clear_tags_command, "Key=ghr:reaper-orphan-since") && !strcontains(output.clear_tags_command, "draining")
    error_message = "The clear command must cover the environment and the reaper's idle and orphan marks, never ghr:draining-since."
  }
}

# The reaper's first apply may not let it act: that module's scale-down is switched off in that same apply.
run "none_then_runner_reaper_is_refused" {
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

# Skipping dry-run: the same.
run "github_aws_runners_then_runner_reaper_is_refused" {
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

# Deployed without a stage (0.1.0): it may be acting.
run "unknown_then_github_aws_runners_is_refused" {
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

# The reaper was acting in the last apply.
run "runner_reaper_then_github_aws_runners_is_refused" {
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

# Its orphan-cleanup was acting in the last apply.
run "hand_back_then_github_aws_runners_is_refused" {
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

run "back_to_github_aws_runners_is_refused_while_an_instance_is_held" {
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
    values = { ids = [] }
  }
  expect_failures = [output.github_runner_schedules]
}

run "back_to_github_aws_runners_is_refused_while_the_reapers_tags_remain" {
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
