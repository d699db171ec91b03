// Both beside-github-aws-runners examples applied against moto with the stub of the
// github-aws-runners module's outputs (test/terraform/fixtures/upstream-stub), wired the
// way their READMEs say, through the stages: the names the reaper gets come from that
// module's outputs, its scale-downs stop, each runner role gets the hooks' policy (and
// the policy is scoped to the fleet's environments), the hooks land in its launch template,
// a skipped step is refused, and destroy leaves no reaper behind.
import { rmSync } from 'node:fs';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetPolicyCommand, GetPolicyVersionCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { checkScheduleExpression, environmentOf, neverFiresAfter, runnerRoleName } from '../../integration/upstream';
import { MOTO_REGION } from './harness';
import { startMoto, type Moto } from './moto';
import { besideConfiguration, stageWithStub, type Configuration } from './upstream';

jest.setTimeout(900_000);

const IDLE_CONFIG = [{ cron: '* * 8-18 * * 1-5', timeZone: 'Europe/Amsterdam', idleCount: 2, evictionStrategy: 'oldest_first' }];
const GHES_URL = 'https://github.example.com';

interface Runner {
  launch_template_name: string;
  role_runner: { name: string }[];
  scale_down_rule: { name: string };
}
interface Stub {
  ssm_parameters: { id: { name: string }; key_base64: { name: string } };
}
interface Functions {
  scale_down: { function_name: string; function_arn: string };
  orphan_cleanup: { function_name: string; function_arn: string };
}

let moto: Moto;
let staged: string;
let config: Configuration;
let lambda: LambdaClient;
let iam: IAMClient;
let ec2: EC2Client;
let events: EventBridgeClient;
let rootStub: Stub & { runners: Runner };
let multiStub: Stub & { runners_map: Record<string, Runner> };
let rootExample: { github_runner_inputs: Record<string, unknown>; runner_reaper: Functions };
let multiExample: { runner_config: Record<string, Record<string, unknown>>; userdata_post_install: Record<string, string>; runner_reaper: Functions };

