// The runner job hooks, run for real: POSIX sh, the aws CLI against moto, and a local
// IMDSv2 stand-in. Then the user-data snippet and the github-aws-runners chains rendered by
// Terraform, run in a temp dir standing in for the instance: the boot check writes the
// ghr:job-hooks marker only when the runner's final .env really calls the reaper's hooks.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTagsCommand, DescribeTagsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { HOOKS_CONTRACT_VERSION, TAG } from '../../lambda/src/core/tags';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { startFakeImds, type FakeImds } from './imds';
import { startMoto, type Moto } from './moto';
import { tempDir } from './stage';
import { terraformOk } from './terraform';

jest.setTimeout(120_000);

const SCRIPTS = join(REPO_ROOT, 'modules', 'runner-hooks', 'scripts');
const REGION = 'eu-west-1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { env, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs a hook file the way the runner runs a .sh hook (ScriptHandlerHelpers.cs: bash). */
const runAsRunner = (path: string, env: NodeJS.ProcessEnv) =>
  run('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', path], env);

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
  test.each(['job-started.sh', 'job-completed.sh', 'check-hooks.sh'])('%s parses with sh -n and is executable', async (script) => {
    const path = join(SCRIPTS, script);
    expect(await run('sh', ['-n', path], { PATH: process.env.PATH })).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(path, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
    expect(statSync(path).mode & 0o111).toBe(0o111);
  });
});

// ---------------------------------------------------------------------------------------
// The installer, the boot check and the chains, rendered by Terraform into one fake instance
// root (dir/opt/...), reset before each scenario.

/** The team's own hooks: each records that it ran, and what the instance's tags were then. */
const TEAM_STARTED = [
  'echo "team started $GITHUB_JOB" >> "$TEAM_LOG"',
  // A heredoc ending in EOF, as hooks often have: it must not end github-aws-runners' heredoc.
  'cat >> "$TEAM_LOG" <<EOF',
  'team heredoc',
  'EOF',
  '',
].join('\n');
const TEAM_COMPLETED = [
  'job=$(aws ec2 describe-tags --region "$AWS_REGION" --filters "Name=resource-id,Values=$INSTANCE_ID" "Name=key,Values=ghr:job" --query "length(Tags)")',
  'echo "team completed, ghr:job tags: $job" >> "$TEAM_LOG"',
  'exit 3',
  '',
].join('\n');

interface Rendered {
  userData: string;
  chains: { runner_hook_job_started: string; runner_hook_job_completed: string };
  contractVersion: string;
}

