output "job_started_script" {
  description = "Content of the job-started hook script."
  value       = local.job_started_script
}

output "job_completed_script" {
  description = "Content of the job-completed hook script."
  value       = local.job_completed_script
}

output "check_hooks_script" {
  description = "Content of the boot check that writes the ghr:job-hooks marker."
  value       = local.check_hooks_script
}

output "job_started_path" {
  description = "Where the user-data snippet installs the job-started hook."
  value       = local.job_started_path
}

output "job_completed_path" {
  description = "Where the user-data snippet installs the job-completed hook."
  value       = local.job_completed_path
}

output "user_data" {
  description = "Shell snippet for the runner's user data (run as root before the runner starts): installs both hooks, sets ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED in the runner's .env, and starts the boot check in the background, which tags the instance ghr:job-hooks once the runner has started and really calls the hooks (directly or through the `github_aws_runners` chains)."
  value       = local.user_data
}

output "github_aws_runners" {
  description = "For the github-aws-runners module's `runner_hook_job_started` / `runner_hook_job_completed` inputs (root or per multi-runner type): script contents that run the reaper's hook and the team's own (`existing_hooks`), keeping the team hook's exit status. That module writes them to /opt/actions-runner/hook_job_*.sh after `userdata_post_install`, so its lines are the effective ones; `user_data` in `userdata_post_install` adds the boot check that verifies this."
  value = {
    runner_hook_job_started   = local.chains.job_started
    runner_hook_job_completed = local.chains.job_completed
  }
}

output "contract_version" {
  description = "The hook contract version, the value of the ghr:job-hooks marker (HOOKS_CONTRACT_VERSION in lambda/src/core/tags.ts)."
  value       = local.contract_version
}

output "instance_policy_json" {
  description = "IAM policy for the runner instance role: create and delete only the hook contract's tags (ghr:job, ghr:job-started-at, ghr:last-job-completed-at, ghr:job-hooks), only on the instance itself."
  value       = jsonencode(local.instance_policy)
}
