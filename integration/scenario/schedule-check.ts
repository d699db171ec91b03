/**
 * Does the deployed schedule reach the function? The e2e fixture's schedules never fire
 * (they must not race the scenario), so after the scenario this check makes each rule fire
 * once a minute, waits for the function to log an invocation, and puts the rule back.
 * Run against LocalStack by the e2e workflow (check-schedules.ts), after the scenario, when
 * nothing is left for a scheduled run to reclaim.
 *
 * LocalStack 4.14.0 turns a rule's schedule into a job when its targets are put
 * (services/events/provider.py, put_targets), not when the rule is put: the check puts the
 * same targets again after changing the expression. It never cancels such a job either, so
 * the once-a-minute runs go on until LocalStack stops; harmless once the run is over.
 * An invocation is recognised by the function's own log line: LocalStack 4.14.0 writes a
 * function's output to `/aws/lambda/<name>` (services/lambda_/invocation/logs.py), the log
 * group the module creates.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';

export interface ScheduledFunction {
  functionName: string;
  ruleName: string;
  logGroupName: string;
}

export interface ScheduleCheck {
  functionName: string;
  ruleName: string;
  ok: boolean;
  detail: string;
}

export interface ScheduleCheckOptions {
  timeoutSeconds: number;
  pollMs?: number;
  /** The expression that fires soon (default `rate(1 minute)`, the shortest there is). */
  firingExpression?: string;
}

export async function checkSchedule(
  clients: { events: EventBridgeClient; logs: CloudWatchLogsClient },
  fn: ScheduledFunction,
  opts: ScheduleCheckOptions,
): Promise<ScheduleCheck> {
  const result = (ok: boolean, detail: string): ScheduleCheck => ({ functionName: fn.functionName, ruleName: fn.ruleName, ok, detail });
  const rule = await clients.events.send(new DescribeRuleCommand({ Name: fn.ruleName }));
  const { Targets: targets = [] } = await clients.events.send(new ListTargetsByRuleCommand({ Rule: fn.ruleName }));
  const aimed = targets.filter((t) => t.Arn?.endsWith(`:function:${fn.functionName}`));
  if (aimed.length === 0) return result(false, `rule ${fn.ruleName} does not target function ${fn.functionName} (targets: ${targets.map((t) => t.Arn).join(', ') || 'none'})`);

  const put = (expression: string | undefined, state: string | undefined) =>
    clients.events.send(
      new PutRuleCommand({
        Name: fn.ruleName,
        ScheduleExpression: expression,
        State: state as 'ENABLED' | 'DISABLED' | undefined,
        Description: rule.Description,
      }),
    );
  const since = Date.now();
  const firing = opts.firingExpression ?? 'rate(1 minute)';
  try {
    await put(firing, 'ENABLED');
    await clients.events.send(new PutTargetsCommand({ Rule: fn.ruleName, Targets: targets }));
    const deadline = since + opts.timeoutSeconds * 1000;
    for (;;) {
      const { events = [] } = await clients.logs.send(new FilterLogEventsCommand({ logGroupName: fn.logGroupName, startTime: since, limit: 1 }));
      if (events.length > 0) {
        const seconds = Math.round(((events[0]?.timestamp ?? Date.now()) - since) / 1000);
        return result(true, `${firing} on ${fn.ruleName} invoked ${fn.functionName}: it logged to ${fn.logGroupName} ${seconds} s later`);
      }
      if (Date.now() >= deadline) {
        return result(false, `${firing} on ${fn.ruleName} did not invoke ${fn.functionName} within ${opts.timeoutSeconds} s (nothing in ${fn.logGroupName})`);
      }
      await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 5000));
    }
  } finally {
    await put(rule.ScheduleExpression, rule.State);
  }
}
