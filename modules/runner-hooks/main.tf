# The runner side of job evidence: two hook scripts, the boot check that writes the
# ghr:job-hooks marker, a user-data snippet that installs them, the hook chains for the
# github-aws-runners module's runner_hook_job_* inputs, and the policy the runner instance
# role needs. No resources.

locals {
  # HOOKS_CONTRACT_VERSION in lambda/src/core/tags.ts: the value of the ghr:job-hooks marker.
  contract_version = "1"

  environments = var.environments != null ? var.environments : [var.environment]
  # One environment stays a plain string, as 0.1.0 wrote it (no policy change on upgrade).
  environment_condition = jsondecode(length(local.environments) == 1 ? jsonencode(local.environments[0]) : jsonencode(local.environments))

  job_started_script   = file("${path.module}/scripts/job-started.sh")
  job_completed_script = file("${path.module}/scripts/job-completed.sh")
  check_hooks_script   = file("${path.module}/scripts/check-hooks.sh")

  job_started_path   = "${var.install_dir}/job-started.sh"
  job_completed_path = "${var.install_dir}/job-completed.sh"
  check_hooks_path   = "${var.install_dir}/check-hooks.sh"
  check_config_path  = "${var.install_dir}/check-hooks.conf"

  # The chains for github-aws-runners: base64 keeps any content (quotes, heredoc lines such
  # as EOF, which would end that module's own heredoc) out of the shell text.
  chain_templates = {
    job_started   = "${path.module}/templates/chain-job-started.sh.tftpl"
    job_completed = "${path.module}/templates/chain-job-completed.sh.tftpl"
  }
  reaper_hooks = {
    job_started   = local.job_started_script
    job_completed = local.job_completed_script
  }
  team_hooks = {
    job_started   = try(coalesce(var.existing_hooks.job_started, ""), "")
    job_completed = try(coalesce(var.existing_hooks.job_completed, ""), "")
  }
  # No trailing newline: github-aws-runners writes the input, then a newline, then its EOF.
  chains = {
    for hook, template in local.chain_templates : hook => trimsuffix(templatefile(template, {
      contract_version = local.contract_version
      reaper_hook      = base64encode(local.reaper_hooks[hook])
      team_hook        = local.team_hooks[hook] == "" ? "" : base64encode(local.team_hooks[hook])
    }), "\n")
  }

  # What the boot check accepts, as check-hooks.sh computes it: SHA-256 of the content
  # without trailing newlines, with a chain's team-hook line emptied. Any team hook passes.
  accepted_sha256 = {
    for hook, template in local.chain_templates : hook => join(" ", [
      sha256(replace(local.reaper_hooks[hook], "/\n+$/", "")),
      sha256(replace(templatefile(template, {
        contract_version = local.contract_version
        reaper_hook      = base64encode(local.reaper_hooks[hook])
        team_hook        = ""
      }), "/\n+$/", "")),
    ])
  }

  check_config = join("\n", [
    "RUNNER_ENV_FILE='${var.runner_env_file}'",
    "STARTED_SHA256='${local.accepted_sha256.job_started}'",
    "COMPLETED_SHA256='${local.accepted_sha256.job_completed}'",
    "CONTRACT_VERSION='${local.contract_version}'",
    "WAIT_SECONDS='${var.check_timeout_seconds}'",
    "LOG_FILE='${var.check_log_file}'",
  ])

  # Quoted heredocs: the files are written byte for byte, nothing is expanded.
  user_data = join("\n", [
    "# runner-reaper job hooks (contract ${local.contract_version}): install the hooks and their boot check,",
    "# point the runner's .env at the hooks, and start the check (it tags ghr:job-hooks once the",
    "# runner has started and really calls the hooks; see ${var.check_log_file})",
    "mkdir -p '${var.install_dir}'",
    "cat > '${local.job_started_path}' <<'RUNNER_REAPER_JOB_STARTED'",
    trimsuffix(local.job_started_script, "\n"),
    "RUNNER_REAPER_JOB_STARTED",
    "cat > '${local.job_completed_path}' <<'RUNNER_REAPER_JOB_COMPLETED'",
    trimsuffix(local.job_completed_script, "\n"),
    "RUNNER_REAPER_JOB_COMPLETED",
    "cat > '${local.check_hooks_path}' <<'RUNNER_REAPER_CHECK_HOOKS'",
    trimsuffix(local.check_hooks_script, "\n"),
    "RUNNER_REAPER_CHECK_HOOKS",
    "cat > '${local.check_config_path}' <<'RUNNER_REAPER_CHECK_CONFIG'",
    local.check_config,
    "RUNNER_REAPER_CHECK_CONFIG",
    "chmod 0755 '${local.job_started_path}' '${local.job_completed_path}' '${local.check_hooks_path}'",
    "mkdir -p \"$(dirname '${var.runner_env_file}')\"",
    "touch '${var.runner_env_file}'",
    "sed -i '/^ACTIONS_RUNNER_HOOK_JOB_STARTED=/d; /^ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/d' '${var.runner_env_file}'",
    "echo 'ACTIONS_RUNNER_HOOK_JOB_STARTED=${local.job_started_path}' >> '${var.runner_env_file}'",
    "echo 'ACTIONS_RUNNER_HOOK_JOB_COMPLETED=${local.job_completed_path}' >> '${var.runner_env_file}'",
    "sh '${local.check_hooks_path}' --background '${local.check_config_path}' || echo 'runner-reaper: the hook check did not start; this instance gets no ghr:job-hooks marker' >&2",
    "",
  ])

  # An instance may tag only itself: the target's ARN (aws:ARN) must equal the ARN of the
  # instance the credentials were issued to (the ec2:SourceInstanceARN policy variable),
  # the target must carry one of the fleet's environment tags, and only the hook contract's
  # keys (HOOK_TAG_KEYS in lambda/src/core/tags.ts) may be written or removed.
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
          "aws:ResourceTag/ghr:environment" = local.environment_condition
        }
        "ForAllValues:StringEquals" = { "aws:TagKeys" = ["ghr:job", "ghr:job-started-at", "ghr:last-job-completed-at", "ghr:job-hooks"] }
        Null                        = { "aws:TagKeys" = "false" }
      }
    }]
  }
}
