// The stub of the github-aws-runners module's outputs, applied against moto, agrees with
// the facts the upstream-shaped world is built on (integration/upstream/facts.ts): two
// models of that module's names, checked against each other. And the schedule the
// switch-over gives that module's scale-down is one EventBridge takes (the documented
// syntax) and stores (moto, through terraform apply), and one that never fires.
import { rmSync } from 'node:fs';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  appParameterNames,
  checkScheduleExpression,
  environmentOf,
  launchTemplateTags,
  MINIMUM_RUNNING_TIME_DEFAULTS,
  neverFiresAfter,
  runnerRoleName,
  scaleDownNames,
} from '../../integration/upstream';
import { MOTO_REGION } from './harness';
import { startMoto, type Moto } from './moto';
import { stageWithStub, STUB_DIR, writeConfiguration, type Configuration } from './upstream';

jest.setTimeout(300_000);

// A key long enough that "<prefix>-<key>-runner" passes the 54 characters that module keeps,
// and short enough for its 64-character rule name.
const LONG_KEY = 'windows-x64-with-a-long-runner-type-name-x';
const SWITCH_OVER = 'examples/beside-github-aws-runners/modules/switch-over';

interface StubRunner {
  launch_template_name: string;
  launch_template_id: string;
  role_runner: { name: string; arn: string; path: string }[];
  lambda_down: { function_name: string; environment: { variables: Record<string, string> }[] };
  scale_down_rule: { name: string; schedule_expression: string };
}
interface StubSsm {
  id: { name: string; arn: string };
  key_base64: { name: string; arn: string };
  webhook_secret: { name: string; arn: string };
}

let moto: Moto;
let staged: string;
let config: Configuration;
let root: { runners: StubRunner; ssm_parameters: StubSsm };
let multi: { runners_map: Record<string, StubRunner>; ssm_parameters: StubSsm };
let never: string;
let kmsKeyArn: string;
const aws = () => ({ region: MOTO_REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

beforeAll(async () => {
  moto = await startMoto();
  staged = await stageWithStub();
  config = writeConfiguration(staged, 'stubs', moto.url, {
    resource: { aws_kms_key: { ssm: { description: 'the key given to that module as kms_key_arn' } } },
    module: {
      switch_over: {
        source: SWITCH_OVER,
        stage: 'dry-run',
        environments: ['gh-ci', 'fleet-linux-x64', `fleet-${LONG_KEY}`],
        reaper_scale_down_function_name: 'gh-ci-reaper-scale-down',
        reaper_schedules: { scale_down: 'cron(*/5 * * * ? *)', orphan_cleanup: 'rate(10 minutes)' },
        github_runner_schedules: { root: 'cron(*/5 * * * ? *)', 'linux-x64': 'cron(*/5 * * * ? *)', [LONG_KEY]: 'cron(*/5 * * * ? *)' },
      },
      github_runner: {
        source: STUB_DIR,
        prefix: 'gh-ci',
        github_app: { id: '4711', key_base64: 'a2V5' },
        kms_key_arn: '${aws_kms_key.ssm.arn}',
        runner_name_prefix: 'ci-',
        scale_down_schedule_expression: '${module.switch_over.github_runner_schedules["root"]}',
      },
      multi_runner: {
        source: `${STUB_DIR}/modules/multi-runner`,
        prefix: 'fleet',
        github_app: { id: '4712', key_base64: 'a2V5Mg==' },
        multi_runner_config: {
          'linux-x64': { runner_config: { runner_os: 'linux', scale_down_schedule_expression: '${module.switch_over.github_runner_schedules["linux-x64"]}' } },
          [LONG_KEY]: { runner_config: { runner_os: 'windows', scale_down_schedule_expression: `\${module.switch_over.github_runner_schedules["${LONG_KEY}"]}` } },
        },
      },
    },
    output: {
      root: { value: '${module.github_runner}' },
      multi: { value: '${module.multi_runner}' },
      never: { value: '${module.switch_over.never_schedule_expression}' },
      kms: { value: '${aws_kms_key.ssm.arn}' },
    },
  });
  await config.init();
  await config.apply();
  root = await config.output('root');
  multi = await config.output('multi');
  never = await config.output('never');
  kmsKeyArn = await config.output('kms');
});

afterAll(async () => {
  await config?.destroy().catch(() => undefined);
  if (staged) rmSync(staged, { recursive: true, force: true });
  await moto?.stop();
});

test("the never-firing schedule is valid EventBridge syntax, never fires, and is what both stubs' scale-down rules got", async () => {
  expect(checkScheduleExpression(never)).toEqual({ ok: true, kind: 'cron' });
  expect(neverFiresAfter(never, new Date())).toBe(true);
  const events = new EventBridgeClient(aws());
  const rules = [root.runners.scale_down_rule.name, ...Object.values(multi.runners_map).map((r) => r.scale_down_rule.name)];
  for (const name of rules) {
    const rule = await events.send(new DescribeRuleCommand({ Name: name }));
    expect({ name, expression: rule.ScheduleExpression }).toEqual({ name, expression: never });
  }
  events.destroy();
});

test('root module: App parameters, runner role, scale-down names and launch template tags as the facts say', async () => {
  const names = appParameterNames('root', 'gh-ci');
  expect({ id: root.ssm_parameters.id.name, key: root.ssm_parameters.key_base64.name, secret: root.ssm_parameters.webhook_secret.name }).toEqual({
    id: names.id,
    key: names.keyBase64,
    secret: names.webhookSecret,
  });
  expect(root.runners.role_runner.map((r) => r.name)).toEqual([runnerRoleName('gh-ci')]);
  expect(root.runners.scale_down_rule.name).toBe(scaleDownNames('gh-ci').ruleName);
  expect(root.runners.lambda_down.function_name).toBe(scaleDownNames('gh-ci').functionName);
  expect(root.runners.lambda_down.environment[0]!.variables).toMatchObject({
    ENVIRONMENT: environmentOf('gh-ci'),
    MINIMUM_RUNNING_TIME_IN_MINUTES: String(MINIMUM_RUNNING_TIME_DEFAULTS.linux),
    SCALE_DOWN_CONFIG: '[]',
  });

  const ssm = new SSMClient(aws());
  const id = await ssm.send(new GetParameterCommand({ Name: names.id, WithDecryption: true }));
  expect({ type: id.Parameter?.Type, value: id.Parameter?.Value }).toEqual({ type: 'SecureString', value: '4711' });
  const described = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [names.id, names.keyBase64] }] }));
  expect(described.Parameters?.map((p) => p.KeyId)).toEqual([kmsKeyArn, kmsKeyArn]);
  ssm.destroy();

  const iam = new IAMClient(aws());
  const role = await iam.send(new GetRoleCommand({ RoleName: runnerRoleName('gh-ci') }));
  expect(role.Role?.Path).toBe('/gh-ci/');
  iam.destroy();

  const ec2 = new EC2Client(aws());
  const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: root.runners.launch_template_name }));
  const instanceTags = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? [];
  expect(Object.fromEntries(instanceTags.map((t) => [t.Key, t.Value]))).toEqual(launchTemplateTags({ layout: 'root', prefix: 'gh-ci', runnerNamePrefix: 'ci-' }));
  ec2.destroy();
});

