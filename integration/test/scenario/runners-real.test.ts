/**
 * The e2e workflow's runner host on this machine, without GitHub: what it does for each
 * emulated instance before its runner connects. The hooks are installed by the workflow's
 * own script (.github/scripts/e2e-install-hooks.sh) from the module's user-data snippet as
 * Terraform renders it; a stand-in for the actions/runner release (run.sh starting
 * `<dir>/bin/Runner.Listener run`, as its run-helper.sh does) takes the JIT config. Then
 * the real boot check (modules/runner-hooks/scripts/check-hooks.sh) runs per instance, on
 * that instance's runner copy, through its IMDS stand-in, with the aws CLI against moto.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { HOOKS_CONTRACT_VERSION, TAG } from '../../../lambda/src/core/tags';
import { REPO_ROOT } from '../../../scripts/terraform/cli-config';
import { terraformOk } from '../../../test/terraform/terraform';
import { MOTO_CREDENTIALS, MOTO_REGION, MotoServer, motoClientConfig } from '../../moto';
import { Ec2Instances } from '../../scenario/aws';
import { RealRunnerHost, bootCheckOf, type BootCheck } from '../../scenario/runners-real';

jest.setTimeout(180_000);

const moto = new MotoServer();
let dir: string;
let runnerDir: string;
let installDir: string;
let userData: string;
let outputsFile: string;
let instances: Ec2Instances;
let ec2: EC2Client;
const savedEnv = { ...process.env };

/** The actions/runner layout the host needs: run.sh starting the listener as run-helper.sh does. */
function fakeRunnerRelease(at: string): void {
  mkdirSync(join(at, 'bin'), { recursive: true });
  writeFileSync(join(at, 'run.sh'), '#!/bin/bash\nDIR="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"\n"$DIR"/bin/Runner.Listener run "$@"\n', { mode: 0o755 });
  // A listener that connects nowhere; its command line is what the boot check waits for.
  writeFileSync(join(at, 'bin', 'Runner.Listener'), '#!/bin/sh\nsleep 300\n', { mode: 0o755 });
}

/** Runs the workflow's install step as the e2e job runs it. */
function installHooks(): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', [join(REPO_ROOT, '.github', 'scripts', 'e2e-install-hooks.sh'), outputsFile], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SCENARIO_RUNNER_DIR: runnerDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Processes whose command line names `needle` (the checks we started). */
function processesNaming(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(needle))) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function markerOf(instanceId: string): Promise<string | undefined> {
  return (await instances.describe(instanceId)).tags[TAG.jobHooks];
}

/** Waits (bounded) until `probe` holds; returns whether it did. */
async function eventually(probe: () => Promise<boolean>, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  await moto.start();
  // The runner host hands the instance's processes the AWS credentials it was given.
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
  ec2 = new EC2Client(motoClientConfig(moto.url));
  instances = new Ec2Instances(ec2);

  dir = mkdtempSync(join(tmpdir(), 'scenario-runners-'));
  runnerDir = join(dir, 'actions-runner');
  installDir = join(dir, 'hooks');
  fakeRunnerRelease(runnerDir);
  // The e2e fixture's runner_hooks block (.github/e2e/terraform/main.tf), with this machine's paths.
  const fixture = join(dir, 'fixture');
  mkdirSync(fixture);
  writeFileSync(
    join(fixture, 'main.tf.json'),
    JSON.stringify({
      module: {
        runner_hooks: {
          source: join(REPO_ROOT, 'modules', 'runner-hooks'),
          environment: 'reaper-e2e-local',
          install_dir: installDir,
          runner_env_file: join(runnerDir, '.env'),
          check_log_file: join(installDir, 'check-hooks.log'),
          check_timeout_seconds: 300,
        },
      },
      output: { runner_hooks_user_data: { value: '${module.runner_hooks.user_data}' } },
    }),
  );
  await terraformOk(fixture, ['init', '-input=false', '-backend=false']);
  await terraformOk(fixture, ['apply', '-auto-approve', '-input=false']);
  outputsFile = join(dir, 'terraform-outputs.json');
  writeFileSync(outputsFile, await terraformOk(fixture, ['output', '-json']));
  userData = (JSON.parse(readFileSync(outputsFile, 'utf8')) as { runner_hooks_user_data: { value: string } }).runner_hooks_user_data.value;
});

afterAll(async () => {
  process.env = savedEnv;
  ec2?.destroy();
  await moto.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the workflow's install step", () => {
  test("runs the snippet: hooks in the runner's .env, and the snippet's own check for the unpacked runner stopped", () => {
    const result = installHooks();
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(join(runnerDir, '.env'), 'utf8')).toContain(`ACTIONS_RUNNER_HOOK_JOB_STARTED=${join(installDir, 'job-started.sh')}\n`);
    expect(result.stdout).toMatch(/stopped the snippet's boot check for .* \(pid \d+\): each instance runs its own/);
    // No check is left waiting for a listener in the unpacked runner, which never starts.
    expect(processesNaming(join(installDir, 'check-hooks.conf'))).toEqual([]);
  });
});

