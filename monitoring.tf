# The operator's view: a CloudWatch dashboard and alarms built from the metric catalogue in
# docs/metrics.md (names, dimensions, and which statistic each one is read with). Counters
# are summed per schedule interval; gauges (the state a run saw) read with Maximum, from the
# function the catalogue names. Nothing here changes what the functions do.

locals {
  namespace = var.metrics_namespace

  services = {
    scale_down     = "runner-reaper-scale-down"
    orphan_cleanup = "runner-reaper-orphan-cleanup"
  }
  function_names = {
    scale_down     = module.scale_down.function_name
    orphan_cleanup = module.orphan_cleanup.function_name
  }

  # One schedule interval per function, the natural period of its metrics: rate(N unit), or
  # a cron whose minute field is */N or 0/N; any other cron counts as 5 minutes. CloudWatch
  # wants whole minutes, and alarm periods x evaluations of at most a day.
  schedule_expressions = {
    scale_down     = var.scale_down_schedule_expression
    orphan_cleanup = var.orphan_cleanup_schedule_expression
  }
  schedule_unit_seconds = { minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 }
  schedule_seconds = {
    for fn, expression in local.schedule_expressions : fn => try(
      tonumber(regex("^rate\\(([0-9]+) ", expression)[0]) * local.schedule_unit_seconds[regex("^rate\\([0-9]+ ([a-z]+)\\)$", expression)[0]],
      tonumber(regex("^cron\\((?:\\*|0)/([0-9]+) ", expression)[0]) * 60,
      300,
    )
  }
  period = { for fn, seconds in local.schedule_seconds : fn => max(60, min(3600, floor(seconds / 60) * 60)) }

  thresholds = var.alarm_thresholds
  # Held longer than the hold allows, plus a margin for the orphan-cleanup schedule.
  held_unregistered_limit_seconds = (coalesce(var.unregistered_hold_minutes, var.max_job_duration_minutes) + local.thresholds.held_unregistered_extra_minutes) * 60
  # DELETEs leave 400 ms apart (150 a minute); one run has its timeout less the settle and
  # the calls around it (docs/metrics.md, "The DELETE budget").
  deletes_per_run = floor(150 * (var.scale_down_timeout - var.settle_seconds - 60) / 60)

  guards    = ["get", "delete-422", "recheck", "job-evidence", "probe"]
  evidences = ["hooks", "probe", "none"]

  metric = {
    for name, spec in {
      sd_errors          = ["Errors", "scale_down", {}]
      oc_errors          = ["Errors", "orphan_cleanup", {}]
      github_unavailable = ["GitHubUnavailable", "scale_down", {}]
      without_evidence   = ["InstancesByEvidence", "scale_down", { Evidence = "none" }]
      held_oldest        = ["HeldUnregisteredOldestSeconds", "orphan_cleanup", {}]
      deferred           = ["Decisions", "scale_down", { Reason = "deferred" }]
      sd_rate_limited    = ["GitHubRateLimited", "scale_down", {}]
      oc_rate_limited    = ["GitHubRateLimited", "orphan_cleanup", {}]
    } : name => { metric_name = spec[0], function = spec[1], dimensions = merge({ service = local.services[spec[1]] }, spec[2]) }
  }
}

# --- Alarms ------------------------------------------------------------------------------

locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  periods       = local.thresholds.periods

  # Alarms on one metric of the catalogue (or of AWS/Lambda): what, how, and what to do.
  single_metric_alarms = {
    scale-down-failed-invocations = {
      namespace          = "AWS/Lambda", metric_name = "Errors", dimensions = { FunctionName = local.function_names.scale_down }
      statistic          = "Sum", period = local.period.scale_down, comparison = "GreaterThanOrEqualToThreshold", threshold = 1
      evaluation_periods = local.periods, datapoints_to_alarm = max(1, local.periods - 1)
      description        = "The scale-down function failed (threw or timed out) in most of the last ${local.periods} runs: idle runners are not reclaimed. See its log group ${module.scale_down.log_group_name}."
    }
    orphan-cleanup-failed-invocations = {
      namespace          = "AWS/Lambda", metric_name = "Errors", dimensions = { FunctionName = local.function_names.orphan_cleanup }
      statistic          = "Sum", period = local.period.orphan_cleanup, comparison = "GreaterThanOrEqualToThreshold", threshold = 1
      evaluation_periods = local.periods, datapoints_to_alarm = max(1, local.periods - 1)
      description        = "The orphan-cleanup function failed (threw or timed out) in most of the last ${local.periods} runs: unregistered instances are not cleaned up. See its log group ${module.orphan_cleanup.log_group_name}."
    }
    github-unavailable = {
      namespace          = local.namespace, metric_name = local.metric.github_unavailable.metric_name, dimensions = local.metric.github_unavailable.dimensions
      statistic          = "Maximum", period = local.period.scale_down, comparison = "GreaterThanOrEqualToThreshold", threshold = 1
      evaluation_periods = local.periods, datapoints_to_alarm = local.periods
      description        = "For ${local.periods} scale-down runs in a row, some owner's runner listing failed, so all its instances were kept (reason github-unavailable): check the GitHub App's credentials and installation, and the network to GitHub."
    }
    reclaims-deferred = {
      namespace          = local.namespace, metric_name = local.metric.deferred.metric_name, dimensions = local.metric.deferred.dimensions
      statistic          = "Sum", period = local.period.scale_down, comparison = "GreaterThanThreshold", threshold = 0
      evaluation_periods = local.periods, datapoints_to_alarm = local.periods
      description        = "For ${local.periods} scale-down runs in a row, reclaims did not fit in the run's time or GitHub's DELETE budget (about ${local.deletes_per_run} a run) and were left to the next run: raise scale_down_timeout or run it more often."
    }
    held-unregistered-too-long = {
      namespace          = local.namespace, metric_name = local.metric.held_oldest.metric_name, dimensions = local.metric.held_oldest.dimensions
      statistic          = "Maximum", period = local.period.orphan_cleanup, comparison = "GreaterThanThreshold", threshold = local.held_unregistered_limit_seconds
      evaluation_periods = 1, datapoints_to_alarm = 1
      description        = "An instance without a GitHub registration has been held longer than the hold allows (${local.held_unregistered_limit_seconds / 60} minutes with the margin): it counts against the fleet's maximum. Look for instances with ghr:draining-since or ghr:reaper-orphan-since."
    }
  }

  without_evidence_alarm = local.thresholds.instances_without_evidence == null ? {} : {
    instances-without-machine-evidence = {
      namespace           = local.namespace, metric_name = local.metric.without_evidence.metric_name, dimensions = local.metric.without_evidence.dimensions
      statistic           = "Maximum", period = local.period.scale_down, comparison = "GreaterThanThreshold", threshold = local.thresholds.instances_without_evidence
      evaluation_periods  = max(1, ceil(local.thresholds.instances_without_evidence_minutes * 60 / local.period.scale_down))
      datapoints_to_alarm = max(1, ceil(local.thresholds.instances_without_evidence_minutes * 60 / local.period.scale_down))
      description         = "More than ${local.thresholds.instances_without_evidence} instances have had no machine evidence (no ghr:job-hooks marker, not online in SSM) for ${local.thresholds.instances_without_evidence_minutes} minutes: the reaper waits longer on them and cannot see a job GitHub has not flagged. Check the hook boot check's log and the SSM agent."
    }
  }

  # Alarms on the sum of both functions' series (metric math).
  summed_alarms = {
    errors = {
      metric_name = "Errors", statistic = "Sum", comparison = "GreaterThanOrEqualToThreshold", threshold = local.thresholds.errors
      description = "For ${local.periods} runs in a row the functions met errors (GitHub or AWS calls on an instance, unreadable instances, failed tag writes); each error keeps an instance, so nothing is lost, but nothing is reclaimed either. Read the error lines in the log groups."
    }
    github-rate-limited = {
      metric_name = "GitHubRateLimited", statistic = "Sum", comparison = "GreaterThanThreshold", threshold = 0
      description = "For ${local.periods} runs in a row GitHub answered with a rate limit: the reaper, or the fleet's own scale-up sharing the App, is at GitHub's limits."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = var.create_alarms ? merge(local.single_metric_alarms, local.without_evidence_alarm) : {}

  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  # Counters and gauges written only when non-zero, and runs that did not happen, are no news.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
  ok_actions         = local.alarm_actions
  tags               = var.tags
}

resource "aws_cloudwatch_metric_alarm" "summed" {
  for_each = var.create_alarms ? local.summed_alarms : {}

  alarm_name          = "${local.prefix}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  evaluation_periods  = local.periods
  datapoints_to_alarm = local.periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "total"
    expression  = "FILL(sd, 0) + FILL(oc, 0)"
    label       = "${each.value.metric_name}, both functions"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { sd = "scale_down", oc = "orphan_cleanup" }
    content {
      id = metric_query.key
      metric {
        namespace   = local.namespace
        metric_name = each.value.metric_name
        dimensions  = { service = local.services[metric_query.value] }
        stat        = each.value.statistic
        period      = local.period.scale_down
      }
    }
  }
}

# --- Dashboard ---------------------------------------------------------------------------