describe('boot check, user data and github-aws-runners chains', () => {
  let dir: string;
  let root: string;
  let installDir: string;
  let runnerDir: string;
  let envFile: string;
  let logFile: string;
  let teamLog: string;
  let rendered: Rendered;
  let instanceId: string;
  let imds: FakeImds;
  const listeners: ChildProcess[] = [];

  beforeAll(async () => {
    dir = tempDir('hooks-userdata');
    root = join(dir, 'instance');
    installDir = join(root, 'opt', 'runner-reaper');
    runnerDir = join(root, 'opt', 'actions-runner');
    envFile = join(runnerDir, '.env');
    logFile = join(root, 'var', 'log', 'runner-reaper-hook-check.log');
    teamLog = join(root, 'team.log');
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
            check_log_file: logFile,
            // Bounds a check a failing test leaves waiting in the background.
            check_timeout_seconds: 30,
            existing_hooks: { job_started: TEAM_STARTED, job_completed: TEAM_COMPLETED },
          },
        },
        output: {
          user_data: { value: '${module.hooks.user_data}' },
          chains: { value: '${module.hooks.github_aws_runners}' },
          contract_version: { value: '${module.hooks.contract_version}' },
        },
      }),
    );
    await terraformOk(fixture, ['init', '-input=false', '-backend=false']);
    await terraformOk(fixture, ['apply', '-auto-approve', '-input=false']);
    const outputs = JSON.parse(await terraformOk(fixture, ['output', '-json'])) as Record<string, { value: unknown }>;
    rendered = {
      userData: outputs.user_data?.value as string,
      chains: outputs.chains?.value as Rendered['chains'],
      contractVersion: outputs.contract_version?.value as string,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh instance: an empty root, a new moto instance and its IMDS. */
  async function freshInstance(): Promise<void> {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, 'var', 'log'), { recursive: true });
    instanceId = await launchRunner();
    imds = await startFakeImds({ instanceId, region: REGION });
  }
  async function stopInstance(): Promise<void> {
    for (const listener of listeners.splice(0)) {
      if (listener.pid !== undefined && listener.exitCode === null) process.kill(-listener.pid, 'SIGTERM');
    }
    await imds.close();
  }

  const env = (extra: NodeJS.ProcessEnv = {}) =>
    hookEnv(imds, { AWS_REGION: REGION, INSTANCE_ID: instanceId, TEAM_LOG: teamLog, ...extra });

  /**
   * Stands in for the runner starting: `<dir>/bin/Runner.Listener run`, as run-helper.sh
   * and RunnerService.js start it (argv[0] the listener's path, argv[1] "run"). Its own
   * process group, so stopInstance ends it and its sleep together.
   */
  function startListener(dirOfRunner = runnerDir): void {
    const listener = join(dirOfRunner, 'bin', 'Runner.Listener');
    mkdirSync(join(dirOfRunner, 'bin'), { recursive: true });
    writeFileSync(listener, '#!/bin/sh\nsleep 120\n', { mode: 0o755 });
    listeners.push(spawn(listener, ['run'], { detached: true, stdio: 'ignore' }));
  }

  /** Waits (bounded) until the background checks have logged `count` verdicts. */
  async function verdicts(count = 1): Promise<string[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      const found = log.split('\n').filter((l) => /hook check: (verified|not verified)/.test(l));
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Runs the user data as cloud-init runs a script with that shebang. */
  async function bootWith(script: string): Promise<Run> {
    const path = join(root, 'user-data.sh');
    writeFileSync(path, script);
    return run('bash', ['-e', path], env());
  }

  /**
   * The github-aws-runners v7.11.0 order (modules/runners/templates/user-data.sh, written
   * here from that file's behaviour): userdata_post_install, then its own hook files and
   * .env lines from runner_hook_job_started / _completed, then the runner starts.
   */
  function upstreamShaped(hooks: { started: string; completed: string }): string {
    const hookFile = (name: string) => join(runnerDir, `hook_${name}.sh`);
    return [
      '#!/bin/bash -e',
      rendered.userData,
      // Nothing runs here in that module; the pause makes the order certain: a check that
      // read the .env before the runner started would see our lines and be wrong.
      'sleep 3',
      `cat > '${hookFile('job_started')}' <<'EOF'`,
      hooks.started,
      'EOF',
      `echo ACTIONS_RUNNER_HOOK_JOB_STARTED=${hookFile('job_started')} | tee -a '${envFile}'`,
      `cat > '${hookFile('job_completed')}' <<'EOF'`,
      hooks.completed,
      'EOF',
      `echo ACTIONS_RUNNER_HOOK_JOB_COMPLETED=${hookFile('job_completed')} | tee -a '${envFile}'`,
      '',
    ].join('\n');
  }

  /** The hook the runner will call for `key`: the last .env line for it (Program.cs, LoadAndSetEnv). */
  function effectiveHook(key: string): string {
    const lines = readFileSync(envFile, 'utf8').split(/\r\n|\r|\n/).filter((l) => l.startsWith(`${key}=`));
    const last = lines.pop();
    if (!last) throw new Error(`${key} is not set in ${envFile}`);
    return last.slice(key.length + 1);
  }

  describe('one boot per scenario', () => {
    beforeEach(freshInstance);
    afterEach(stopInstance);

    test('our user data alone: installs the hooks byte for byte, sets the .env once, and marks the instance once the runner starts', async () => {
      mkdirSync(runnerDir, { recursive: true });
      // A runner .env that already names other hooks: they must be replaced, not doubled.
      writeFileSync(envFile, 'LANG=C.UTF-8\nACTIONS_RUNNER_HOOK_JOB_STARTED=/old/started.sh\n');
      const script = `#!/bin/bash\n${rendered.userData}`;
      // Twice: user data may run again (e.g. a re-run of cloud-init); the result is the same.
      for (let i = 0; i < 2; i += 1) {
        const boot = await bootWith(script);
        expect({ code: boot.code, stderr: boot.stderr }).toEqual({ code: 0, stderr: '' });
        expect(boot.stdout).toContain('hook check: started in the background');
      }
      for (const hook of ['job-started.sh', 'job-completed.sh', 'check-hooks.sh']) {
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

      startListener();
      const found = await verdicts(2);
      expect(found).toEqual([expect.stringContaining('verified: tagged'), expect.stringContaining('verified: tagged')]);
      expect(rendered.contractVersion).toBe(HOOKS_CONTRACT_VERSION);
      expect((await tagsOf(instanceId))[TAG.jobHooks]).toBe(HOOKS_CONTRACT_VERSION);
    });

    test('beside github-aws-runners with the team\'s own hook lines after post-install: no marker, and an earlier one is removed', async () => {
      await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.jobHooks, Value: '1' }] }));
      // (Given to that module directly, a hook must not contain a line "EOF": its heredoc would end there.)
      const boot = await bootWith(upstreamShaped({ started: 'echo "team started" >> "$TEAM_LOG"', completed: TEAM_COMPLETED }));
      expect(boot.code).toBe(0);
      // At post-install time the .env named our hooks; the runner reads the final one.
      expect(effectiveHook('ACTIONS_RUNNER_HOOK_JOB_STARTED')).toBe(join(runnerDir, 'hook_job_started.sh'));
      startListener();
      const found = await verdicts();
      expect(found).toEqual([
        expect.stringMatching(/not verified: ACTIONS_RUNNER_HOOK_JOB_STARTED is .*hook_job_started\.sh, which does not run the reaper's hook/),
      ]);
      expect(await tagsOf(instanceId)).not.toHaveProperty(TAG.jobHooks);
    });

    test('beside github-aws-runners with the chains: marker; each chain runs both hooks, in order, and keeps the team hook\'s status', async () => {
      const boot = await bootWith(
        upstreamShaped({ started: rendered.chains.runner_hook_job_started, completed: rendered.chains.runner_hook_job_completed }),
      );
      expect(boot.code).toBe(0);
      startListener();
      expect(await verdicts()).toEqual([expect.stringContaining('verified: tagged')]);
      expect((await tagsOf(instanceId))[TAG.jobHooks]).toBe(HOOKS_CONTRACT_VERSION);

      const started = await runAsRunner(effectiveHook('ACTIONS_RUNNER_HOOK_JOB_STARTED'), env());
      expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
      expect((await tagsOf(instanceId))[TAG.job]).toBe('4242/build');

      const completed = await runAsRunner(effectiveHook('ACTIONS_RUNNER_HOOK_JOB_COMPLETED'), env());
      expect(completed.code).toBe(3);
      const tags = await tagsOf(instanceId);
      expect(tags[TAG.job]).toBeUndefined();
      expect(tags[TAG.lastJobCompletedAt]).toMatch(ISO_SECOND);
      // The team's completed hook ran first, while the instance still carried ghr:job.
      expect(readFileSync(teamLog, 'utf8')).toBe('team started build\nteam heredoc\nteam completed, ghr:job tags: 1\n');
    });

    test('the started chain stops the job when the reaper\'s hook fails, and the team\'s hook does not run', async () => {
      const chain = join(root, 'chain-started.sh');
      writeFileSync(chain, `${rendered.chains.runner_hook_job_started}\n`);
      const result = await runAsRunner(chain, env({ RUNNER_REAPER_IMDS_ENDPOINT: 'http://127.0.0.1:9' }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('stopping the job');
      expect(existsSync(teamLog)).toBe(false);
    });

    test('the chains are valid bash and shellcheck-clean', async () => {
      for (const [name, content] of Object.entries(rendered.chains)) {
        const path = join(root, `${name}.sh`);
        writeFileSync(path, `${content}\n`);
        expect({ name, ...(await run('bash', ['-n', path], { PATH: process.env.PATH })) }).toMatchObject({ name, code: 0 });
        expect({ name, ...(await run('shellcheck', [path], { PATH: process.env.PATH })) }).toMatchObject({ name, code: 0 });
      }
    });

    test('not verified when only another runner directory\'s listener runs, within the bound', async () => {
      const boot = await bootWith(`#!/bin/bash\n${rendered.userData}`);
      expect(boot.code).toBe(0);
      const conf = readFileSync(join(installDir, 'check-hooks.conf'), 'utf8');
      writeFileSync(join(root, 'check.conf'), `${conf}\nWAIT_SECONDS='2'\nPOLL_SECONDS='1'\n`);
      startListener(join(root, 'opt', 'other-runner'));
      const result = await run('sh', [join(installDir, 'check-hooks.sh'), join(root, 'check.conf')], env());
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('the runner did not start within 2s');
      // Let the user data's own background check see a listener and finish.
      startListener();
      await verdicts();
    });
  });

  describe('the check itself, in the foreground, on .env files the runner reads as written', () => {
    const started = () => `${installDir}/job-started.sh`;
    const completed = () => `${installDir}/job-completed.sh`;

    // One boot for the group: the user data installs everything and its own check finishes.
    beforeAll(async () => {
      await freshInstance();
      const boot = await bootWith(`#!/bin/bash\n${rendered.userData}`);
      expect(boot.code).toBe(0);
      startListener();
      expect(await verdicts()).toEqual([expect.stringContaining('verified: tagged')]);
    });
    afterAll(stopInstance);

    /** Marks the instance, writes `envText` as the runner's .env, runs the check in the foreground. */
    async function checkWith(envText: string): Promise<Run> {
      await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.jobHooks, Value: '1' }] }));
      writeFileSync(envFile, envText);
      const conf = readFileSync(join(installDir, 'check-hooks.conf'), 'utf8');
      writeFileSync(join(root, 'check.conf'), `${conf}\nPOLL_SECONDS='1'\n`);
      return run('sh', [join(installDir, 'check-hooks.sh'), join(root, 'check.conf')], env());
    }

    test.each([
      ['the last line wins, even when an override comes between', () => `X=1\nACTIONS_RUNNER_HOOK_JOB_STARTED=/other.sh\nACTIONS_RUNNER_HOOK_JOB_STARTED=${started()}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\n`],
      ['CRLF line ends (.NET ends a line at \\r)', () => `ACTIONS_RUNNER_HOOK_JOB_STARTED=${started()}\r\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\r\n`],
    ])('verified: %s', async (_name, envText) => {
      const result = await checkWith(envText());
      expect({ code: result.code, last: result.stdout.trim().split('\n').pop() }).toEqual({
        code: 0,
        last: expect.stringContaining('verified: tagged'),
      });
      expect((await tagsOf(instanceId))[TAG.jobHooks]).toBe(HOOKS_CONTRACT_VERSION);
    });

    test.each([
      ['an override after ours', () => `ACTIONS_RUNNER_HOOK_JOB_STARTED=${started()}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=/opt/team/done.sh\n`, /ACTIONS_RUNNER_HOOK_JOB_COMPLETED is \/opt\/team\/done\.sh, which is not a readable file/],
      ['an empty last value unsets the hook', () => `ACTIONS_RUNNER_HOOK_JOB_STARTED=${started()}\nACTIONS_RUNNER_HOOK_JOB_STARTED=\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\n`, /ACTIONS_RUNNER_HOOK_JOB_STARTED is not set/],
      ['a key with a leading space is another key', () => ` ACTIONS_RUNNER_HOOK_JOB_STARTED=${started()}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\n`, /ACTIONS_RUNNER_HOOK_JOB_STARTED is not set/],
      ['a hook of another extension never runs ours', () => `ACTIONS_RUNNER_HOOK_JOB_STARTED=${started()}.js\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\n`, /not a \.sh hook of the reaper/],
    ])('not verified: %s', async (_name, envText, reason) => {
      const result = await checkWith(envText());
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(reason);
      expect(await tagsOf(instanceId)).not.toHaveProperty(TAG.jobHooks);
    });

    test('not verified: our hook file, edited after install', async () => {
      const original = readFileSync(started(), 'utf8');
      writeFileSync(started(), original.replace('aws ec2 create-tags', 'true ec2 create-tags'));
      try {
        const result = await checkWith(`ACTIONS_RUNNER_HOOK_JOB_STARTED=${started()}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\n`);
        expect(result.code).toBe(1);
        expect(result.stdout).toContain("which does not run the reaper's hook");
        expect(await tagsOf(instanceId)).not.toHaveProperty(TAG.jobHooks);
      } finally {
        writeFileSync(started(), original);
      }
    });

    test('not verified: a chain whose reaper part was changed', async () => {
      const chain = join(runnerDir, 'hook_job_started.sh');
      const tampered = rendered.chains.runner_hook_job_started.replace(/^runner_reaper_hook='[^']*'$/m, "runner_reaper_hook='ZXhpdCAw'");
      expect(tampered).not.toBe(rendered.chains.runner_hook_job_started);
      writeFileSync(chain, `${tampered}\n`);
      const result = await checkWith(`ACTIONS_RUNNER_HOOK_JOB_STARTED=${chain}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed()}\n`);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("which does not run the reaper's hook");
    });

  });
});
