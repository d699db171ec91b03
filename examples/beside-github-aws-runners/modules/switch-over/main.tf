# The order of the switch-over between the github-aws-runners module's own scale-down and
# runner-reaper, held by one input, `stage`, and checked at plan time against what is
# deployed now, so the two never reclaim the same fleet at once (docs/beside-github-aws-runners.md).
#
#   github-aws-runners -> dry-run -> runner-reaper            (adopt)
#   runner-reaper -> hand-back -> dry-run -> github-aws-runners (roll back; clear the reaper's tags before the last step)
#
# | stage              | its scale-down   | reaper scale-down | reaper orphan-cleanup |
# |--------------------|------------------|-------------------|-----------------------|
# | github-aws-runners | its schedule     | never runs        | never runs            |
# | dry-run            | never runs       | decides and logs  | decides and logs      |
# | runner-reaper      | never runs       | reclaims          | reclaims              |
# | hand-back          | never runs       | never runs        | finishes what it holds |
#
# The stage of the last apply is read back from a tag on the reaper's scale-down function.

terraform {
  required_version = ">= 1.9.0"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.50.0, < 6.0.0" }
  }
}

variable "stage" {
  description = "Who reclaims the fleet: `github-aws-runners`, `dry-run`, `runner-reaper` or `hand-back` (see the table above)."
  type        = string
  validation {
    condition     = contains(["github-aws-runners", "dry-run", "runner-reaper", "hand-back"], var.stage)
    error_message = "stage must be \"github-aws-runners\", \"dry-run\", \"runner-reaper\" or \"hand-back\"."
  }
}

variable "environments" {
  description = "The `ghr:environment` values of the fleet (one per runner type in multi-runner)."
  type        = list(string)
  validation {
    condition     = length(var.environments) > 0
    error_message = "environments must name at least one ghr:environment."
  }
}

variable "reaper_scale_down_function_name" {
  description = "Name of the reaper's scale-down function (`<prefix>-scale-down`), where the stage of the last apply is tagged."
  type        = string
}

variable "reaper_schedules" {
  description = "The reaper's schedules while it reclaims."
  type        = object({ scale_down = string, orphan_cleanup = string })
}

variable "github_runner_schedules" {
  description = "The schedules that module's scale-downs run on while it reclaims the fleet, by any key (one per runner type in multi-runner). Its default is `cron(*/5 * * * ? *)`."
  type        = map(string)
}

locals {
  # Year 1970 is the first the EventBridge cron year field takes (1970-2199): its one
  # occurrence is in the past, so the rule never fires. AWS EventBridge User Guide, "Using
  # cron and rate expressions to schedule rules".
  never = "cron(0 0 1 1 ? 1970)"

  stage_tag = "runner-reaper:stage"

  # Tags the reaper writes on instances (lambda/src/core/tags.ts), and 0.1.0's orphan mark,
  # that may be cleared once the reaper is in dry run. ghr:draining-since is not among them:
  # it marks an instance the reaper deregistered and still holds (maybe for a running job),
  # which only its orphan-cleanup may finish (stage hand-back).
  clearable_marks = [
    "ghr:idle-since", "ghr:reaper-orphan-since", "ghr:orphan-since",
    "ghr:reaper-delete-failures", "ghr:reaper-delete-failed-at", "ghr:reaper-termination-refused-at",
  ]

  deployed       = contains(data.aws_lambda_functions.all.function_names, var.reaper_scale_down_function_name)
  previous_stage = local.deployed ? lookup(data.aws_lambda_function.reaper[0].tags, local.stage_tag, "unknown") : "none"

  # The stages the last apply may have left, for each stage (`none`: the reaper is not
  # deployed; `unknown`: deployed without a stage tag, e.g. by 0.1.0). The reaper may act
  # only after an apply that switched that module's scale-down off; that module's
  # scale-down may come back only after an apply in which the reaper changed nothing.
  may_follow = {
    "github-aws-runners" = ["none", "github-aws-runners", "dry-run"]
    "dry-run"            = ["none", "unknown", "github-aws-runners", "dry-run", "runner-reaper", "hand-back"]
    "runner-reaper"      = ["dry-run", "runner-reaper", "hand-back"]
    "hand-back"          = ["dry-run", "runner-reaper", "hand-back"]
  }
  in_order = contains(local.may_follow[var.stage], local.previous_stage)

  draining = sort(data.aws_instances.draining.ids)
  marked   = sort(data.aws_instances.marked.ids)

  clear_tags_command = join(" ", [
    "aws ec2 describe-instances",
    "--filters Name=tag:ghr:environment,Values=${join(",", var.environments)} Name=tag-key,Values=${join(",", local.clearable_marks)}",
    "--query 'Reservations[].Instances[].InstanceId' --output text",
    "| xargs -r -n 100 aws ec2 delete-tags --tags ${join(" ", [for k in local.clearable_marks : "Key=${k}"])} --resources",
  ])
}