test('multi-runner: one environment, role and rule per runner type, the App parameters shared under the prefix', async () => {
  const names = appParameterNames('multi-runner', 'fleet');
  expect(multi.ssm_parameters.id.name).toBe(names.id);
  expect(multi.ssm_parameters.key_base64.name).toBe(names.keyBase64);
  const ec2 = new EC2Client(aws());
  for (const [key, os] of [['linux-x64', 'linux'], [LONG_KEY, 'windows']] as const) {
    const runner = multi.runners_map[key]!;
    const typePrefix = `fleet-${key}`;
    expect(runner.role_runner.map((r) => r.name)).toEqual([runnerRoleName(typePrefix)]);
    expect(runner.scale_down_rule.name).toBe(scaleDownNames(typePrefix).ruleName);
    expect(runner.lambda_down.environment[0]!.variables).toMatchObject({
      ENVIRONMENT: environmentOf('fleet', key),
      MINIMUM_RUNNING_TIME_IN_MINUTES: String(MINIMUM_RUNNING_TIME_DEFAULTS[os]),
      PARAMETER_GITHUB_APP_ID_NAME: names.id,
    });
    const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: runner.launch_template_name }));
    const tags = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? [];
    expect(Object.fromEntries(tags.map((t) => [t.Key, t.Value]))).toEqual(launchTemplateTags({ layout: 'multi-runner', prefix: 'fleet', runnerKey: key }));
  }
  ec2.destroy();
  // The long type's role name is cut to 54 characters before the md5 suffix, as that module cuts it.
  const long = runnerRoleName(`fleet-${LONG_KEY}`);
  expect(long).toHaveLength(54 + 1 + 8);
  expect(long.startsWith(`fleet-${LONG_KEY}-runner`.slice(0, 54))).toBe(true);
});
