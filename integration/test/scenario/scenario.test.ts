/**
 * The shared end-to-end scenario (integration/scenario), the same code the e2e workflow
 * runs against GitHub, LocalStack and real runners, here against the twin, moto, simulated
 * agents and the built zips run as Lambda-like processes.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOOKS_CONTRACT_VERSION, TAG } from '../../../lambda/src/core/tags';
import { MotoServer } from '../../moto';
import { checkInstalledHooks } from '../../scenario/runners-real';
import { assembleWorld } from '../../scenario/assemble';
import { REAL_DEADLINE_SECONDS, REAL_TIMEOUTS, ScenarioConfigError, scenarioConfigFromEnv, type ScenarioConfig } from '../../scenario/config';
import { runScenario, type ScenarioReport } from '../../scenario/scenario';

jest.setTimeout(120_000);

const moto = new MotoServer();
beforeAll(() => moto.start());
afterAll(() => moto.stop());
beforeEach(() => moto.reset());

function twinConfig(extra: Record<string, string> = {}): ScenarioConfig {
  return scenarioConfigFromEnv({
    SCENARIO_GITHUB: 'twin',
    SCENARIO_AWS: 'moto',
    SCENARIO_RUNNERS: 'agents',
    SCENARIO_LAMBDA: 'artifact',
    SCENARIO_GITHUB_OWNER: 'scenario-org',
    SCENARIO_GITHUB_REPO: 'app',
    SCENARIO_RUNNER_SCOPE: 'repo',
    SCENARIO_RUNNER_LABEL: 'reaper-e2e-local-1',
    SCENARIO_ENVIRONMENT: 'reaper-e2e-local-1',
    SCENARIO_JOB_DURATION_SECONDS: '15',
    ...extra,
  });
}

async function run(config: ScenarioConfig, reaperConfig?: Record<string, string>): Promise<ScenarioReport> {
  const world = await assembleWorld(config, { moto, ...(reaperConfig ? { reaperConfig } : {}) });
  try {
    return await runScenario(world, {
      label: config.label,
      environment: config.environment,
      jobDurationSeconds: config.jobDurationSeconds,
      timeouts: config.timeouts,
      deadlineSeconds: config.deadlineSeconds,
      pollMs: 100,
    });
  } finally {
    await world.close();
  }
}

const stepNames = (report: ScenarioReport) => report.steps.filter((s) => s.ok).map((s) => s.name);

/** Every run's evidence counts: instances past the gate, by source. */
const evidenceOfRuns = (report: ScenarioReport) => report.runs.map((r) => r.result.summary?.evidence);

it('idle runner reclaimed, busy runner spared until its job ended, then reclaimed by orphan-cleanup (repo runners, hooks evidence)', async () => {
  const report = await run(twinConfig());
  expect(report.error).toBeUndefined();
  expect(report.ok).toBe(true);
  expect(report.evidence.source).toBe('hooks');
  expect(stepNames(report)).toEqual(
    expect.arrayContaining([
      `the boot check marked both instances ${TAG.jobHooks}=${HOOKS_CONTRACT_VERSION}: the reaper has hooks evidence`,
      'the job-started hook tagged the busy instance',
      'the idle instance was reclaimed on its first idle sighting',
      'the idle runner is deregistered',
      'the busy job still runs',
      'the busy instance lives through another round while its job runs',
      'the busy job succeeded',
      'the busy instance lived until its job ended',
      'orphan-cleanup reclaimed the busy instance after its job',
    ]),
  );
  expect(report.idleInstance).toMatch(/^i-/);
  expect(report.busyInstance).toMatch(/^i-/);
  expect(report.idleInstance).not.toBe(report.busyInstance);
  expect(report.jobConclusion).toBe('success');
  const terminatedBy = report.runs.filter((r) => (r.result.summary?.terminated ?? 0) > 0).map((r) => r.fn);
  expect(terminatedBy).toEqual(['scale-down', 'orphan-cleanup']);
  // The first run saw both instances, on hooks evidence; no run decided on any other.
  expect(report.runs[0]).toMatchObject({ fn: 'scale-down', result: { summary: { terminated: 1, evidence: { hooks: 2, probe: 0, none: 0 } } } });
  for (const counts of evidenceOfRuns(report)) expect(counts).toMatchObject({ probe: 0, none: 0 });
  expect(report.cleanup.every((line) => line.endsWith(': done'))).toBe(true);
});

