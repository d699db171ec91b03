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
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:111122223333:gh-ci-reaper-alerts" }
  }
}

run "plans_as_written" {
  # apply (on the mock provider): the alarms' ARNs are known only then.
  command = apply

  assert {
    condition     = output.scale_down_function == "gh-ci-reaper-scale-down" && output.orphan_cleanup_function == "gh-ci-reaper-orphan-cleanup"
    error_message = "The example must deploy both functions for gh-ci."
  }
  assert {
    condition     = jsondecode(module.runner_reaper.scale_down.policy_json).Statement[1].Condition.StringEquals["aws:ResourceTag/ghr:environment"] == "gh-ci"
    error_message = "The reaper must be scoped to the gh-ci fleet."
  }
  assert {
    condition     = module.runner_reaper.probe_document_name == "gh-ci-reaper-probe" && output.dashboard == "gh-ci-reaper"
    error_message = "The example must create the probe document and the dashboard."
  }
  assert {
    condition     = length(module.runner_reaper.alarm_arns) == 7
    error_message = "The example must create the seven default alarms."
  }
}
