output "prefix" {
  description = "Prefix of every resource name."
  value       = local.prefix
}

output "scale_down" {
  description = "The scale-down function: `function_name`, `function_arn`, `role_name`, `role_arn`, `log_group_name`, `schedule_rule_name`, `policy_json`."
  value = {
    function_name      = module.scale_down.function_name
    function_arn       = module.scale_down.function_arn
    role_name          = module.scale_down.role_name
    role_arn           = module.scale_down.role_arn
    log_group_name     = module.scale_down.log_group_name
    schedule_rule_name = module.scale_down.schedule_rule_name
    policy_json        = module.scale_down.policy_json
  }
}

output "orphan_cleanup" {
  description = "The orphan-cleanup function: `function_name`, `function_arn`, `role_name`, `role_arn`, `log_group_name`, `schedule_rule_name`, `policy_json`."
  value = {
    function_name      = module.orphan_cleanup.function_name
    function_arn       = module.orphan_cleanup.function_arn
    role_name          = module.orphan_cleanup.role_name
    role_arn           = module.orphan_cleanup.role_arn
    log_group_name     = module.orphan_cleanup.log_group_name
    schedule_rule_name = module.orphan_cleanup.schedule_rule_name
    policy_json        = module.orphan_cleanup.policy_json
  }
}

output "runner_hooks" {
  description = "For the runner instances: `job_started_script`, `job_completed_script`, `user_data` (installs both, sets ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED, and starts the boot check that tags the instance `ghr:job-hooks` once the runner really calls them), `github_aws_runners` (`runner_hook_job_started` / `runner_hook_job_completed` for that module's inputs: the reaper's hooks chained with `existing_runner_hooks`) and `instance_policy_json` (attach to the runner instance role)."
  value = {
    job_started_script   = module.runner_hooks.job_started_script
    job_completed_script = module.runner_hooks.job_completed_script
    user_data            = module.runner_hooks.user_data
    instance_policy_json = module.runner_hooks.instance_policy_json
    github_aws_runners   = module.runner_hooks.github_aws_runners
  }
}

output "probe_document_name" {
  description = "Name of the SSM probe document the functions run on the fleet's SSM-managed Linux instances (PROBE_DOCUMENT_NAME); null when `enable_probe` is false."
  value       = var.enable_probe ? module.probe[0].document_name : null
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard; null unless `create_dashboard`."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms by name (`<prefix>-<alarm>`); empty unless `create_alarms`."
  value = merge(
    { for a in aws_cloudwatch_metric_alarm.metric : a.alarm_name => a.arn },
    { for a in aws_cloudwatch_metric_alarm.summed : a.alarm_name => a.arn },
  )
}