locals {
  # Each line: [namespace, metric, dimension name, value, ..., options].
  widgets = concat(
    [
      {
        title  = "Failed invocations (AWS/Lambda)"
        stat   = "Sum"
        period = local.period.scale_down
        metrics = [for pair in setproduct(values(local.function_names), ["Errors", "Throttles"]) :
          ["AWS/Lambda", pair[1], "FunctionName", pair[0], { label = "${pair[0]} ${lower(pair[1])}" }]
        ]
      },
      {
        title   = "Errors (each one kept an instance)"
        stat    = "Sum"
        period  = local.period.scale_down
        metrics = [for fn, service in local.services : [local.namespace, "Errors", "service", service, { label = service }]]
      },
      {
        title   = "Owners whose GitHub listing failed (github-unavailable)"
        stat    = "Maximum"
        period  = local.period.scale_down
        metrics = [[local.namespace, "GitHubUnavailable", "service", local.services.scale_down, { label = "owners unavailable" }]]
      },
      {
        title  = "Races caught, by guard"
        stat   = "Sum"
        period = local.period.scale_down
        metrics = [for pair in setproduct(values(local.services), local.guards) :
          [local.namespace, "RacesCaught", "Guard", pair[1], "service", pair[0], { label = "${pair[1]} (${pair[0]})" }]
        ]
      },
      {
        title   = "Instances by machine evidence (none = only GitHub's word)"
        stat    = "Maximum"
        period  = local.period.scale_down
        metrics = [for evidence in local.evidences : [local.namespace, "InstancesByEvidence", "Evidence", evidence, "service", local.services.scale_down, { label = evidence }]]
      },
      {
        title  = "Instances held without a registration"
        stat   = "Maximum"
        period = local.period.orphan_cleanup
        metrics = [
          [local.namespace, "InstancesHeldUnregistered", "service", local.services.orphan_cleanup, { label = "held" }],
          [local.namespace, "HeldUnregisteredOldestSeconds", "service", local.services.orphan_cleanup, { label = "oldest hold (s)", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ label = "hold limit + margin (s)", value = local.held_unregistered_limit_seconds, yAxis = "right" }] }
      },
      {
        title  = "Reclaims against the DELETE budget"
        stat   = "Sum"
        period = local.period.scale_down
        metrics = [
          [local.namespace, "RunnersTerminated", "service", local.services.scale_down, { label = "runners terminated" }],
          [local.namespace, "OrphansTerminated", "service", local.services.orphan_cleanup, { label = "orphans terminated" }],
          [local.namespace, "GitHubDeletes", "service", local.services.scale_down, { label = "DELETEs sent" }],
          [local.namespace, "Decisions", "Reason", "deferred", "service", local.services.scale_down, { label = "deferred to the next run" }],
        ]
        annotations = { horizontal = [{ label = "about this many DELETEs fit in one run", value = local.deletes_per_run }] }
      },
      {
        title  = "GitHub calls"
        stat   = "Sum"
        period = local.period.scale_down
        metrics = [for pair in setproduct(values(local.services), ["GitHubCalls", "GitHubRateLimited"]) :
          [local.namespace, pair[1], "service", pair[0], { label = "${pair[1]} (${pair[0]})" }]
        ]
      },
    ],
    var.enable_probe ? [
      {
        title  = "SSM probe"
        stat   = "Sum"
        period = local.period.scale_down
        metrics = [for pair in setproduct(values(local.services), ["ProbesSent", "ProbeFailures"]) :
          [local.namespace, pair[1], "service", pair[0], { label = "${pair[1]} (${pair[0]})" }]
        ]
      },
    ] : [],
    length(local.environments) > 1 ? [
      {
        title  = "Per environment: terminated, and instances without machine evidence"
        stat   = "Sum"
        period = local.period.scale_down
        metrics = concat(
          [for environment in local.environments :
            [local.namespace, "RunnersTerminated", "Environment", environment, "service", local.services.scale_down, { label = "${environment} terminated" }]
          ],
          [for environment in local.environments :
            [local.namespace, "InstancesByEvidence", "Environment", environment, "Evidence", "none", "service", local.services.scale_down, { label = "${environment} without evidence", stat = "Maximum" }]
          ],
        )
      },
    ] : [],
  )

  dashboard_body = {
    widgets = concat(
      [
        {
          type = "text", x = 0, y = 0, width = 24, height = 2
          properties = {
            markdown = "## runner-reaper: ${join(", ", local.environments)}\nMetrics in namespace `${local.namespace}` (docs/metrics.md). Every error keeps an instance; `none` evidence means only GitHub's word, and longer waits."
          }
        },
      ],
      [for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 2) * 12
        y      = 2 + floor(i / 2) * 6
        width  = 12
        height = 6
        properties = merge(
          {
            title   = w.title
            region  = local.region
            view    = "timeSeries"
            stacked = false
            stat    = w.stat
            period  = w.period
            metrics = w.metrics
          },
          try({ annotations = w.annotations }, {}),
        )
      }],
      var.create_alarms ? [
        {
          type = "alarm", x = 0, y = 2 + ceil(length(local.widgets) / 2) * 6, width = 24, height = 3
          properties = {
            title  = "Alarms"
            alarms = concat([for a in aws_cloudwatch_metric_alarm.metric : a.arn], [for a in aws_cloudwatch_metric_alarm.summed : a.arn])
          }
        },
      ] : [],
    )
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = local.prefix
  dashboard_body = jsonencode(local.dashboard_body)
}
