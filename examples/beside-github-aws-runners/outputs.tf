output "github_runner_inputs" {
  description = "Give these to your github-aws-runners module call (README.md): its scale-down schedule for this stage; the job hooks for its `runner_hook_job_started` / `runner_hook_job_completed` and the boot check that proves them for `userdata_post_install` (append it to yours; empty strings unless runner_os is linux); the hooks' policy for `runner_iam_role_managed_policy_arns` (with instance_policy_attachment = \"managed-policy\"; add your own ARNs); and `enable_ssm_on_runners` for the probe."
  value = {
    scale_down_schedule_expression      = module.switch_over.github_runner_schedules.fleet
    runner_hook_job_started             = local.install_hooks ? module.runner_reaper.runner_hooks.github_aws_runners.runner_hook_job_started : ""
    runner_hook_job_completed           = local.install_hooks ? module.runner_reaper.runner_hooks.github_aws_runners.runner_hook_job_completed : ""
    userdata_post_install               = local.install_hooks ? module.runner_reaper.runner_hooks.user_data : ""
    runner_iam_role_managed_policy_arns = aws_iam_policy.runner_reaper_hooks[*].arn
    enable_ssm_on_runners               = var.enable_probe
  }
}

output "stage" {
  description = "This apply's stage, and the one the last apply left."
  value       = { now = var.stage, previous = module.switch_over.previous_stage }
}

output "clear_tags_command" {
  description = "Rolling back, in stage dry-run: removes the reaper's tags from the fleet's instances before that module's scale-down comes back."
  value       = module.switch_over.clear_tags_command
}

output "runner_reaper" {
  description = "The reaper's functions (names, roles, log groups, schedule rules)."
  value = {
    scale_down     = module.runner_reaper.scale_down
    orphan_cleanup = module.runner_reaper.orphan_cleanup
  }
}
