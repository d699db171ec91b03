/**
 * The orphan-cleanup Lambda: `index.handler` in its bundle. Decide with the pure core, act
 * with the executor, report every outcome.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { decideOrphans } from '../core';
import { runOrphanCleanup } from '../executor/orphan-cleanup';
import { createTelemetry, reportRun, type RunSummary } from '../observability/telemetry';
import { callsSince, createRuntime, executorEnv, loadAtColdStart, type Runtime } from './runtime';
import { readSnapshot } from './snapshot';

const telemetry = createTelemetry('runner-reaper-orphan-cleanup');
const loaded = loadAtColdStart(process.env);
if (!loaded.ok) telemetry.logger.error('Invalid configuration: every invocation will fail', { error: loaded.error.message });
let runtime: Runtime | undefined;

async function orphanCleanup(): Promise<RunSummary> {
  if (!loaded.ok) throw loaded.error;
  runtime ??= createRuntime(loaded.config, telemetry);
  const { config } = runtime;
  const before = runtime.counters();
  const { snapshot, malformed } = await readSnapshot(runtime, config, new Date());
  const decisions = decideOrphans(snapshot);
  const report = await runOrphanCleanup(decisions, runtime, executorEnv(runtime), { decidedAt: snapshot.now });
  const calls = callsSince(before, runtime.counters());
  return reportRun(telemetry, {
    run: 'orphan-cleanup',
    dryRun: config.dryRun,
    outcomes: report.outcomes,
    malformed,
    errors: report.errors,
    githubCalls: calls.githubRequests,
    calls,
    decisions,
    snapshot,
    config,
  });
}

export const handler = middy(orphanCleanup)
  .use(injectLambdaContext(telemetry.logger))
  .use(logMetrics(telemetry.metrics, { captureColdStartMetric: true }));
