/**
 * The e2e workflow's schedule check (integration/scenario/schedule-check.ts) against moto.
 * moto stores rules but never fires them, so the invocation itself is stood in for by a
 * log event the test writes; what is proven here is the check's own logic: it finds the
 * rule's target, makes the rule fire, recognises an invocation by the function's log, fails
 * when there is none, and always puts the rule back as it was.
 */
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { MotoServer, motoClientConfig } from '../../moto';
import { checkSchedule, type ScheduledFunction } from '../../scenario/schedule-check';

jest.setTimeout(60_000);

const moto = new MotoServer();
let events: EventBridgeClient;
let logs: CloudWatchLogsClient;
const NEVER = 'cron(0 0 1 1 ? 1970)';
const fn: ScheduledFunction = { functionName: 'e2e-scale-down', ruleName: 'e2e-scale-down-schedule', logGroupName: '/aws/lambda/e2e-scale-down' };
const functionArn = `arn:aws:lambda:us-east-1:123456789012:function:${fn.functionName}`;

beforeAll(async () => {
  await moto.start();
  events = new EventBridgeClient(motoClientConfig(moto.url));
  logs = new CloudWatchLogsClient(motoClientConfig(moto.url));
});
afterAll(() => moto.stop());
beforeEach(async () => {
  await moto.reset();
  await events.send(new PutRuleCommand({ Name: fn.ruleName, ScheduleExpression: NEVER, State: 'ENABLED', Description: 'Runs e2e-scale-down on a schedule.' }));
  await events.send(new PutTargetsCommand({ Rule: fn.ruleName, Targets: [{ Id: 'lambda', Arn: functionArn }] }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: fn.logGroupName }));
});

async function ruleNow() {
  const rule = await events.send(new DescribeRuleCommand({ Name: fn.ruleName }));
  return { expression: rule.ScheduleExpression, state: rule.State, description: rule.Description };
}

test('a log line from the function after the rule was made to fire counts as the scheduled invocation; the rule is put back', async () => {
  const seen: string[] = [];
  // Stands in for the scheduled invocation: once the rule fires every minute, "the function" logs.
  const invoke = setInterval(() => {
    void ruleNow().then(async ({ expression }) => {
      seen.push(expression ?? '');
      if (expression !== 'rate(1 minute)' || seen.includes('logged')) return;
      seen.push('logged');
      await logs.send(new CreateLogStreamCommand({ logGroupName: fn.logGroupName, logStreamName: 'invocation' }));
      await logs.send(new PutLogEventsCommand({ logGroupName: fn.logGroupName, logStreamName: 'invocation', logEvents: [{ timestamp: Date.now(), message: '{"message":"run summary"}' }] }));
    });
  }, 100);
  try {
    const check = await checkSchedule({ events, logs }, fn, { timeoutSeconds: 20, pollMs: 200 });
    expect(check).toMatchObject({ ok: true, detail: expect.stringContaining('rate(1 minute) on e2e-scale-down-schedule invoked e2e-scale-down') });
  } finally {
    clearInterval(invoke);
  }
  expect(seen).toContain('rate(1 minute)');
  expect(await ruleNow()).toEqual({ expression: NEVER, state: 'ENABLED', description: 'Runs e2e-scale-down on a schedule.' });
  const targets = await events.send(new ListTargetsByRuleCommand({ Rule: fn.ruleName }));
  expect(targets.Targets?.map((t) => t.Arn)).toEqual([functionArn]);
});

test('no invocation within the time: the check fails, and the rule is put back all the same', async () => {
  const check = await checkSchedule({ events, logs }, fn, { timeoutSeconds: 1, pollMs: 200 });
  expect(check).toMatchObject({ ok: false, detail: 'rate(1 minute) on e2e-scale-down-schedule did not invoke e2e-scale-down within 1 s (nothing in /aws/lambda/e2e-scale-down)' });
  expect((await ruleNow()).expression).toBe(NEVER);
});

test('a rule that does not target the function fails before anything is changed', async () => {
  const check = await checkSchedule({ events, logs }, { ...fn, functionName: 'other-function' }, { timeoutSeconds: 1 });
  expect(check).toMatchObject({ ok: false, detail: expect.stringContaining('does not target function other-function') });
  expect((await ruleNow()).expression).toBe(NEVER);
});