describe('each instance boots with the snippet\'s boot check (SCENARIO_HOOKS=installed)', () => {
  let bootCheck: BootCheck;
  beforeAll(() => {
    // The install step ran in the test above; run it again when this block runs alone.
    if (!existsSync(join(installDir, 'check-hooks.sh'))) expect(installHooks().code).toBe(0);
    bootCheck = bootCheckOf(userData);
  });
  beforeEach(() => moto.reset());

  const host = (workDir: string) =>
    new RealRunnerHost({ runnerDir, hooks: { from: 'runner-env-file', bootCheck }, workDir, awsRegion: MOTO_REGION, awsEndpointUrl: moto.url });

  test('finds the check the user data starts', () => {
    expect(bootCheck).toEqual({ script: join(installDir, 'check-hooks.sh'), config: join(installDir, 'check-hooks.conf') });
    expect(() => bootCheckOf('mkdir -p /opt/runner-reaper\n')).toThrow(/starts no boot check/);
  });

  test('both instances get the marker, each from the check on its own runner copy', async () => {
    const workDir = join(dir, 'work-both');
    const runners = host(workDir);
    expect(runners.evidence.source).toBe('hooks');
    const ids = await instances.launch(2, { [TAG.environment]: 'reaper-e2e-local' });
    try {
      for (const id of ids) await runners.start(id, 'jit-config-of-' + id);
      const verdicts = () => ids.map((id) => runners.bootCheckVerdict(id));
      // The check logs its verdict right after the tag is written.
      const marked = await eventually(async () => (await markerOf(ids[0]!)) === HOOKS_CONTRACT_VERSION && (await markerOf(ids[1]!)) === HOOKS_CONTRACT_VERSION && verdicts().every((v) => /verified/.test(v ?? '')));
      expect({ marked, verdicts: verdicts() }).toEqual({
        marked: true,
        verdicts: ids.map((id) => `runner-reaper hook check: verified: tagged ${id} ${TAG.jobHooks}=${HOOKS_CONTRACT_VERSION}`),
      });
      // Each check read its own copy's .env, and said so in its own log in the report directory.
      for (const id of ids) {
        const log = readFileSync(join(workDir, 'report', `hook-check-${id}.log`), 'utf8');
        expect(log).toContain(`waiting up to 300s for ${join(workDir, 'runners', id)}/bin/Runner.Listener to start`);
      }
    } finally {
      await runners.stopAll();
    }
    expect(processesNaming(join(workDir, 'runners'))).toEqual([]);
  });

  test("an instance whose runner copy's .env no longer calls the hooks gets no marker", async () => {
    const workDir = join(dir, 'work-overridden');
    const runners = host(workDir);
    const [good, overridden] = await instances.launch(2, { [TAG.environment]: 'reaper-e2e-local' });
    const envFile = join(runnerDir, '.env');
    const installed = readFileSync(envFile, 'utf8');
    const teamHook = join(dir, 'team-hook.sh');
    writeFileSync(teamHook, '#!/bin/bash\necho the team hook\n', { mode: 0o755 });
    try {
      await runners.start(good!, 'jit-good');
      // A later line wins when the runner reads its .env: this copy's hook is someone else's.
      appendFileSync(envFile, `ACTIONS_RUNNER_HOOK_JOB_STARTED=${teamHook}\n`);
      await runners.start(overridden!, 'jit-overridden');
      const decided = await eventually(async () => (await markerOf(good!)) === HOOKS_CONTRACT_VERSION && /not verified/.test(runners.bootCheckVerdict(overridden!) ?? ''));
      expect(decided).toBe(true);
      expect(runners.bootCheckVerdict(overridden!)).toContain(`not verified: ACTIONS_RUNNER_HOOK_JOB_STARTED is ${teamHook}, which does not run the reaper's hook`);
      expect(await markerOf(overridden!)).toBeUndefined();
    } finally {
      writeFileSync(envFile, installed);
      await runners.stopAll();
    }
  });

  test('a runner that never starts: stopping the host ends its waiting check', async () => {
    const workDir = join(dir, 'work-no-listener');
    const runners = host(workDir);
    const [id] = await instances.launch(1, { [TAG.environment]: 'reaper-e2e-local' });
    const listener = join(runnerDir, 'bin', 'Runner.Listener');
    const real = readFileSync(listener, 'utf8');
    // This copy's listener exits at once: the check waits for one that never runs.
    writeFileSync(listener, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    try {
      await runners.start(id!, 'jit-never');
      const log = join(workDir, 'report', `hook-check-${id}.log`);
      const waiting = await eventually(async () => existsSync(log) && readFileSync(log, 'utf8').includes('waiting up to 300s'), 10_000);
      expect(waiting).toBe(true);
      expect(runners.bootCheckVerdict(id!) ?? '').not.toMatch(/verified/);
      expect(processesNaming(`${id}.check-hooks.conf`)).not.toEqual([]);
    } finally {
      writeFileSync(listener, real, { mode: 0o755 });
      await runners.stopAll();
    }
    expect(await eventually(async () => processesNaming(`${id}.check-hooks.conf`).length === 0, 10_000)).toBe(true);
    expect(await markerOf(id!)).toBeUndefined();
  });
});

test('hooks from the environment (SCENARIO_HOOKS=env): no boot check, no machine evidence', () => {
  const runners = new RealRunnerHost({
    runnerDir,
    hooks: { from: 'dir', dir: join(REPO_ROOT, 'modules', 'runner-hooks', 'scripts') },
    workDir: join(dir, 'work-env'),
    awsRegion: MOTO_REGION,
    awsEndpointUrl: moto.url,
  });
  expect(runners.evidence.source).toBe('none');
  expect(runners.bootCheckVerdict('i-0123456789abcdef0')).toBeUndefined();
});
