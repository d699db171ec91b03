/**
 * Logs and metrics. One JSON log line per instance and run (what was decided, what was
 * done, and why), and EMF metrics named for the questions an operator asks: how many
 * runners did we reclaim, how often did a guard catch a race, did anything fail.
 * Secrets never reach here: outcomes carry ids, names and reason codes only.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ReasonCode } from '../core';
import type { MalformedInstance } from '../adapters/ports';
import type { Outcome } from '../executor/outcome';

export const DEFAULT_NAMESPACE = 'RunnerReaper';

export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
}

export function createTelemetry(serviceName: string): Telemetry {
  const service = process.env.POWERTOOLS_SERVICE_NAME || serviceName;
  return {
    logger: new Logger({ serviceName: service }),
    metrics: new Metrics({
      serviceName: service,
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE,
    }),
  };
}

/** Which guard stopped an action that the core had decided on. */
export type Guard = 'get' | 'delete-422' | 'recheck' | 'job-evidence';

export function guardOf(outcome: Outcome): Guard | undefined {
  switch (outcome.reason) {
    case 'race-busy-before-delete':
    case 'runner-vanished':
      return 'get';
    case 'race-delete-refused':
      return 'delete-422';
    case 'race-busy-after-delete':
    case 'race-registered-again':
      return 'recheck';
    case 'race-job-evidence-before-delete':
    case 'race-job-evidence-after-delete':
      return 'job-evidence';
    case 'job-evidence':
      // Only a race when the core had decided to act and the re-check stopped it.
      return outcome.decided === 'keep' ? undefined : 'job-evidence';
    default:
      return undefined;
  }
}

const BUSY_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'busy-on-github',
  'job-evidence',
  'race-busy-before-delete',
  'race-delete-refused',
  'race-busy-after-delete',
  'race-job-evidence-before-delete',
  'race-job-evidence-after-delete',
]);

export interface RunSummary {
  run: 'scale-down' | 'orphan-cleanup';
  dryRun: boolean;
  instances: number;
  malformedInstances: number;
  terminated: number;
  kept: number;
  /** Final reasons, counted. */
  reasons: Partial<Record<ReasonCode, number>>;
  racesCaught: Partial<Record<Guard, number>>;
  errors: number;
  githubCalls: number;
}

export interface RunFacts {
  run: RunSummary['run'];
  dryRun: boolean;
  outcomes: readonly Outcome[];
  malformed: readonly MalformedInstance[];
  errors: readonly string[];
  githubCalls: number;
}

function increment<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Logs every outcome, emits the run's metrics and returns the summary the handler returns. */
export function reportRun(telemetry: Telemetry, facts: RunFacts): RunSummary {
  const { logger, metrics } = telemetry;
  const summary: RunSummary = {
    run: facts.run,
    dryRun: facts.dryRun,
    instances: facts.outcomes.length,
    malformedInstances: facts.malformed.length,
    terminated: 0,
    kept: 0,
    reasons: {},
    racesCaught: {},
    errors: 0,
    githubCalls: facts.githubCalls,
  };
  let keptBusy = 0;
  let orphansMarked = 0;
  for (const outcome of facts.outcomes) {
    logger.info(outcome.message, {
      instanceId: outcome.instanceId,
      action: outcome.decided,
      result: outcome.result,
      reason: outcome.reason,
      decisionReason: outcome.decisionReason,
      owner: outcome.owner ? `${outcome.owner.type}:${outcome.owner.owner}` : undefined,
      runnerId: outcome.runnerId,
      deregistered: outcome.deregistered,
    });
    increment(summary.reasons, outcome.reason);
    if (outcome.result === 'terminated') summary.terminated++;
    else summary.kept++;
    if (outcome.result === 'kept' && BUSY_REASONS.has(outcome.reason)) keptBusy++;
    if (outcome.reason === 'orphan-first-sighting' && !facts.dryRun) orphansMarked++;
    if (outcome.reason === 'github-error' || outcome.reason === 'aws-error') summary.errors++;
    const guard = guardOf(outcome);
    if (guard) increment(summary.racesCaught, guard);
  }
  for (const item of facts.malformed) {
    logger.warn('Kept: EC2 described an instance the reaper cannot read', { ...item });
  }
  for (const error of facts.errors) logger.warn('Bookkeeping failed (nothing unsafe happened)', { error });
  summary.errors += facts.malformed.length + facts.errors.length;

  metrics.addMetric(facts.run === 'scale-down' ? 'RunnersTerminated' : 'OrphansTerminated', MetricUnit.Count, summary.terminated);
  metrics.addMetric('RunnersKeptBusy', MetricUnit.Count, keptBusy);
  if (facts.run === 'orphan-cleanup') metrics.addMetric('OrphansMarked', MetricUnit.Count, orphansMarked);
  metrics.addMetric('GitHubCalls', MetricUnit.Count, facts.githubCalls);
  metrics.addMetric('Errors', MetricUnit.Count, summary.errors);
  for (const [guard, count] of Object.entries(summary.racesCaught)) {
    metrics.singleMetric().addDimension('Guard', guard).addMetric('RacesCaught', MetricUnit.Count, count as number);
  }
  for (const [reason, count] of Object.entries(summary.reasons)) {
    metrics.singleMetric().addDimension('Reason', reason).addMetric('Decisions', MetricUnit.Count, count as number);
  }
  logger.info('Run finished', { summary });
  return summary;
}
