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

run "launch_template_installs_the_hooks" {
  command = plan

  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner.user_data), "ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/opt/runner-reaper/job-completed.sh")
    error_message = "The runner user data must install the job hooks."
  }
  assert {
    condition     = strcontains(base64decode(aws_launch_template.runner.user_data), "sh '/opt/runner-reaper/check-hooks.sh' --background")
    error_message = "The runner user data must start the hooks' boot check."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.runner_ssm.policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    error_message = "The runners need the SSM agent's permissions for the probe."
  }
  assert {
    condition     = aws_launch_template.runner.metadata_options[0].http_tokens == "required"
    error_message = "The hooks use IMDSv2: the launch template must require tokens."
  }
  assert {
    condition     = aws_launch_template.runner.tag_specifications[0].tags["ghr:environment"] == "repo-ci" && aws_launch_template.runner.tag_specifications[0].tags["ghr:Type"] == "Repo"
    error_message = "Runner instances must carry the tags the reaper recognises."
  }
  assert {
    condition     = aws_iam_role_policy.runner_job_hooks.policy == module.runner_reaper.runner_hooks.instance_policy_json
    error_message = "The runner role must get the hook policy."
  }
}
