# Plans this example with a mocked AWS provider (run by test/terraform/static.test.ts).

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

run "plans_as_written" {
  command = plan

  assert {
    condition     = output.scale_down_function == "gh-ci-reaper-scale-down" && output.orphan_cleanup_function == "gh-ci-reaper-orphan-cleanup"
    error_message = "The example must deploy both functions for gh-ci."
  }
  assert {
    condition     = jsondecode(module.runner_reaper.scale_down.policy_json).Statement[1].Condition.StringEquals["aws:ResourceTag/ghr:environment"] == "gh-ci"
    error_message = "The reaper must be scoped to the gh-ci fleet."
  }
}
