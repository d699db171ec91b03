output "runner_config" {
  description = "Per runner type, merge into that type's `runner_config` of your multi_runner_config (README.md): its scale-down schedule for this stage, `enable_ssm_on_runners` for the probe and, for Linux types, the job hooks (`runner_hook_job_started` / `runner_hook_job_completed`). With instance_policy_attachment = \"managed-policy\" also `runner_iam_role_managed_policy_arns` (concatenate it with the type's own). The boot check goes into `userdata_post_install`: see the output of that name."
  value = { for key, os in var.runner_types : key => merge(
    {
      scale_down_schedule_expression = module.switch_over.github_runner_schedules[key]
      enable_ssm_on_runners          = var.enable_probe
    },
    # Keys only where they apply, so that the merge never replaces a type's own value with an empty one.
    { for name, script in module.runner_reaper.runner_hooks.github_aws_runners : name => script if contains(local.hook_types, key) },
    { for name, arns in { runner_iam_role_managed_policy_arns = aws_iam_policy.runner_reaper_hooks[*].arn } : name => arns if var.instance_policy_attachment == "managed-policy" },
  ) }
}

output "userdata_post_install" {
  description = "Per runner type, the snippet to append to its `userdata_post_install`: installs the hooks' boot check, which tags an instance ghr:job-hooks once the runner really calls the reaper's hooks. Empty for types that are not Linux."
  value       = { for key, os in var.runner_types : key => contains(local.hook_types, key) ? module.runner_reaper.runner_hooks.user_data : "" }
}

output "environments" {
  description = "The ghr:environment of each runner type, as the reaper owns them."
  value       = local.environments
}

output "stage" {
  description = "This apply's stage, and the one the last apply left."
  value       = { now = var.stage, previous = module.switch_over.previous_stage }
}

output "clear_tags_command" {
  description = "Rolling back, in stage dry-run: removes the reaper's tags from every runner type's instances before the scale-downs of that module come back."
  value       = module.switch_over.clear_tags_command
}

output "runner_reaper" {
  description = "The reaper's functions (names, roles, log groups, schedule rules)."
  value = {
    scale_down     = module.runner_reaper.scale_down
    orphan_cleanup = module.runner_reaper.orphan_cleanup
  }
}
