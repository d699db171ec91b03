/**
 * The shared end-to-end scenario (integration/scenario), the same code the e2e workflow
 * runs against GitHub, LocalStack and real runners, here against the twin, moto, simulated
 * agents and the built zips run as Lambda-like processes.
 */
import { MotoServer } from '../../moto';
import { assembleWorld } from '../../scenario/assemble';
import { ScenarioConfigError, scenarioConfigFromEnv, type ScenarioConfig } from '../../scenario/config';
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
    SCENARIO_JOB_DURATION_SECONDS: '9',
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
      pollMs: 100,
    });
  } finally {
    await world.close();
  }
}

const stepNames = (report: ScenarioReport) => report.steps.filter((s) => s.ok).map((s) => s.name);

it('idle runner reclaimed, busy runner spared until its job ended, then reclaimed by orphan-cleanup (repo runners)', async () => {
  const report = await run(twinConfig());
  expect(report.error).toBeUndefined();
  expect(report.ok).toBe(true);
  expect(stepNames(report)).toEqual(
    expect.arrayContaining([
      'the job-started hook tagged the busy instance',
      'the idle instance was reclaimed after a confirming sighting',
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
  expect(report.cleanup.every((line) => line.endsWith(': done'))).toBe(true);
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

it('refuses worlds that cannot exist, naming the variable', () => {
  expect(() => twinConfig({ SCENARIO_RUNNERS: 'real' })).toThrow(ScenarioConfigError);
  expect(() => twinConfig({ SCENARIO_RUNNERS: 'real' })).toThrow(/SCENARIO_RUNNERS=real/);
  expect(() => twinConfig({ SCENARIO_LAMBDA: 'invoke' })).toThrow(/SCENARIO_TERRAFORM_OUTPUTS/);
  expect(() => scenarioConfigFromEnv({ SCENARIO_GITHUB: 'real', SCENARIO_RUNNERS: 'real' })).toThrow(/SCENARIO_GITHUB_APP_ID is required/);
  expect(() => twinConfig({ SCENARIO_JOB_DURATION_SECONDS: 'long' })).toThrow(/SCENARIO_JOB_DURATION_SECONDS/);
});
