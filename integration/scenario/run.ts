/**
 * CLI entry of the shared end-to-end scenario: `npx tsx integration/scenario/run.ts`.
 * Configured by the environment (see config.ts and docs/e2e-in-a-fork.md); writes
 * <SCENARIO_WORK_DIR>/report/scenario-report.json and exits 0 only when every step passed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleWorld, reportDir } from './assemble';
import { scenarioConfigFromEnv } from './config';
import { runScenario, type ScenarioReport } from './scenario';

async function main(): Promise<number> {
  const config = scenarioConfigFromEnv(process.env);
  console.log(`scenario: github=${config.github} aws=${config.aws} runners=${config.runners} lambda=${config.lambda} label=${config.label}`);
  const world = await assembleWorld(config);
  const writeReport = (report: ScenarioReport) => {
    const dir = reportDir(config);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'scenario-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  };
  let live: ScenarioReport | undefined;
  // A cancelled workflow run, or a step timeout, signals us (SIGINT, then SIGTERM 7.5 s
  // later, then SIGKILL 2.5 s after that: actions/runner src/Runner.Sdk/ProcessInvoker.cs).
  // Too little time for the scenario's own clean-up: write the report so far, stop the
  // runner processes (process groups of their own); the workflow's clean-up steps do the
  // rest. SCENARIO_DEADLINE_SECONDS keeps a slow run from getting here.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`scenario: ${signal}, writing the report so far and stopping runner processes`);
      if (live) {
        try {
          writeReport({ ...live, ok: false, error: `stopped by ${signal} after ${live.steps.length} steps`, finishedAt: new Date().toISOString() });
        } catch {
          // Nothing more to do in the time left.
        }
      }
      void world.runners
        .stopAll()
        .catch(() => undefined)
        .then(() => world.close())
        .catch(() => undefined)
        .finally(() => process.exit(130));
    });
  }
  let ok = false;
  try {
    const report = await runScenario(world, {
      label: config.label,
      environment: config.environment,
      jobDurationSeconds: config.jobDurationSeconds,
      timeouts: config.timeouts,
      pollMs: config.github === 'real' ? 5000 : 250,
      deadlineSeconds: config.deadlineSeconds,
      onReport: (report) => {
        live = report;
      },
      log: (line) => console.log(`${new Date().toISOString()} ${line}`),
    });
    ok = report.ok;
    writeReport(report);
    console.log(ok ? 'scenario passed' : `scenario FAILED: ${report.error}`);
    for (const line of report.cleanup) console.log(`clean-up: ${line}`);
  } finally {
    await world.close();
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`scenario could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