it('runners whose hooks nothing proved (no boot marker): the conservative path, two sightings, and the instance held after its job', async () => {
  const report = await run(twinConfig({ SCENARIO_HOOKS: 'env', SCENARIO_RUNNER_LABEL: 'reaper-e2e-local-5', SCENARIO_ENVIRONMENT: 'reaper-e2e-local-5' }));
  expect(report.error).toBeUndefined();
  expect(report.ok).toBe(true);
  expect(report.evidence.source).toBe('none');
  expect(stepNames(report)).toEqual(
    expect.arrayContaining([
      `neither instance carries ${TAG.jobHooks}=${HOOKS_CONTRACT_VERSION}: the reaper has no machine evidence`,
      'the job-started hook tagged the busy instance',
      'the idle instance was reclaimed after a confirming sighting',
      'the busy instance lives through another round while its job runs',
      'the busy job succeeded',
      'orphan-cleanup holds the busy instance after its job (waiting-max-job-duration)',
    ]),
  );
  // Only scale-down terminated (the idle instance); orphan-cleanup held the other one.
  const terminatedBy = report.runs.filter((r) => (r.result.summary?.terminated ?? 0) > 0).map((r) => r.fn);
  expect(terminatedBy).toEqual(['scale-down']);
  expect(report.runs.at(-1)).toMatchObject({ fn: 'orphan-cleanup', result: { summary: { terminated: 0, reasons: { 'waiting-max-job-duration': 1 } } } });
  for (const counts of evidenceOfRuns(report)) expect(counts).toMatchObject({ hooks: 0, probe: 0 });
  expect(report.cleanup).toEqual(expect.arrayContaining(['terminate the instances: done']));
});

it('runs with org runners too', async () => {
  const report = await run(twinConfig({ SCENARIO_RUNNER_SCOPE: 'org', SCENARIO_RUNNER_LABEL: 'reaper-e2e-local-2', SCENARIO_ENVIRONMENT: 'reaper-e2e-local-2' }));
  expect(report.error).toBeUndefined();
  expect(report.ok).toBe(true);
});

it('fails, and still cleans up, when the reaper does not reclaim (a dry-run reaper)', async () => {
  const config = { ...twinConfig({ SCENARIO_RUNNER_LABEL: 'reaper-e2e-local-3', SCENARIO_ENVIRONMENT: 'reaper-e2e-local-3' }), timeouts: { pickUp: 10, reclaim: 4, jobSlack: 10 } };
  const report = await run(config, { DRY_RUN: 'true' });
  expect(report.ok).toBe(false);
  expect(report.error).toMatch(/the idle instance is reclaimed in time/);
  expect(report.cleanup).toEqual(expect.arrayContaining(['terminate the instances: done']));
});

it('fails when the reaper decides on other evidence than the runners give (a reaper told JOB_EVIDENCE=off)', async () => {
  const config = twinConfig({ SCENARIO_RUNNER_LABEL: 'reaper-e2e-local-6', SCENARIO_ENVIRONMENT: 'reaper-e2e-local-6' });
  const report = await run(config, { JOB_EVIDENCE: 'off' });
  expect(report.ok).toBe(false);
  expect(report.error).toBe('scale-down decided on hooks evidence: evidence counts {"hooks":0,"probe":0,"none":2}');
  expect(report.cleanup).toEqual(expect.arrayContaining(['terminate the instances: done']));
});

it('refuses worlds that cannot exist, naming the variable', () => {
  expect(() => twinConfig({ SCENARIO_RUNNERS: 'real' })).toThrow(ScenarioConfigError);
  expect(() => twinConfig({ SCENARIO_RUNNERS: 'real' })).toThrow(/SCENARIO_RUNNERS=real/);
  expect(() => twinConfig({ SCENARIO_LAMBDA: 'invoke' })).toThrow(/SCENARIO_TERRAFORM_OUTPUTS/);
  expect(() => scenarioConfigFromEnv({ SCENARIO_GITHUB: 'real', SCENARIO_RUNNERS: 'real' })).toThrow(/SCENARIO_GITHUB_APP_ID is required/);
  expect(() => twinConfig({ SCENARIO_JOB_DURATION_SECONDS: 'long' })).toThrow(/SCENARIO_JOB_DURATION_SECONDS/);
});

