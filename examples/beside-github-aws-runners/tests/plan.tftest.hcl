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

run "reads_the_runners_module_parameters_and_tags" {
  command = plan

  variables {
    runners_prefix            = "fleet-x"
    runner_instance_role_name = "fleet-x-runner-role"
  }

  assert {
    condition = jsondecode(module.runner_reaper.scale_down.policy_json).Statement[3].Resource == [
      "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet-x/app/github_app_id",
      "arn:aws:ssm:eu-west-1:111122223333:parameter/github-action-runners/fleet-x/app/github_app_key_base64",
    ]
    error_message = "The reaper must read the GitHub App parameters the runners module writes."
  }
  assert {
    condition     = jsondecode(module.runner_reaper.orphan_cleanup.policy_json).Statement[1].Condition.StringEquals["aws:ResourceTag/ghr:environment"] == "fleet-x"
    error_message = "The reaper must own the runners module's ghr:environment (its prefix)."
  }
  assert {
    condition     = aws_iam_role_policy.runner_job_hooks.role == "fleet-x-runner-role" && aws_iam_role_policy.runner_job_hooks.policy == module.runner_reaper.runner_hooks.instance_policy_json
    error_message = "The hook policy must be attached to the runner instance role."
  }
  assert {
    condition     = strcontains(output.runner_user_data, "ACTIONS_RUNNER_HOOK_JOB_STARTED=/opt/runner-reaper/job-started.sh")
    error_message = "The user data for userdata_post_install must install the hooks."
  }
}
