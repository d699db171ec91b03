# The runner side of job evidence: two hook scripts, a user-data snippet that installs
# them, and the policy the runner instance role needs to run them. No resources.

locals {
  job_started_script   = file("${path.module}/scripts/job-started.sh")
  job_completed_script = file("${path.module}/scripts/job-completed.sh")

  job_started_path   = "${var.install_dir}/job-started.sh"
  job_completed_path = "${var.install_dir}/job-completed.sh"

  # Quoted heredocs: the scripts are written byte for byte, nothing is expanded.
  user_data = join("\n", [
    "# runner-reaper job hooks: tag the instance while a job runs",
    "mkdir -p '${var.install_dir}'",
    "cat > '${local.job_started_path}' <<'RUNNER_REAPER_JOB_STARTED'",
    trimsuffix(local.job_started_script, "\n"),
    "RUNNER_REAPER_JOB_STARTED",
    "cat > '${local.job_completed_path}' <<'RUNNER_REAPER_JOB_COMPLETED'",
    trimsuffix(local.job_completed_script, "\n"),
    "RUNNER_REAPER_JOB_COMPLETED",
    "chmod 0755 '${local.job_started_path}' '${local.job_completed_path}'",
    "mkdir -p \"$(dirname '${var.runner_env_file}')\"",
    "touch '${var.runner_env_file}'",
    "sed -i '/^ACTIONS_RUNNER_HOOK_JOB_STARTED=/d; /^ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/d' '${var.runner_env_file}'",
    "echo 'ACTIONS_RUNNER_HOOK_JOB_STARTED=${local.job_started_path}' >> '${var.runner_env_file}'",
    "echo 'ACTIONS_RUNNER_HOOK_JOB_COMPLETED=${local.job_completed_path}' >> '${var.runner_env_file}'",
    "",
  ])

  # An instance may tag only itself: the target's ARN (aws:ARN) must equal the ARN of the
  # instance the credentials were issued to (the ec2:SourceInstanceARN policy variable),
  # the target must carry the fleet's environment tag, and only the hook keys may be
  # written or removed.
  instance_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid      = "TagOwnInstanceWithJobKeys"
      Effect   = "Allow"
      Action   = ["ec2:CreateTags", "ec2:DeleteTags"]
      Resource = ["arn:${var.partition}:ec2:*:*:instance/*"]
      Condition = {
        StringEquals = {
          "aws:ARN"                         = "$${ec2:SourceInstanceARN}"
          "aws:ResourceTag/ghr:environment" = var.environment
        }
        "ForAllValues:StringEquals" = { "aws:TagKeys" = ["ghr:job", "ghr:job-started-at", "ghr:last-job-completed-at"] }
        Null                        = { "aws:TagKeys" = "false" }
      }
    }]
  }
}