it('ends at its deadline with its own report and clean-up, whatever the waits allow', async () => {
  // Generous waits, a short deadline: the run must stop at the deadline, not at the waits.
  const config = {
    ...twinConfig({ SCENARIO_RUNNER_LABEL: 'reaper-e2e-local-4', SCENARIO_ENVIRONMENT: 'reaper-e2e-local-4', SCENARIO_DEADLINE_SECONDS: '8' }),
    timeouts: { pickUp: 60, reclaim: 600, jobSlack: 60 },
  };
  expect(config.deadlineSeconds).toBe(8);
  const report = await run(config, { DRY_RUN: 'true' });
  expect(report.ok).toBe(false);
  expect(report.error).toMatch(/the idle instance is reclaimed in time: still running after \d+ scale-down runs; the scenario's deadline of 8 s \(SCENARIO_DEADLINE_SECONDS\) has passed/);
  expect(report.cleanup).toEqual(expect.arrayContaining(['terminate the instances: done', 'cancel the job: done']));
});

describe('the real world\'s bounds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-outputs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** `terraform output -json` of the e2e fixture, as much of it as the scenario reads. */
  const outputsFile = (userData?: string) => {
    const path = join(dir, `outputs-${userData === undefined ? 'without' : 'with'}-hooks.json`);
    const outputs = {
      environment: { value: 'reaper-e2e-1' },
      scale_down: { value: { function_name: 'reaper-e2e-1-scale-down' } },
      orphan_cleanup: { value: { function_name: 'reaper-e2e-1-orphan-cleanup' } },
      github_app_parameters: { value: { id_parameter: '/p/id', key_base64_parameter: '/p/key' } },
      ...(userData === undefined ? {} : { runner_hooks_user_data: { value: userData } }),
    };
    writeFileSync(path, JSON.stringify(outputs));
    return path;
  };
  const real = (extra: Record<string, string> = {}) =>
    scenarioConfigFromEnv({
      SCENARIO_GITHUB: 'real',
      SCENARIO_GITHUB_APP_ID: '1',
      SCENARIO_GITHUB_APP_PRIVATE_KEY: 'pem',
      SCENARIO_GITHUB_OWNER: 'o',
      SCENARIO_GITHUB_REPO: 'r',
      SCENARIO_RUNNER_DIR: '/tmp/runner',
      SCENARIO_HOOKS: 'env',
      SCENARIO_HOOKS_DIR: '/tmp/hooks',
      ...extra,
    });

  test('the deadline is shorter than the sum of the waits it bounds', () => {
    const config = real();
    expect(config.deadlineSeconds).toBe(REAL_DEADLINE_SECONDS);
    const worstCase = 3 * REAL_TIMEOUTS.pickUp + 2 * REAL_TIMEOUTS.reclaim + config.jobDurationSeconds + REAL_TIMEOUTS.jobSlack + 60;
    expect(worstCase).toBeGreaterThan(config.deadlineSeconds);
    expect(real({ SCENARIO_DEADLINE_SECONDS: '900' }).deadlineSeconds).toBe(900);
    expect(() => real({ SCENARIO_DEADLINE_SECONDS: 'soon' })).toThrow(/SCENARIO_DEADLINE_SECONDS/);
  });

  test('SCENARIO_HOOKS=installed (the default) needs the snippet in the Terraform outputs, whose boot check each instance runs; env needs SCENARIO_HOOKS_DIR', () => {
    const snippet = "mkdir -p '/w/hooks'\nsh '/w/hooks/check-hooks.sh' --background '/w/hooks/check-hooks.conf' || echo 'no check' >&2\n";
    const installed = real({ SCENARIO_HOOKS: '', SCENARIO_HOOKS_DIR: '', SCENARIO_TERRAFORM_OUTPUTS: outputsFile(snippet) });
    expect(installed).toMatchObject({ hooks: 'installed', environment: 'reaper-e2e-1', terraformOutputs: { runnerHooksUserData: snippet } });
    expect(installed.hooksDir).toBeUndefined();
    expect(() => real({ SCENARIO_HOOKS: 'installed' })).toThrow(/SCENARIO_HOOKS=installed needs SCENARIO_TERRAFORM_OUTPUTS with output runner_hooks_user_data/);
    expect(() => real({ SCENARIO_HOOKS: 'installed', SCENARIO_TERRAFORM_OUTPUTS: outputsFile() })).toThrow(/output runner_hooks_user_data/);
    expect(real().hooks).toBe('env');
    expect(() => real({ SCENARIO_HOOKS_DIR: '' })).toThrow(/SCENARIO_HOOKS_DIR is required/);
    expect(() => real({ SCENARIO_HOOKS: 'baked' })).toThrow(/SCENARIO_HOOKS="baked": expected one of env, installed/);
    // Simulated agents: installed by default too (hooks evidence); env leaves them unproven.
    expect(twinConfig().hooks).toBe('installed');
  });
});

describe('hooks installed by the user-data snippet (SCENARIO_HOOKS=installed)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runner-dir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, mode: number) => {
    const path = join(dir, name);
    writeFileSync(path, '#!/bin/sh\nexit 0\n');
    chmodSync(path, mode);
    return path;
  };

  test('reads both hooks from the runner\'s .env, as actions/runner does', () => {
    const started = script('job-started.sh', 0o755);
    const completed = script('job-completed.sh', 0o755);
    writeFileSync(join(dir, '.env'), `LANG=C.UTF-8\nACTIONS_RUNNER_HOOK_JOB_STARTED=${started}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed}\n`);
    expect(checkInstalledHooks(dir)).toEqual({ started, completed });
  });

  test('refuses a runner whose .env lacks a hook or names a file that cannot run', () => {
    const started = script('job-started.sh', 0o755);
    writeFileSync(join(dir, '.env'), `ACTIONS_RUNNER_HOOK_JOB_STARTED=${started}\n`);
    expect(() => checkInstalledHooks(dir)).toThrow(/does not set ACTIONS_RUNNER_HOOK_JOB_COMPLETED/);
    const completed = script('job-completed.sh', 0o644);
    writeFileSync(join(dir, '.env'), `ACTIONS_RUNNER_HOOK_JOB_STARTED=${started}\nACTIONS_RUNNER_HOOK_JOB_COMPLETED=${completed}\n`);
    expect(() => checkInstalledHooks(dir)).toThrow(/is not an executable file/);
    rmSync(join(dir, '.env'));
    expect(() => checkInstalledHooks(dir)).toThrow(/run the module's user-data snippet first/);
  });
});
