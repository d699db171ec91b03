# runner-reaper beside a fleet built by the github-aws-runners module
# (github-aws-runners/terraform-aws-github-runner, checked against v7.11.0), root module.
#
# Put this next to your `module "github_runner"` call (as a module, or copy the files) and
# feed its `github_runner_inputs` output back into that call; README.md shows both calls.
# Every name comes from that module's outputs: the App parameters from `ssm_parameters`,
# the runner role from `runners.role_runner`. The switch-over between the two scale-downs
# follows `stage` (modules/switch-over).

locals {
  # ghr:environment of its instances is its prefix (v7.11.0 main.tf, local.tags).
  environment   = var.github_runner_prefix
  reaper_prefix = coalesce(var.prefix, "${local.environment}-reaper")

  # The hooks and their boot check: Linux user data only (see var.runner_os).
  install_hooks = var.runner_os == "linux"

  runner_role_names = concat([for role in var.github_runner.runners.role_runner : role.name], var.extra_runner_role_names)

  # What that module's scale-down was configured with (modules/runners/scale-down.tf).
  upstream_scale_down = var.github_runner.runners.lambda_down.environment[0].variables
}

module "switch_over" {
  source = "./modules/switch-over"

  stage                           = var.stage
  environments                    = [local.environment]
  reaper_scale_down_function_name = "${local.reaper_prefix}-scale-down"
  reaper_schedules                = { scale_down = var.scale_down_schedule_expression, orphan_cleanup = var.orphan_cleanup_schedule_expression }
  github_runner_schedules         = { fleet = var.github_runner_scale_down_schedule_expression }
}

module "runner_reaper" {
  source = "../../"

  environment = local.environment
  prefix      = local.reaper_prefix
  github_app = {
    id_parameter         = var.github_runner.ssm_parameters.id.name
    key_base64_parameter = var.github_runner.ssm_parameters.key_base64.name
  }
  ssm_kms_key_arn = var.ssm_kms_key_arn
  kms_key_arn     = var.kms_key_arn

  ghes_url                   = var.ghes_url
  github_ca_bundle_parameter = var.github_ca_bundle_parameter

  # The hooks where they run, the SSM probe where they do not, conservative elsewhere.
  job_evidence          = "auto"
  enable_probe          = var.enable_probe
  existing_runner_hooks = var.existing_runner_hooks

  # Same settings, same meaning as that module's scale-down.
  idle_config                     = var.idle_config
  idle_pool_scope                 = "environment"
  minimum_running_time_in_minutes = var.minimum_running_time_in_minutes
  runner_boot_time_in_minutes     = var.runner_boot_time_in_minutes

  scale_down_schedule_expression     = module.switch_over.reaper.scale_down_schedule_expression
  orphan_cleanup_schedule_expression = module.switch_over.reaper.orphan_cleanup_schedule_expression
  dry_run                            = module.switch_over.reaper.dry_run

  tags = merge(var.tags, module.switch_over.reaper.tags)
}

# The hooks' policy on the runner role: by name, from that module's runners.role_runner ...
resource "aws_iam_role_policy" "runner_reaper_hooks" {
  for_each = var.instance_policy_attachment == "role-policy" ? toset(local.runner_role_names) : toset([])

  name   = "${local.reaper_prefix}-runner-hooks"
  role   = each.value
  policy = module.runner_reaper.runner_hooks.instance_policy_json
}

# ... or as a managed policy for that module's runner_iam_role_managed_policy_arns.
resource "aws_iam_policy" "runner_reaper_hooks" {
  count = var.instance_policy_attachment == "managed-policy" ? 1 : 0

  name        = "${local.reaper_prefix}-runner-hooks"
  description = "runner-reaper job hooks: a runner instance may tag only itself, only with the ghr:job* keys."
  policy      = module.runner_reaper.runner_hooks.instance_policy_json
  tags        = var.tags
}

check "the_runner_role_gets_the_hooks_policy" {
  assert {
    condition     = length(local.runner_role_names) > 0
    error_message = "runners.role_runner is empty (iam_overrides.override_runner_role is set): name your own runner role in extra_runner_role_names, or the hooks cannot tag the instances."
  }
}

check "same_environment_as_its_scale_down" {
  assert {
    condition     = lookup(local.upstream_scale_down, "ENVIRONMENT", local.environment) == local.environment
    error_message = "github_runner_prefix (${local.environment}) is not the ENVIRONMENT of that module's scale-down (${lookup(local.upstream_scale_down, "ENVIRONMENT", "?")}): the reaper would own no instance."
  }
}

check "same_idle_config_as_its_scale_down" {
  assert {
    condition     = jsonencode(var.idle_config) == lookup(local.upstream_scale_down, "SCALE_DOWN_CONFIG", jsonencode(var.idle_config))
    error_message = "idle_config differs from the idle_config of that module's scale-down (${lookup(local.upstream_scale_down, "SCALE_DOWN_CONFIG", "")}): copy it as it is, or the warm pool changes at the switch-over."
  }
}

check "same_ghes_url_as_its_scale_down" {
  assert {
    condition     = coalesce(var.ghes_url, "-") == coalesce(lookup(local.upstream_scale_down, "GHES_URL", ""), "-")
    error_message = "ghes_url differs from that module's (GHES_URL of its scale-down): give both the same value."
  }
}

check "same_minimum_running_time_as_its_scale_down" {
  assert {
    condition = (var.minimum_running_time_in_minutes == null
      ? contains(["5", "15", "20"], lookup(local.upstream_scale_down, "MINIMUM_RUNNING_TIME_IN_MINUTES", "5"))
    : tostring(var.minimum_running_time_in_minutes) == lookup(local.upstream_scale_down, "MINIMUM_RUNNING_TIME_IN_MINUTES", tostring(var.minimum_running_time_in_minutes)))
    error_message = "minimum_running_time_in_minutes differs from that module's scale-down (MINIMUM_RUNNING_TIME_IN_MINUTES = ${lookup(local.upstream_scale_down, "MINIMUM_RUNNING_TIME_IN_MINUTES", "?")}): copy its value."
  }
}
