// The runner job hooks, run for real: POSIX sh, the aws CLI against moto, and a local
// IMDSv2 stand-in. Then the user-data snippet rendered by Terraform, run in a temp dir.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTagsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { startFakeImds, type FakeImds } from './imds';
import { startMoto, type Moto } from './moto';
import { tempDir } from './stage';
import { terraformOk } from './terraform';

jest.setTimeout(90_000);

const SCRIPTS = join(REPO_ROOT, 'modules', 'runner-hooks', 'scripts');
const REGION = 'eu-west-1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let moto: Moto;
let ec2: EC2Client;

beforeAll(async () => {
  moto = await startMoto();
  ec2 = new EC2Client({
    region: REGION,
    endpoint: moto.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  ec2?.destroy();
  await moto?.stop();
});

async function launchRunner(): Promise<string> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12345678',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'ghr:Application', Value: 'github-action-runner' },
            { Key: 'ghr:environment', Value: 'gh-ci' },
          ],
        },
      ],
    }),
  );
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('moto launched no instance');
  return id;
}

async function tagsOf(instanceId: string): Promise<Record<string, string>> {
  const out = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId] }] }));
  return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

function hookEnv(imds: FakeImds, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: moto.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    RUNNER_REAPER_IMDS_ENDPOINT: imds.url,
    GITHUB_RUN_ID: '4242',
    GITHUB_JOB: 'build',
    ...extra,
  };
}

const ISO_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('job hooks against moto and an IMDSv2 stand-in', () => {
  let instanceId: string;
  let imds: FakeImds;

  beforeEach(async () => {
    instanceId = await launchRunner();
    imds = await startFakeImds({ instanceId, region: REGION });
  });
  afterEach(() => imds.close());

  test('job-started tags the instance with ghr:job and ghr:job-started-at', async () => {
    const result = await run('sh', [join(SCRIPTS, 'job-started.sh')], hookEnv(imds));
    expect(result).toMatchObject({ code: 0 });
    const tags = await tagsOf(instanceId);
    expect(tags['ghr:job']).toBe('4242/build');
    expect(tags['ghr:job-started-at']).toMatch(ISO_SECOND);
    expect(tags['ghr:environment']).toBe('gh-ci');
    expect(imds.refused()).toBe(0);
  });

  test('job-completed records the completion and removes ghr:job', async () => {
    expect((await run('sh', [join(SCRIPTS, 'job-started.sh')], hookEnv(imds))).code).toBe(0);
    const result = await run('sh', [join(SCRIPTS, 'job-completed.sh')], hookEnv(imds));
    expect(result).toMatchObject({ code: 0 });
    const tags = await tagsOf(instanceId);
    expect(tags['ghr:job']).toBeUndefined();
    expect(tags['ghr:last-job-completed-at']).toMatch(ISO_SECOND);
    expect(tags['ghr:job-started-at']).toMatch(ISO_SECOND);
  });

  test('job names outside the EC2 tag alphabet are made safe, not rejected', async () => {
    const result = await run('sh', [join(SCRIPTS, 'job-started.sh')], hookEnv(imds, { GITHUB_JOB: 'build,"x"\\y' }));
    expect(result.code).toBe(0);
    expect((await tagsOf(instanceId))['ghr:job']).toBe('4242/build__x__y');
  });

  test('without IMDS, job-started stops the job; with RUNNER_REAPER_HOOK_STRICT=false it only warns', async () => {
    const noImds = { RUNNER_REAPER_IMDS_ENDPOINT: 'http://127.0.0.1:9' };
    const strict = await run('sh', [join(SCRIPTS, 'job-started.sh')], hookEnv(imds, noImds));
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('no IMDSv2 token');
    const lenient = await run(
      'sh',
      [join(SCRIPTS, 'job-started.sh')],
      hookEnv(imds, { ...noImds, RUNNER_REAPER_HOOK_STRICT: 'false' }),
    );
    expect(lenient.code).toBe(0);
    expect((await tagsOf(instanceId))['ghr:job']).toBeUndefined();
  });

  test('when AWS refuses, job-started fails and job-completed only warns', async () => {
    const badAws = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' };
    const started = await run('sh', [join(SCRIPTS, 'job-started.sh')], hookEnv(imds, badAws));
    expect(started.code).toBe(1);
    expect(started.stderr).toContain('could not tag');
    const completed = await run('sh', [join(SCRIPTS, 'job-completed.sh')], hookEnv(imds, badAws));
    expect(completed.code).toBe(0);
    expect(completed.stderr).toContain('keeps its ghr:job tag');
  });
});

describe('hook scripts are POSIX sh', () => {
  test.each(['job-started.sh', 'job-completed.sh'])('%s parses with sh -n and is executable', async (script) => {
    const path = join(SCRIPTS, script);
    expect(await run('sh', ['-n', path], { PATH: process.env.PATH })).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(path, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
    expect(statSync(path).mode & 0o111).toBe(0o111);
  });
});

describe('user-data snippet from modules/runner-hooks', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('installs both hooks byte for byte and sets the runner .env entries once', async () => {
    dir = tempDir('hooks-userdata');
    const installDir = join(dir, 'opt', 'runner-reaper');
    const envFile = join(dir, 'opt', 'actions-runner', '.env');
    const fixture = join(dir, 'fixture');
    mkdirSync(fixture);
    writeFileSync(
      join(fixture, 'main.tf.json'),
      JSON.stringify({
        module: {
          hooks: {
            source: join(REPO_ROOT, 'modules', 'runner-hooks'),
            environment: 'gh-ci',
            install_dir: installDir,
            runner_env_file: envFile,
          },
        },
        output: { user_data: { value: '${module.hooks.user_data}' } },
      }),
    );
    await terraformOk(fixture, ['init', '-input=false', '-backend=false']);
    await terraformOk(fixture, ['apply', '-auto-approve', '-input=false']);
    const userData = JSON.parse(await terraformOk(fixture, ['output', '-json', 'user_data'])) as string;

    // A runner .env that already names other hooks: they must be replaced, not doubled.
    mkdirSync(join(dir, 'opt', 'actions-runner'), { recursive: true });
    writeFileSync(envFile, 'LANG=C.UTF-8\nACTIONS_RUNNER_HOOK_JOB_STARTED=/old/started.sh\n');
    const script = join(dir, 'user-data.sh');
    writeFileSync(script, userData);
    expect(await run('sh', ['-n', script], { PATH: process.env.PATH })).toMatchObject({ code: 0 });
    // Twice: user data may run again (e.g. a re-run of cloud-init); the result is the same.
    for (let i = 0; i < 2; i += 1) {
      expect(await run('sh', ['-e', script], { PATH: process.env.PATH })).toMatchObject({ code: 0, stderr: '' });
    }

    for (const hook of ['job-started.sh', 'job-completed.sh']) {
      expect(readFileSync(join(installDir, hook), 'utf8')).toBe(readFileSync(join(SCRIPTS, hook), 'utf8'));
      expect(statSync(join(installDir, hook)).mode & 0o755).toBe(0o755);
    }
    expect(readFileSync(envFile, 'utf8')).toBe(
      [
        'LANG=C.UTF-8',
        `ACTIONS_RUNNER_HOOK_JOB_STARTED=${installDir}/job-started.sh`,
        `ACTIONS_RUNNER_HOOK_JOB_COMPLETED=${installDir}/job-completed.sh`,
        '',
      ].join('\n'),
    );
  });
});