data "aws_lambda_functions" "all" {}

data "aws_lambda_function" "reaper" {
  count         = local.deployed ? 1 : 0
  function_name = var.reaper_scale_down_function_name
}

data "aws_instances" "draining" {
  instance_state_names = ["pending", "running", "stopping", "stopped"]
  filter {
    name   = "tag:ghr:environment"
    values = var.environments
  }
  filter {
    name   = "tag-key"
    values = ["ghr:draining-since"]
  }
}

data "aws_instances" "marked" {
  instance_state_names = ["pending", "running", "stopping", "stopped"]
  filter {
    name   = "tag:ghr:environment"
    values = var.environments
  }
  filter {
    name   = "tag-key"
    values = local.clearable_marks
  }
}

output "never_schedule_expression" {
  description = "A valid EventBridge schedule that never fires."
  value       = local.never
}

output "previous_stage" {
  description = "The stage of the last apply (`none`: the reaper is not deployed; `unknown`: deployed without a stage tag)."
  value       = local.previous_stage
}

output "github_runner_schedules" {
  description = "For that module's `scale_down_schedule_expression` (per key of github_runner_schedules): its own schedule in stage github-aws-runners, else one that never fires."
  value       = { for key, own in var.github_runner_schedules : key => var.stage == "github-aws-runners" ? own : local.never }

  precondition {
    condition     = var.stage != "github-aws-runners" || local.in_order
    error_message = "The last apply left runner-reaper in stage \"${local.previous_stage}\": it may be acting now. Set stage = \"dry-run\" for one apply (after \"hand-back\" has finished the instances it holds), clear its tags, then set \"github-aws-runners\"."
  }
  precondition {
    condition     = var.stage != "github-aws-runners" || length(local.draining) == 0
    error_message = "${length(local.draining)} instance(s) are still held by runner-reaper (ghr:draining-since: deregistered, maybe running a job): ${join(", ", local.draining)}. That module's scale-down would terminate them. Set stage = \"hand-back\" until its orphan-cleanup has finished them."
  }
  precondition {
    condition     = var.stage != "github-aws-runners" || length(local.marked) == 0
    error_message = "${length(local.marked)} instance(s) still carry runner-reaper's tags (${join(", ", local.clearable_marks)}): ${join(", ", local.marked)}. Clear them first (the clear_tags_command output): ${local.clear_tags_command}"
  }
}

output "reaper" {
  description = "For the runner-reaper module: its schedules, dry_run and the stage tag, for this stage."
  value = {
    scale_down_schedule_expression     = contains(["dry-run", "runner-reaper"], var.stage) ? var.reaper_schedules.scale_down : local.never
    orphan_cleanup_schedule_expression = var.stage == "github-aws-runners" ? local.never : var.reaper_schedules.orphan_cleanup
    dry_run                            = contains(["github-aws-runners", "dry-run"], var.stage)
    tags                               = { (local.stage_tag) = var.stage }
  }

  precondition {
    condition     = var.stage == "github-aws-runners" || local.in_order
    error_message = "runner-reaper may act only after an apply that switched that module's scale-down off: the last apply left stage \"${local.previous_stage}\". Set stage = \"dry-run\" for one apply first."
  }
}

output "clear_tags_command" {
  description = "An aws CLI command that removes runner-reaper's idle and orphan tags from the fleet's instances (rolling back, in stage dry-run). It leaves ghr:draining-since: those instances are the reaper's to finish (stage hand-back)."
  value       = local.clear_tags_command
}
