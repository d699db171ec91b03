/**
 * The scale-down Lambda: `index.handler` in its bundle. Decide with the pure core, act
 * with the executor, report every outcome.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { decideScaleDown } from '../core';
import { runScaleDown } from '../executor/scale-down';
import { createTelemetry, reportRun, type RunSummary } from '../observability/telemetry';
import { callsSince, createRuntime, executorEnv, loadAtColdStart, type Runtime } from './runtime';
import { readSnapshot } from './snapshot';

const telemetry = createTelemetry('runner-reaper-scale-down');
const loaded = loadAtColdStart(process.env);
if (!loaded.ok) telemetry.logger.error('Invalid configuration: every invocation will fail', { error: loaded.error.message });
let runtime: Runtime | undefined;

async function scaleDown(_event: unknown, context: { getRemainingTimeInMillis?: () => number }): Promise<RunSummary> {
  if (!loaded.ok) throw loaded.error;
  runtime ??= createRuntime(loaded.config, telemetry);
  const { config } = runtime;
  const before = runtime.counters();
  const { snapshot, malformed } = await readSnapshot(runtime, config, new Date());
  const decisions = decideScaleDown(snapshot);
  const remainingMs = context.getRemainingTimeInMillis?.bind(context);
  const report = await runScaleDown(decisions, runtime, executorEnv(runtime, remainingMs));
  const calls = callsSince(before, runtime.counters());
  return reportRun(telemetry, {
    run: 'scale-down',
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

export const handler = middy(scaleDown)
  .use(injectLambdaContext(telemetry.logger))
  .use(logMetrics(telemetry.metrics, { captureColdStartMetric: true }));
