// The module for real, against moto: apply the upgrade baseline, plan the working tree on
// the same state (nothing replaced), apply it, read every function and the probe document
// back, prove its IAM policy with a policy simulator, and destroy it leaving nothing behind.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, GetPolicyCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetDocumentCommand, ListDocumentsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { baselineCommit, extractCommit } from './baseline';
import { applyModuleAgainstMoto, MOTO_ACCOUNT_ID, MOTO_REGION, readOutputs, writeFixture, DEFAULT_VARS, type DeployedReaper, type ReaperOutputs } from './harness';
import { loadConfig } from '../../lambda/src/config/load';
import { TAG } from '../../lambda/src/core/tags';
import { decide } from './iam-sim';
import { startMoto, type Moto } from './moto';
import { stageModule } from './stage';
import { terraformOk } from './terraform';

jest.setTimeout(300_000);

// Distinct values, so a mis-wired variable shows up as a wrong environment variable.
const VARS = {
  environment: 'gh-e2e',
  github_app: {
    id_parameter: '/gh-e2e/app/id',
    key_base64_parameter: '/gh-e2e/app/key',
    installation_id_parameter: '/gh-e2e/app/installation',
  },
  github_api_url: 'http://127.0.0.1:3999',
  minimum_running_time_in_minutes: 0,
  runner_boot_time_in_minutes: 1,
  idle_confirmation_seconds: 2,
  max_job_duration_minutes: 30,
  job_evidence: 'hooks',
  settle_seconds: 4,
  github_concurrency: 6,
  idle_config: [{ cron: '* * * * *', idleCount: 1 }],
  scale_down_schedule_expression: 'rate(7 minutes)',
  orphan_cleanup_schedule_expression: 'rate(8 minutes)',
  scale_down_timeout: 120,
  orphan_cleanup_timeout: 90,
};

/** Inputs the baseline does not have: given to the working tree's module only. */
const NEW_VARS = {
  create_dashboard: true,
  create_alarms: true,
  alarm_sns_topic_arn: `arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:reaper-alerts`,
  alarm_thresholds: { instances_without_evidence: 0 },
};

const EXPECTED_ENV = {
  ENVIRONMENT: 'gh-e2e',
  PARAMETER_GITHUB_APP_ID_NAME: '/gh-e2e/app/id',
  PARAMETER_GITHUB_APP_KEY_BASE64_NAME: '/gh-e2e/app/key',
  PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: '/gh-e2e/app/installation',
  GITHUB_API_URL: 'http://127.0.0.1:3999',
  MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
  RUNNER_BOOT_TIME_IN_MINUTES: '1',
  IDLE_CONFIRMATION_SECONDS: '2',
  IDLE_CONFIG: JSON.stringify([{ cron: '* * * * *', evictionStrategy: 'oldest_first', idleCount: 1, timeZone: 'UTC' }]),
  MAX_JOB_DURATION_MINUTES: '30',
  IDLE_POOL_SCOPE: 'owner',
  UNREGISTERED_HOLD_MAX_INSTANCES: '0',
  PROBE_DOCUMENT_NAME: 'gh-e2e-reaper-probe',
  PROBE_TIMEOUT_SECONDS: '10',
  JOB_EVIDENCE: 'hooks',
  SETTLE_SECONDS: '4',
  GITHUB_CONCURRENCY: '6',
  DRY_RUN: 'false',
  LOG_LEVEL: 'INFO',
  POWERTOOLS_METRICS_NAMESPACE: 'RunnerReaper',
};

/** Resource types an upgrade must never replace or destroy. */
const KEPT_TYPES = [
  'aws_lambda_function',
  'aws_iam_role',
  'aws_cloudwatch_log_group',
  'aws_iam_role_policy',
  'aws_cloudwatch_event_rule',
];

interface PlannedChange {
  address: string;
  type: string;
  change: { actions: string[] };
}

let moto: Moto;
let baseline: DeployedReaper | undefined;
let outputs: ReaperOutputs;
let clients: { lambda: LambdaClient; iam: IAMClient; events: EventBridgeClient; logs: CloudWatchLogsClient; ssm: SSMClient };
const cleanup: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  const config = {
    region: MOTO_REGION,
    endpoint: moto.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  clients = {
    lambda: new LambdaClient(config),
    iam: new IAMClient(config),
    events: new EventBridgeClient(config),
    logs: new CloudWatchLogsClient(config),
    ssm: new SSMClient(config),
  };
});