const aws = () => ({ region: MOTO_REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

async function readOutputs(): Promise<void> {
  rootStub = await config.output('root_stub');
  multiStub = await config.output('multi_stub');
  rootExample = await config.output('root_example');
  multiExample = await config.output('multi_example');
}

async function envOf(functionName: string): Promise<Record<string, string>> {
  const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  return out.Environment?.Variables ?? {};
}

beforeAll(async () => {
  moto = await startMoto();
  lambda = new LambdaClient(aws());
  iam = new IAMClient(aws());
  ec2 = new EC2Client(aws());
  events = new EventBridgeClient(aws());
  staged = await stageWithStub();
  config = besideConfiguration(staged, 'examples', moto.url, {
    rootArgs: { instance_policy_attachment: 'managed-policy', ghes_url: GHES_URL, idle_config: IDLE_CONFIG },
    rootStubArgs: { ghes_url: GHES_URL, idle_config: IDLE_CONFIG },
  });
  await config.init();
  await config.apply({ stage: 'dry-run' });
  await readOutputs();
});

afterAll(async () => {
  for (const client of [lambda, iam, ec2, events]) client?.destroy();
  if (staged) rmSync(staged, { recursive: true, force: true });
  await moto?.stop();
});

describe('stage dry-run, the first apply', () => {
  test("that module's scale-down rules get a schedule that never fires, and the reaper only decides", async () => {
    const rules = [rootStub.runners.scale_down_rule.name, ...Object.values(multiStub.runners_map).map((r) => r.scale_down_rule.name)];
    expect(rules).toHaveLength(3);
    for (const name of rules) {
      const expression = (await events.send(new DescribeRuleCommand({ Name: name }))).ScheduleExpression!;
      expect({ name, valid: checkScheduleExpression(expression).ok, never: neverFiresAfter(expression, new Date()) }).toEqual({ name, valid: true, never: true });
    }
    for (const fns of [rootExample.runner_reaper, multiExample.runner_reaper]) {
      for (const fn of [fns.scale_down, fns.orphan_cleanup]) {
        expect((await envOf(fn.function_name)).DRY_RUN).toBe('true');
        expect((await lambda.send(new ListTagsCommand({ Resource: fn.function_arn }))).Tags?.['runner-reaper:stage']).toBe('dry-run');
      }
    }
  });

  test("the reaper's functions are configured from that module's outputs and settings", async () => {
    const root = await envOf(rootExample.runner_reaper.scale_down.function_name);
    expect(root).toMatchObject({
      ENVIRONMENT: environmentOf('gh-compat'),
      PARAMETER_GITHUB_APP_ID_NAME: rootStub.ssm_parameters.id.name,
      PARAMETER_GITHUB_APP_KEY_BASE64_NAME: rootStub.ssm_parameters.key_base64.name,
      GHES_URL,
      IDLE_CONFIG: JSON.stringify(IDLE_CONFIG.map(({ cron, evictionStrategy, idleCount, timeZone }) => ({ cron, evictionStrategy, idleCount, timeZone }))),
      IDLE_POOL_SCOPE: 'environment',
      JOB_EVIDENCE: 'auto',
      RUNNER_BOOT_TIME_IN_MINUTES: '5',
    });
    expect(root.PROBE_DOCUMENT_NAME).toBeTruthy();
    expect(root.MINIMUM_RUNNING_TIME_IN_MINUTES).toBeUndefined(); // per OS, as that module's default
    expect(root.GITHUB_API_URL).toBeUndefined();

    const multi = await envOf(multiExample.runner_reaper.orphan_cleanup.function_name);
    expect(JSON.parse(multi.ENVIRONMENTS!)).toEqual([environmentOf('fleet', 'linux-x64'), environmentOf('fleet', 'win')]);
    expect(multi).toMatchObject({ PARAMETER_GITHUB_APP_ID_NAME: multiStub.ssm_parameters.id.name, IDLE_POOL_SCOPE: 'environment' });
    expect(multi.ENVIRONMENT).toBeUndefined();
  });

  test("each runner role gets the hooks' policy, scoped to its fleet's environments", async () => {
    // Root: a managed policy, through that module's runner_iam_role_managed_policy_arns.
    const rootRole = rootStub.runners.role_runner[0]!.name;
    expect(rootRole).toBe(runnerRoleName('gh-compat'));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: rootRole }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual(rootExample.github_runner_inputs.runner_iam_role_managed_policy_arns);
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: attached.AttachedPolicies![0]!.PolicyArn! }));
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policy.Policy!.Arn!, VersionId: policy.Policy!.DefaultVersionId! }));
    const rootPolicy = JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!));

    // multi-runner: an inline policy on each type's role.
    const multiPolicies: unknown[] = [];
    for (const key of ['linux-x64', 'win']) {
      const role = multiStub.runners_map[key]!.role_runner[0]!.name;
      expect(role).toBe(runnerRoleName(`fleet-${key}`));
      const inline = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'fleet-reaper-runner-hooks' }));
      multiPolicies.push(JSON.parse(decodeURIComponent(inline.PolicyDocument!)));
    }

    // The policy itself is the module's (proven there); here: scoped to exactly this fleet's environments.
    const scope = (policy: unknown) =>
      (policy as { Statement: { Condition: { StringEquals: Record<string, unknown> } }[] }).Statement[0]!.Condition.StringEquals['aws:ResourceTag/ghr:environment'];
    expect(scope(rootPolicy)).toBe('gh-compat');
    for (const policy of multiPolicies) expect(scope(policy)).toEqual(['fleet-linux-x64', 'fleet-win']);
  });

  test("the hooks and their boot check reach that module's launch templates, Linux types only", async () => {
    const bootInputs = async (name: string) => {
      const versions = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name, Versions: ['$Latest'] }));
      const data = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData;
      return data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<string, string>) : undefined;
    };
    const root = await bootInputs(rootStub.runners.launch_template_name);
    expect(root).toMatchObject({
      runnerHookJobStarted: rootExample.github_runner_inputs.runner_hook_job_started,
      runnerHookJobCompleted: rootExample.github_runner_inputs.runner_hook_job_completed,
      userdataPostInstall: rootExample.github_runner_inputs.userdata_post_install,
    });
    expect(root!.runnerHookJobStarted).toMatch(/runner-reaper job-started hook chain/);
    const linux = await bootInputs(multiStub.runners_map['linux-x64']!.launch_template_name);
    expect(linux!.runnerHookJobStarted).toBe(multiExample.runner_config['linux-x64']!.runner_hook_job_started);
    expect(linux!.userdataPostInstall).toBe(multiExample.userdata_post_install['linux-x64']);
    const windows = await bootInputs(multiStub.runners_map.win!.launch_template_name);
    expect(windows).toMatchObject({ runnerOs: 'windows', runnerHookJobStarted: '', userdataPostInstall: '' });
  });
});

describe('then stage runner-reaper', () => {
  test('applies, and the reaper acts; going straight back to github-aws-runners is refused', async () => {
    await config.apply({ stage: 'runner-reaper' });
    expect((await envOf(rootExample.runner_reaper.scale_down.function_name)).DRY_RUN).toBe('false');
    expect((await envOf(multiExample.runner_reaper.scale_down.function_name)).DRY_RUN).toBe('false');
    const back = await config.plan({ stage: 'github-aws-runners' });
    expect(back.code).toBe(1);
    expect(back.output).toMatch(/left runner-reaper in stage\s+"runner-reaper"/);
  });

  test('terraform destroy leaves no reaper function', async () => {
    await config.destroy({ stage: 'runner-reaper' });
    expect((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).toEqual([]);
  });
});
