// The switch-over between the github-aws-runners module's scale-down and the reaper
// (examples/beside-github-aws-runners/modules/switch-over): every transition planned with
// a mocked provider (its terraform test), then against moto with real instances: the
// stage of the last apply read back from the reaper's function, the plan that would let
// that module's scale-down back refused while an instance is held or tagged, and the
// clear_tags_command output run for real with the aws CLI.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateFunctionCommand, GetFunctionCommand, LambdaClient, TagResourceCommand } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { HOOK_TAG_KEYS, TAG } from '../../lambda/src/core/tags';
import { MOTO_REGION } from './harness';
import { startMoto, type Moto } from './moto';
import { placeholderZip } from './zips';
import { countTestRuns, parseTestVerdict, terraform, terraformOk } from './terraform';
import { stageWithStub, writeConfiguration, type Configuration } from './upstream';

jest.setTimeout(600_000);

const MODULE = join('examples', 'beside-github-aws-runners', 'modules', 'switch-over');
const FUNCTION = 'gh-ci-reaper-scale-down';

let staged: string;
beforeAll(async () => {
  staged = await stageWithStub();
});
afterAll(() => {
  if (staged) rmSync(staged, { recursive: true, force: true });
});

test('terraform test: every pair of (last stage, next stage) is allowed or refused as the table says', async () => {
  const dir = join(staged, MODULE);
  await terraformOk(dir, ['init', '-input=false', '-backend=false']);
  const result = await terraform(dir, ['test']);
  const failures = result.stdout.split('\n').filter((line) => /\.\.\. fail|Error:/.test(line));
  expect({ exit: result.code, verdict: parseTestVerdict(result.stdout), failures }).toEqual({
    exit: 0,
    verdict: { passed: countTestRuns(join(dir, 'tests')), failed: 0 },
    failures: [],
  });
});

describe('against moto, with real instances and the reaper function tagged as the last apply left it', () => {
  let moto: Moto;
  let config: Configuration;
  let ec2: EC2Client;
  let lambda: LambdaClient;
  const aws = () => ({ region: MOTO_REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(aws());
    lambda = new LambdaClient(aws());
    config = writeConfiguration(
      staged,
      'switch-over',
      moto.url,
      {
        module: {
          switch_over: {
            source: MODULE,
            stage: '${var.stage}',
            environments: ['gh-ci'],
            reaper_scale_down_function_name: FUNCTION,
            reaper_schedules: { scale_down: 'cron(*/5 * * * ? *)', orphan_cleanup: 'rate(10 minutes)' },
            github_runner_schedules: { fleet: 'cron(*/5 * * * ? *)' },
          },
        },
        output: { switch_over: { value: '${module.switch_over}' } },
      },
      { stage: { type: 'string', default: 'github-aws-runners' } },
    );
    await config.init();
  });
  afterAll(async () => {
    ec2?.destroy();
    lambda?.destroy();
    await moto?.stop();
  });

  /** The reaper's scale-down function, tagged with the stage an apply of the example would have left. */
  async function reaperDeployedIn(stage: string): Promise<void> {
    const iam = new IAMClient(aws());
    const role = await iam
      .send(new CreateRoleCommand({ RoleName: 'reaper', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }))
      .catch(() => undefined);
    iam.destroy();
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: FUNCTION,
        Role: role?.Role?.Arn ?? 'arn:aws:iam::123456789012:role/reaper',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: await placeholderZip() },
        Tags: { 'runner-reaper:stage': stage },
      }),
    );
  }

  async function instance(tags: Record<string, string>): Promise<string> {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries({ 'ghr:environment': 'gh-ci', ...tags }).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    return out.Instances![0]!.InstanceId!;
  }

  async function tagsOf(id: string): Promise<Record<string, string>> {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return Object.fromEntries((out.Reservations?.[0]?.Instances?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }

  test('the stage read back from the reaper function, the held and tagged instances named, the clear command run for real', async () => {
    await reaperDeployedIn('runner-reaper');
    const draining = await instance({ 'ghr:draining-since': '2026-12-01T10:00:00Z', 'ghr:job': 'run/1' });
    const idle = await instance({ 'ghr:idle-since': '2026-12-01T10:00:00Z' });
    const orphan = await instance({ 'ghr:reaper-orphan-since': '2026-12-01T10:00:00Z' });
    const otherFleet = await instance({ 'ghr:environment': 'someone-else', 'ghr:idle-since': '2026-12-01T10:00:00Z' });

    const refused = await config.plan({ stage: 'github-aws-runners' });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/left runner-reaper in stage\s+"runner-reaper"/);
    expect(refused.output).toMatch(/still held by runner-reaper/);
    for (const id of [draining, idle, orphan]) expect(refused.output).toContain(id);
    expect(refused.output).not.toContain(otherFleet);

    // Then: a dry-run apply (its stage tag), orphan-cleanup finished the held instance, and
    // the output's command, run as the guide says, clears exactly the fleet's reaper tags.
    const arn = (await lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION }))).Configuration!.FunctionArn!;
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { 'runner-reaper:stage': 'dry-run' } }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [draining] }));
    await config.apply({ stage: 'dry-run' });
    const command = (await config.output<{ clear_tags_command: string }>('switch_over')).clear_tags_command;
    // Every key the reaper keeps its memory in (lambda/src/core/tags.ts, whatever is added
    // there), except ghr:draining-since, which only its orphan-cleanup may finish.
    const notReapers = new Set<string>([TAG.application, TAG.environment, TAG.owner, TAG.type, TAG.githubRunnerId, TAG.bypassRemoval, TAG.orphan, TAG.drainingSince, ...HOOK_TAG_KEYS]);
    const memory = [...new Set(Object.values(TAG))].filter((key) => !notReapers.has(key));
    expect(memory.length).toBeGreaterThanOrEqual(6);
    for (const key of memory) expect({ key, cleared: command.includes(`Key=${key} `) }).toEqual({ key, cleared: true });
    expect(command).not.toContain(TAG.drainingSince);
    const run = await new Promise<{ code: number; output: string }>((resolvePromise) => {
      execFile(
        'bash',
        ['-c', command],
        {
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            AWS_ENDPOINT_URL: moto.url,
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_DEFAULT_REGION: MOTO_REGION,
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolvePromise({ code: error ? 1 : 0, output: stdout + stderr }),
      );
    });
    expect(run).toEqual({ code: 0, output: '' });
    expect(await tagsOf(idle)).toEqual({ 'ghr:environment': 'gh-ci' });
    expect(await tagsOf(orphan)).toEqual({ 'ghr:environment': 'gh-ci' });
    expect((await tagsOf(otherFleet))['ghr:idle-since']).toBeDefined();

    const back = await config.plan({ stage: 'github-aws-runners' });
    expect({ code: back.code, refused: /precondition failed/.test(back.output) }).toEqual({ code: 2, refused: false });
  });
});
