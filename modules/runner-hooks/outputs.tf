output "job_started_script" {
  description = "Content of the job-started hook script."
  value       = local.job_started_script
}

output "job_completed_script" {
  description = "Content of the job-completed hook script."
  value       = local.job_completed_script
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
  description = "Shell snippet for the runner's user data: installs both hooks and sets ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED in the runner's .env. Run it as root before the runner starts."
  value       = local.user_data
}

output "instance_policy_json" {
  description = "IAM policy for the runner instance role: create and delete only the ghr:job* tags, only on the instance itself."
  value       = jsonencode(local.instance_policy)
}