afterAll(async () => {
  Object.values(clients ?? {}).forEach((client) => client.destroy());
  await moto?.stop();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** The aws CLI against moto, for the services this suite has no SDK client of (CloudWatch). */
function awsCli(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'aws',
      [...args, '--endpoint-url', moto.url, '--region', MOTO_REGION, '--output', 'json'],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_PAGER: '' } },
      (error, stdout, stderr) => (error ? reject(new Error(`aws ${args.join(' ')}: ${stderr}`)) : resolvePromise(stdout)),
    );
  });
}

async function functionNames(): Promise<string[]> {
  const out = await clients.lambda.send(new ListFunctionsCommand({}));
  return (out.Functions ?? []).map((f) => f.FunctionName ?? '').sort();
}

describe('upgrade from the baseline commit, then the working tree end to end', () => {
  test('the baseline module applies and creates both functions, roles and log groups', async () => {
    const commit = baselineCommit();
    const source = extractCommit(commit);
    cleanup.push(source);
    const baselineModule = await stageModule(source);
    cleanup.push(baselineModule);
    baseline = await applyModuleAgainstMoto(moto.url, VARS, { moduleDir: baselineModule });
    cleanup.push(baseline.fixtureDir);

    // Guard against an upgrade test that passes because nothing was there to replace.
    expect(await functionNames()).toEqual(['gh-e2e-reaper-orphan-cleanup', 'gh-e2e-reaper-scale-down']);
    const roles = await clients.iam.send(new ListRolesCommand({}));
    expect((roles.Roles ?? []).map((r) => r.RoleName).filter((n) => n?.startsWith('gh-e2e-reaper')).sort()).toEqual([
      'gh-e2e-reaper-orphan-cleanup',
      'gh-e2e-reaper-scale-down',
    ]);
    const groups = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/gh-e2e-reaper' }));
    expect(groups.logGroups?.length).toBe(2);
  });

  test('the working tree plans on the baseline state without replacing anything', async () => {
    if (!baseline) throw new Error('baseline not applied');
    const fixture = baseline.fixtureDir;
    const current = await stageModule();
    cleanup.push(current);
    writeFixture(fixture, current, moto.url, { ...DEFAULT_VARS, ...VARS, ...NEW_VARS });
    await terraformOk(fixture, ['init', '-input=false']);
    await terraformOk(fixture, ['plan', '-input=false', '-out=upgrade.tfplan']);
    const plan = JSON.parse(await terraformOk(fixture, ['show', '-json', 'upgrade.tfplan'])) as {
      resource_changes?: PlannedChange[];
    };
    const changes = (plan.resource_changes ?? []).filter((c) => KEPT_TYPES.includes(c.type));

    // Every kept resource was in the state (not planned as new) ...
    const byType = (type: string) => changes.filter((c) => c.type === type);
    for (const type of ['aws_lambda_function', 'aws_iam_role', 'aws_cloudwatch_log_group']) {
      expect(byType(type).map((c) => c.address).sort()).toEqual([
        `module.reaper.module.orphan_cleanup.${type}.this`,
        `module.reaper.module.scale_down.${type}.this`,
      ]);
    }
    // ... and none is created anew, replaced or destroyed.
    const disruptive = changes
      .filter((c) => c.change.actions.some((a) => a === 'delete' || a === 'create'))
      .map((c) => `${c.address}: ${c.change.actions.join('/')}`);
    expect(disruptive).toEqual([]);

    await terraformOk(fixture, ['apply', '-input=false', 'upgrade.tfplan']);
    outputs = await readOutputs(fixture);
    expect(outputs.scale_down.function_name).toBe('gh-e2e-reaper-scale-down');
  });

  test('each function reads back with the configured handler, runtime, timeout and environment', async () => {
    const expected = [
      { name: outputs.scale_down.function_name, service: 'runner-reaper-scale-down', timeout: 120 },
      { name: outputs.orphan_cleanup.function_name, service: 'runner-reaper-orphan-cleanup', timeout: 90 },
    ];
    for (const { name, service, timeout } of expected) {
      const config = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      expect({
        handler: config.Handler,
        runtime: config.Runtime,
        timeout: config.Timeout,
        memory: config.MemorySize,
        env: config.Environment?.Variables,
      }).toEqual({
        handler: 'index.handler',
        runtime: 'nodejs22.x',
        timeout,
        memory: 512,
        env: { ...EXPECTED_ENV, POWERTOOLS_SERVICE_NAME: service, FUNCTION_TIMEOUT_SECONDS: String(timeout) },
      });
      // The functions' own cold-start check accepts what was deployed: an example the
      // functions refuse (MAX_JOB_DURATION_MINUTES below 30, a settle that does not fit) is wrong.
      const loaded = loadConfig(config.Environment?.Variables ?? {});
      expect({ name, maxJobDurationMinutes: loaded.maxJobDurationMinutes }).toEqual({ name, maxJobDurationMinutes: 30 });
    }
  });

  test('each function has its schedule rule, target and invoke permission', async () => {
    for (const [fn, schedule] of [
      [outputs.scale_down, 'rate(7 minutes)'],
      [outputs.orphan_cleanup, 'rate(8 minutes)'],
    ] as const) {
      const rules = await clients.events.send(new ListRulesCommand({ NamePrefix: fn.schedule_rule_name }));
      expect(rules.Rules?.map((r) => [r.Name, r.ScheduleExpression, r.State])).toEqual([
        [fn.schedule_rule_name, schedule, 'ENABLED'],
      ]);
      const targets = await clients.events.send(new ListTargetsByRuleCommand({ Rule: fn.schedule_rule_name }));
      expect(targets.Targets?.map((t) => t.Arn)).toEqual([fn.function_arn]);
      const policy = await clients.lambda.send(new GetPolicyCommand({ FunctionName: fn.function_name }));
      const statements = (JSON.parse(policy.Policy ?? '{}') as { Statement: Array<Record<string, unknown>> }).Statement;
      expect(statements).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnLike: { 'AWS:SourceArn': rules.Rules?.[0]?.Arn } },
        }),
      ]);
    }
  });

  test('the probe document exists as a Linux shell step running modules/probe/scripts/probe.sh', async () => {
    expect(outputs.probe_document_name).toBe('gh-e2e-reaper-probe');
    const doc = await clients.ssm.send(new GetDocumentCommand({ Name: outputs.probe_document_name ?? '' }));
    expect({ type: doc.DocumentType, format: doc.DocumentFormat }).toEqual({ type: 'Command', format: 'JSON' });
    const content = JSON.parse(doc.Content ?? '{}') as {
      mainSteps: Array<{ action: string; precondition: unknown; inputs: { runCommand: string[] } }>;
    };
    expect(content.mainSteps).toHaveLength(1);
    expect(content.mainSteps[0]).toMatchObject({
      action: 'aws:runShellScript',
      precondition: { StringEquals: ['platformType', 'Linux'] },
    });
    const script = readFileSync(join(__dirname, '..', '..', 'modules', 'probe', 'scripts', 'probe.sh'), 'utf8');
    const [rootLine, ...scriptLines] = content.mainSteps[0]?.inputs.runCommand ?? [];
    expect(rootLine).toBe("RUNNER_REAPER_RUNNER_ROOT='{{ runnerRoot }}'");
    expect(`${scriptLines.join('\n')}\n`).toBe(script);
  });

  test('the dashboard and the alarms exist, the alarms notifying the topic', async () => {
    const dashboard = JSON.parse(await awsCli(['cloudwatch', 'get-dashboard', '--dashboard-name', 'gh-e2e-reaper'])) as {
      DashboardBody: string;
    };
    const widgets = (JSON.parse(dashboard.DashboardBody) as { widgets: Array<{ type: string; properties: { metrics?: unknown[][] } }> })
      .widgets;
    const metricNames = new Set(widgets.flatMap((w) => (w.properties.metrics ?? []).map((line) => line[1])));
    for (const name of ['Errors', 'GitHubUnavailable', 'RacesCaught', 'InstancesByEvidence', 'HeldUnregisteredOldestSeconds', 'GitHubDeletes', 'GitHubCalls']) {
      expect({ name, shown: metricNames.has(name) }).toEqual({ name, shown: true });
    }
    const alarms = JSON.parse(await awsCli(['cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'gh-e2e-reaper-'])) as {
      MetricAlarms: Array<{ AlarmName: string; AlarmActions: string[]; OKActions: string[]; Metrics?: unknown[] }>;
    };
    expect(alarms.MetricAlarms.map((a) => a.AlarmName).sort()).toEqual(
      [
        'errors',
        'github-rate-limited',
        'github-unavailable',
        'held-unregistered-too-long',
        'instances-without-machine-evidence',
        'orphan-cleanup-failed-invocations',
        'reclaims-deferred',
        'scale-down-failed-invocations',
      ].map((a) => `gh-e2e-reaper-${a}`),
    );
    for (const alarm of alarms.MetricAlarms) {
      expect({ alarm: alarm.AlarmName, actions: [alarm.AlarmActions, alarm.OKActions] }).toEqual({
        alarm: alarm.AlarmName,
        actions: [[NEW_VARS.alarm_sns_topic_arn], [NEW_VARS.alarm_sns_topic_arn]],
      });
    }
    expect(alarms.MetricAlarms.find((a) => a.AlarmName === 'gh-e2e-reaper-errors')?.Metrics).toHaveLength(3);
  });

  test('log groups exist with the configured retention', async () => {
    const groups = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/gh-e2e-reaper' }));
    expect(groups.logGroups?.map((g) => [g.logGroupName, g.retentionInDays]).sort()).toEqual([
      [outputs.orphan_cleanup.log_group_name, 30],
      [outputs.scale_down.log_group_name, 30],
    ]);
  });

  describe('the deployed role policy, evaluated by @cloud-copilot/iam-simulate', () => {
    const instance = (id: string) => `arn:aws:ec2:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:instance/${id}`;
    const ours = { 'aws:ResourceTag/ghr:environment': 'gh-e2e', 'aws:ResourceTag/ghr:Application': 'github-action-runner' };
    const parameter = (name: string) => `arn:aws:ssm:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:parameter${name}`;
    const document = (name: string, account: string = MOTO_ACCOUNT_ID) => `arn:aws:ssm:${MOTO_REGION}:${account}:document/${name}`;
    // SendCommand reads an instance's tags as ssm:resourceTag/<key> (Service Authorization Reference).
    const oursForSsm = { 'ssm:resourceTag/ghr:environment': 'gh-e2e', 'ssm:resourceTag/ghr:Application': 'github-action-runner' };
    // Exactly what the functions write and remove (lambda/src/core, lambda/src/executor):
    // the back-off marks are written, never removed; 0.1.0's pair is removed, never written.
    const WRITTEN_KEYS = [
      'ghr:idle-since',
      'ghr:draining-since',
      'ghr:reaper-orphan-since',
      'ghr:reaper-delete-failures',
      'ghr:reaper-delete-failed-at',
      'ghr:reaper-termination-refused-at',
    ];
    const REMOVED_KEYS = ['ghr:idle-since', 'ghr:draining-since', 'ghr:reaper-orphan-since', 'ghr:orphan', 'ghr:orphan-since'];
    let policies: Array<{ fn: string; policy: unknown; logGroup: string }>;

    beforeAll(async () => {
      policies = [];
      for (const fn of [outputs.scale_down, outputs.orphan_cleanup]) {
        const names = await clients.iam.send(new ListRolePoliciesCommand({ RoleName: fn.role_name }));
        expect(names.PolicyNames).toEqual(['runner-reaper']);
        const read = await clients.iam.send(new GetRolePolicyCommand({ RoleName: fn.role_name, PolicyName: 'runner-reaper' }));
        policies.push({
          fn: fn.function_name,
          policy: JSON.parse(decodeURIComponent(read.PolicyDocument ?? '')),
          logGroup: fn.log_group_name,
        });
      }
    });

    test('allows every call the Lambdas make, on this fleet', async () => {
      for (const { policy, logGroup } of policies) {
        const allowed = [
          { action: 'ec2:DescribeInstances', resource: '*' },
          { action: 'ec2:TerminateInstances', resource: instance('i-0a'), context: ours },
          ...WRITTEN_KEYS.map((key) => ({ action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': [key] } })),
          ...REMOVED_KEYS.map((key) => ({ action: 'ec2:DeleteTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': [key] } })),
          { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:idle-since', 'ghr:reaper-orphan-since'] } },
          // A failed DELETE writes its count and time in one call.
          {
            action: 'ec2:CreateTags',
            resource: instance('i-0a'),
            context: { ...ours, 'aws:TagKeys': ['ghr:reaper-delete-failures', 'ghr:reaper-delete-failed-at'] },
          },
          // The marks 0.1.0 wrote are removed, together with our own keys in one call.
          {
            action: 'ec2:DeleteTags',
            resource: instance('i-0a'),
            context: { ...ours, 'aws:TagKeys': ['ghr:orphan', 'ghr:orphan-since', 'ghr:reaper-orphan-since'] },
          },
          { action: 'ssm:SendCommand', resource: document('gh-e2e-reaper-probe') },
          { action: 'ssm:SendCommand', resource: instance('i-0a'), context: oursForSsm },
          ...['ssm:DescribeInstanceInformation', 'ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'].map((action) => ({
            action,
            resource: '*',
          })),
          ...['/gh-e2e/app/id', '/gh-e2e/app/key', '/gh-e2e/app/installation'].map((name) => ({
            action: 'ssm:GetParameter',
            resource: parameter(name),
          })),
          {
            action: 'logs:PutLogEvents',
            resource: `arn:aws:logs:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:log-group:${logGroup}:log-stream:2026/01/01/[$LATEST]abc`,
          },
        ];
        for (const request of allowed) {
          expect({ request, decision: await decide(policy, request) }).toEqual({ request, decision: 'Allowed' });
        }
      }
    });

    test('every reaper memory key of lambda/src/core/tags.ts may be written: a new one fails here until iam.tf allows it', async () => {
      const memory = Object.values(TAG).filter((key) => key.startsWith('ghr:reaper-'));
      // The guard needs something to guard: today's reaper-prefixed keys are all in it.
      expect(memory.sort()).toEqual(WRITTEN_KEYS.filter((key) => key.startsWith('ghr:reaper-')).sort());
      for (const key of [...memory, TAG.idleSince, TAG.drainingSince]) {
        expect(WRITTEN_KEYS).toContain(key);
      }
      for (const { policy } of policies) {
        for (const key of memory) {
          const request = { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': [key] } };
          expect({ request, decision: await decide(policy, request) }).toEqual({ request, decision: 'Allowed' });
        }
      }
    });

    test('SendCommand: only the probe document, only on instances with both fleet tags', async () => {
      const contexts: Array<Record<string, string>> = [
        { 'ssm:resourceTag/ghr:environment': 'other-fleet', 'ssm:resourceTag/ghr:Application': 'github-action-runner' },
        { 'ssm:resourceTag/ghr:environment': 'gh-e2e' },
        { 'ssm:resourceTag/ghr:Application': 'github-action-runner' },
        {},
      ];
      for (const { policy } of policies) {
        const denied = [
          ...contexts.map((context) => ({ action: 'ssm:SendCommand', resource: instance('i-0b'), context })),
          // Any other document: another of this account's, or the probe's name in another
          // account. (AWS-owned documents have ARNs without an account, which the simulator
          // cannot parse; the statement names one full ARN, so they cannot match either.)
          { action: 'ssm:SendCommand', resource: document('gh-e2e-other') },
          { action: 'ssm:SendCommand', resource: document('gh-e2e-reaper-probe', '999999999999') },
          { action: 'ssm:StartSession', resource: instance('i-0a'), context: oursForSsm },
          { action: 'ssm:CreateDocument', resource: document('gh-e2e-reaper-probe') },
          { action: 'ssm:UpdateDocument', resource: document('gh-e2e-reaper-probe') },
        ];
        for (const request of denied) {
          expect({ request, decision: await decide(policy, request) }).toEqual({ request, decision: 'ImplicitlyDenied' });
        }
      }
    });

    test('denies terminating or tagging another environment, or an instance with only one of the two tags', async () => {
      const contexts: Array<Record<string, string>> = [
        { 'aws:ResourceTag/ghr:environment': 'other-fleet', 'aws:ResourceTag/ghr:Application': 'github-action-runner' },
        { 'aws:ResourceTag/ghr:environment': 'gh-e2e' },
        { 'aws:ResourceTag/ghr:Application': 'github-action-runner' },
        { 'aws:ResourceTag/ghr:environment': 'gh-e2e', 'aws:ResourceTag/ghr:Application': 'something-else' },
        {},
      ];
      for (const { policy } of policies) {
        for (const context of contexts) {
          for (const request of [
            { action: 'ec2:TerminateInstances', resource: instance('i-0b'), context },
            { action: 'ec2:CreateTags', resource: instance('i-0b'), context: { ...context, 'aws:TagKeys': ['ghr:idle-since'] } },
            { action: 'ec2:DeleteTags', resource: instance('i-0b'), context: { ...context, 'aws:TagKeys': ['ghr:draining-since'] } },
          ]) {
            expect({ request, decision: await decide(policy, request) }).toEqual({ request, decision: 'ImplicitlyDenied' });
          }
        }
      }
    });

    test('denies writing tags that are not the reaper memory, other parameters, other log groups and anything else', async () => {
      for (const { policy } of policies) {
        const denied = [
          { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:job'] } },
          // ghr:orphan=true makes the github-aws-runners scale-down terminate the instance.
          { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:orphan'] } },
          { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:reaper-orphan-since', 'ghr:orphan'] } },
          { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:orphan-since'] } },
          { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:job-hooks'] } },
          { action: 'ec2:DeleteTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:environment'] } },
          // The back-off marks are never removed by the functions, so the policy does not allow it.
          ...['ghr:reaper-delete-failures', 'ghr:reaper-delete-failed-at', 'ghr:reaper-termination-refused-at'].map((key) => ({
            action: 'ec2:DeleteTags',
            resource: instance('i-0a'),
            context: { ...ours, 'aws:TagKeys': [key] },
          })),
          { action: 'ec2:DeleteTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:job'] } },
          { action: 'ec2:CreateTags', resource: instance('i-0a'), context: { ...ours, 'aws:TagKeys': ['ghr:idle-since', 'Name'] } },
          { action: 'ec2:DeleteTags', resource: instance('i-0a'), context: ours },
          { action: 'ssm:GetParameter', resource: parameter('/gh-e2e/app/webhook_secret') },
          { action: 'ssm:PutParameter', resource: parameter('/gh-e2e/app/id') },
          { action: 'logs:PutLogEvents', resource: `arn:aws:logs:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:log-group:/aws/lambda/other:log-stream:x` },
          { action: 'ec2:RunInstances', resource: instance('i-0a'), context: ours },
          { action: 'ec2:StopInstances', resource: instance('i-0a'), context: ours },
          { action: 'iam:PassRole', resource: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/admin` },
        ];
        for (const request of denied) {
          expect({ request, decision: await decide(policy, request) }).toEqual({ request, decision: 'ImplicitlyDenied' });
        }
      }
    });
  });

  test('the runner instance policy output lets an instance write only the hook contract keys on this fleet', async () => {
    const policy = JSON.parse(outputs.runner_hooks.instance_policy_json) as { Statement: Array<Record<string, unknown>> };
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({
      Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
      Condition: {
        StringEquals: { 'aws:ARN': '${ec2:SourceInstanceARN}', 'aws:ResourceTag/ghr:environment': 'gh-e2e' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['ghr:job', 'ghr:job-started-at', 'ghr:last-job-completed-at', 'ghr:job-hooks'] },
      },
    });
    expect(outputs.runner_hooks.job_started_script).toBe(
      readFileSync(join(__dirname, '..', '..', 'modules', 'runner-hooks', 'scripts', 'job-started.sh'), 'utf8'),
    );
  });

  test('terraform destroy leaves no function, role, log group, rule, document, dashboard or alarm behind', async () => {
    if (!baseline) throw new Error('baseline not applied');
    await terraformOk(baseline.fixtureDir, ['destroy', '-auto-approve', '-input=false', '-refresh=false']);
    expect(await functionNames()).toEqual([]);
    const roles = await clients.iam.send(new ListRolesCommand({}));
    expect((roles.Roles ?? []).filter((r) => r.RoleName?.startsWith('gh-e2e-reaper'))).toEqual([]);
    const groups = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/gh-e2e-reaper' }));
    expect(groups.logGroups ?? []).toEqual([]);
    const rules = await clients.events.send(new ListRulesCommand({ NamePrefix: 'gh-e2e-reaper' }));
    expect(rules.Rules ?? []).toEqual([]);
    const documents = await clients.ssm.send(new ListDocumentsCommand({ Filters: [{ Key: 'Owner', Values: ['Self'] }] }));
    expect((documents.DocumentIdentifiers ?? []).map((d) => d.Name)).toEqual([]);
    const dashboards = JSON.parse(await awsCli(['cloudwatch', 'list-dashboards'])) as { DashboardEntries: unknown[] };
    expect(dashboards.DashboardEntries).toEqual([]);
    const alarms = JSON.parse(await awsCli(['cloudwatch', 'describe-alarms'])) as { MetricAlarms: unknown[] };
    expect(alarms.MetricAlarms).toEqual([]);
  });
});
