# runner-reaper: two scheduled Lambdas (scale-down and orphan-cleanup) that reclaim idle
# self-hosted GitHub Actions runners on EC2, plus the job hooks for the runner instances.

locals {
  # One list whichever input was used (exactly one is set, see variables.tf).
  environments = var.environments != null ? var.environments : [var.environment]
  prefix       = coalesce(var.prefix, "${local.environments[0]}-reaper")

  zip_files = {
    scale_down     = coalesce(var.lambda_zip.scale_down, "${path.module}/lambda/dist/scale-down.zip")
    orphan_cleanup = coalesce(var.lambda_zip.orphan_cleanup, "${path.module}/lambda/dist/orphan-cleanup.zip")
  }

  s3_objects = var.lambda_s3 == null ? { scale_down = null, orphan_cleanup = null } : {
    scale_down = {
      bucket         = var.lambda_s3.bucket
      key            = var.lambda_s3.scale_down_key
      object_version = var.lambda_s3.scale_down_object_version
    }
    orphan_cleanup = {
      bucket         = var.lambda_s3.bucket
      key            = var.lambda_s3.orphan_cleanup_key
      object_version = var.lambda_s3.orphan_cleanup_object_version
    }
  }

  # The configuration contract (lambda/src/config/schema.ts). Both functions read the
  # same variables, so they agree on what "ours", "idle" and "too long" mean. Optional
  # settings are left unset rather than set empty, so the functions' own defaults apply.
  common_environment = merge(
    {
      PARAMETER_GITHUB_APP_ID_NAME         = var.github_app.id_parameter
      PARAMETER_GITHUB_APP_KEY_BASE64_NAME = var.github_app.key_base64_parameter
      RUNNER_BOOT_TIME_IN_MINUTES          = tostring(var.runner_boot_time_in_minutes)
      IDLE_CONFIRMATION_SECONDS            = tostring(var.idle_confirmation_seconds)
      IDLE_CONFIG                          = jsonencode(var.idle_config)
      IDLE_POOL_SCOPE                      = var.idle_pool_scope
      MAX_JOB_DURATION_MINUTES             = tostring(var.max_job_duration_minutes)
      UNREGISTERED_HOLD_MAX_INSTANCES      = tostring(var.unregistered_hold_max_instances)
      JOB_EVIDENCE                         = var.job_evidence
      SETTLE_SECONDS                       = tostring(var.settle_seconds)
      GITHUB_CONCURRENCY                   = tostring(var.github_concurrency)
      DRY_RUN                              = tostring(var.dry_run)
      POWERTOOLS_METRICS_NAMESPACE         = var.metrics_namespace
      LOG_LEVEL                            = var.log_level
    },
    # ENVIRONMENT for one fleet (as 0.1.0 set it), ENVIRONMENTS (a JSON array) for several.
    var.environments == null ? { ENVIRONMENT = var.environment } : { ENVIRONMENTS = jsonencode(var.environments) },
    # GHES_URL derives the API URL; the two are never set together.
    var.ghes_url == null ? { GITHUB_API_URL = var.github_api_url } : { GHES_URL = var.ghes_url },
    var.github_app.installation_id_parameter == null ? {} : {
      PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME = var.github_app.installation_id_parameter
    },
    var.github_ca_bundle_parameter == null ? {} : {
      PARAMETER_GITHUB_CA_BUNDLE_NAME = var.github_ca_bundle_parameter
    },
    var.minimum_running_time_in_minutes == null ? {} : {
      MINIMUM_RUNNING_TIME_IN_MINUTES = tostring(var.minimum_running_time_in_minutes)
    },
    var.github_points_per_minute == null ? {} : {
      GITHUB_POINTS_PER_MINUTE = tostring(var.github_points_per_minute)
    },
    var.unregistered_hold_minutes == null ? {} : {
      UNREGISTERED_HOLD_MINUTES = tostring(var.unregistered_hold_minutes)
    },
    var.enable_probe ? {
      PROBE_DOCUMENT_NAME   = local.probe_document_name
      PROBE_TIMEOUT_SECONDS = tostring(var.probe_timeout_seconds)
    } : {},
    var.enable_probe && var.probe_settle_seconds != null ? {
      PROBE_SETTLE_SECONDS = tostring(var.probe_settle_seconds)
    } : {},
  )

  fleet_description   = join(", ", local.environments)
  probe_document_name = "${local.prefix}-probe"
}

module "scale_down" {
  source = "./modules/lambda"

  function_name = "${local.prefix}-scale-down"
  description   = substr("runner-reaper scale-down: deregisters and terminates confirmed-idle runners of ${local.fleet_description}.", 0, 256)
  runtime       = var.lambda_runtime
  memory_size   = var.scale_down_memory_size
  timeout       = var.scale_down_timeout
  zip_file      = local.zip_files.scale_down
  s3_object     = local.s3_objects.scale_down

  environment_variables = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME  = "runner-reaper-scale-down"
    FUNCTION_TIMEOUT_SECONDS = tostring(var.scale_down_timeout)
  })
  policy_statements   = local.reaper_statements
  schedule_expression = var.scale_down_schedule_expression

  log_retention_in_days          = var.log_retention_in_days
  kms_key_arn                    = var.kms_key_arn
  vpc_config                     = var.vpc_config
  reserved_concurrent_executions = var.reserved_concurrent_executions
  role_path                      = var.role_path
  role_permissions_boundary      = var.role_permissions_boundary
  partition                      = local.partition
  region                         = local.region
  account_id                     = local.account_id
  tags                           = var.tags
}

module "orphan_cleanup" {
  source = "./modules/lambda"

  function_name = "${local.prefix}-orphan-cleanup"
  description   = substr("runner-reaper orphan-cleanup: terminates unregistered and drained runner instances of ${local.fleet_description}.", 0, 256)
  runtime       = var.lambda_runtime
  memory_size   = var.orphan_cleanup_memory_size
  timeout       = var.orphan_cleanup_timeout
  zip_file      = local.zip_files.orphan_cleanup
  s3_object     = local.s3_objects.orphan_cleanup

  environment_variables = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME  = "runner-reaper-orphan-cleanup"
    FUNCTION_TIMEOUT_SECONDS = tostring(var.orphan_cleanup_timeout)
  })
  policy_statements   = local.reaper_statements
  schedule_expression = var.orphan_cleanup_schedule_expression

  log_retention_in_days          = var.log_retention_in_days
  kms_key_arn                    = var.kms_key_arn
  vpc_config                     = var.vpc_config
  reserved_concurrent_executions = var.reserved_concurrent_executions
  role_path                      = var.role_path
  role_permissions_boundary      = var.role_permissions_boundary
  partition                      = local.partition
  region                         = local.region
  account_id                     = local.account_id
  tags                           = var.tags
}

module "runner_hooks" {
  source = "./modules/runner-hooks"

  environments          = local.environments
  runner_env_file       = "${var.runner_directory}/.env"
  existing_hooks        = var.existing_runner_hooks
  check_timeout_seconds = var.runner_hooks_check_timeout_seconds
  partition             = local.partition
}

module "probe" {
  source = "./modules/probe"
  count  = var.enable_probe ? 1 : 0

  document_name    = local.probe_document_name
  runner_directory = var.runner_directory
  tags             = var.tags
}
