# One runner-reaper deployment beside a fleet built by the github-aws-runners multi-runner
# module (github-aws-runners/terraform-aws-github-runner//modules/multi-runner, checked
# against v7.11.0): every runner type is an environment of its own, `<prefix>-<key>`
# (modules/multi-runner/runners.tf); the GitHub App parameters are shared under the
# prefix; each type has its own runner role and its own scale-down schedule.
#
# Put this next to your `module "multi_runner"` call and merge its `runner_config` output
# into each type's runner_config (README.md shows both calls).

locals {
  environments = { for key, os in var.runner_types : key => "${var.github_runner_prefix}-${key}" }
  # The hooks and their boot check: Linux types only (see var.runner_types).
  hook_types    = [for key, os in var.runner_types : key if os == "linux"]
  reaper_prefix = coalesce(var.prefix, "${var.github_runner_prefix}-reaper")

  # The hooks' policy goes to each type's runner role (runners_map[<key>].role_runner), and to your own roles.
  runner_role_names = merge(
    # No try(): it turns a value that is only partly known at plan time into an unknown one.
    { for key, os in var.runner_types : key => contains(keys(var.github_runner.runners_map), key) ? [for role in var.github_runner.runners_map[key].role_runner : role.name] : [] },
    { for i, name in var.extra_runner_role_names : "extra-${i}" => [name] },
  )
  role_policies = merge([for key, names in local.runner_role_names : { for name in names : name => key }]...)

  # What each type's scale-down was configured with (modules/runners/scale-down.tf).
  upstream_scale_down = { for key, runner in var.github_runner.runners_map : key => runner.lambda_down.environment[0].variables }
}

module "switch_over" {
  source = "../beside-github-aws-runners/modules/switch-over"

  stage                           = var.stage
  environments                    = values(local.environments)
  reaper_scale_down_function_name = "${local.reaper_prefix}-scale-down"
  reaper_schedules                = { scale_down = var.scale_down_schedule_expression, orphan_cleanup = var.orphan_cleanup_schedule_expression }
  github_runner_schedules         = { for key, os in var.runner_types : key => lookup(var.github_runner_scale_down_schedule_expressions, key, "cron(*/5 * * * ? *)") }
}

module "runner_reaper" {
  source = "../../"

  # One GitHub listing per owner per run serves every environment.
  environments = sort(values(local.environments))
  prefix       = local.reaper_prefix
  # Shared by all runner types (modules/multi-runner/ssm.tf).
  github_app = {
    id_parameter         = var.github_runner.ssm_parameters.id.name
    key_base64_parameter = var.github_runner.ssm_parameters.key_base64.name
  }
  ssm_kms_key_arn = var.ssm_kms_key_arn
  kms_key_arn     = var.kms_key_arn

  ghes_url                   = var.ghes_url
  github_ca_bundle_parameter = var.github_ca_bundle_parameter

  job_evidence          = "auto"
  enable_probe          = var.enable_probe
  existing_runner_hooks = var.existing_runner_hooks

  idle_config                     = var.idle_config
  idle_pool_scope                 = "environment"
  minimum_running_time_in_minutes = var.minimum_running_time_in_minutes
  runner_boot_time_in_minutes     = var.runner_boot_time_in_minutes

  scale_down_schedule_expression     = module.switch_over.reaper.scale_down_schedule_expression
  orphan_cleanup_schedule_expression = module.switch_over.reaper.orphan_cleanup_schedule_expression
  dry_run                            = module.switch_over.reaper.dry_run

  tags = merge(var.tags, module.switch_over.reaper.tags)
}

resource "aws_iam_role_policy" "runner_reaper_hooks" {
  for_each = var.instance_policy_attachment == "role-policy" ? local.role_policies : {}

  name   = "${local.reaper_prefix}-runner-hooks"
  role   = each.key
  policy = module.runner_reaper.runner_hooks.instance_policy_json
}

resource "aws_iam_policy" "runner_reaper_hooks" {
  count = var.instance_policy_attachment == "managed-policy" ? 1 : 0

  name        = "${local.reaper_prefix}-runner-hooks"
  description = "runner-reaper job hooks: a runner instance may tag only itself, only with the ghr:job* keys."
  policy      = module.runner_reaper.runner_hooks.instance_policy_json
  tags        = var.tags
}

check "every_runner_type_is_in_runners_map" {
  assert {
    condition     = alltrue([for key, os in var.runner_types : contains(keys(var.github_runner.runners_map), key)])
    error_message = "runner_types names keys that the multi-runner module's runners_map does not have (${join(", ", keys(var.github_runner.runners_map))})."
  }
}

check "every_runner_role_gets_the_hooks_policy" {
  assert {
    condition     = alltrue([for key, os in var.runner_types : length(local.runner_role_names[key]) > 0]) || length(var.extra_runner_role_names) > 0
    error_message = "A runner type has no role in runners_map (iam_overrides.override_runner_role): name it in extra_runner_role_names."
  }
}

check "same_environments_as_its_scale_downs" {
  assert {
    condition     = alltrue([for key, env in local.upstream_scale_down : lookup(env, "ENVIRONMENT", "") == lookup(local.environments, key, lookup(env, "ENVIRONMENT", ""))])
    error_message = "A runner type's scale-down runs with an ENVIRONMENT other than <github_runner_prefix>-<key>: check github_runner_prefix."
  }
}

check "same_idle_config_as_its_scale_downs" {
  assert {
    condition     = alltrue([for key, env in local.upstream_scale_down : jsonencode(var.idle_config) == lookup(env, "SCALE_DOWN_CONFIG", jsonencode(var.idle_config))])
    error_message = "Some runner types' idle_config differs from idle_config here: one deployment keeps the same warm pool in each environment. Deploy one reaper per group of types with the same idle_config."
  }
}

check "same_minimum_running_time_as_its_scale_downs" {
  assert {
    condition = alltrue([for key, env in local.upstream_scale_down : (var.minimum_running_time_in_minutes == null
      ? contains(["5", "15", "20"], lookup(env, "MINIMUM_RUNNING_TIME_IN_MINUTES", "5"))
    : tostring(var.minimum_running_time_in_minutes) == lookup(env, "MINIMUM_RUNNING_TIME_IN_MINUTES", tostring(var.minimum_running_time_in_minutes)))])
    error_message = "Some runner types' scale-down uses another minimum running time than minimum_running_time_in_minutes here."
  }
}
