/**
 * Logs and metrics. One JSON log line per instance and run (what was decided, what was
 * done, why, on which machine evidence, in which environment), and EMF metrics named for
 * the questions an operator asks. The catalogue is docs/metrics.md: names, units and
 * dimensions here must match it (the module's dashboard and alarms are built from it).
 * Secrets never reach here: outcomes carry ids, names and reason codes only.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Config } from '../config/schema';
import { TAG, type Decision, type EvidenceSource, type ProbeAvailability, type ReasonCode, type Snapshot } from '../core';
import type { MalformedInstance } from '../adapters/ports';
import type { Outcome } from '../executor/outcome';

export const DEFAULT_NAMESPACE = 'RunnerReaper';

export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
  /** The CloudWatch namespace and `service` dimension (docs/metrics.md). */
  namespace?: string;
  service?: string;
}

export function createTelemetry(serviceName: string): Telemetry {
  const service = process.env.POWERTOOLS_SERVICE_NAME || serviceName;
  const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE;
  return {
    logger: new Logger({ serviceName: service }),
    metrics: new Metrics({ serviceName: service, namespace }),
    namespace,
    service,
  };
}

/** Which guard stopped an action that the core had decided on (the `Guard` dimension). */
export type Guard = 'get' | 'delete-422' | 'recheck' | 'job-evidence' | 'probe';

export function guardOf(outcome: Outcome): Guard | undefined {
  // The core's probe guards (before the DELETE, after the settle) are all `race-probe-*`;
  // orphan-cleanup's is `probe-busy`, a race only when the core had decided to act.
  const reason: string = outcome.reason;
  if (reason.startsWith('race-probe')) return 'probe';
  if (reason === 'probe-busy') return outcome.decided === 'keep' ? undefined : 'probe';
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

/** Final reasons that mean "some evidence says a job runs here". */
const BUSY_REASONS: ReadonlySet<string> = new Set([
  'busy-on-github',
  'job-evidence',
  'race-busy-before-delete',
  'race-delete-refused',
  'race-busy-after-delete',
  'race-job-evidence-before-delete',
  'race-job-evidence-after-delete',
  'race-probe-busy-before-delete',
  'race-probe-busy-after-delete',
  'probe-busy',
]);

const EVIDENCE_SOURCES: readonly EvidenceSource[] = ['hooks', 'probe', 'none'];

type EvidenceCounts = Record<EvidenceSource, number>;

/** The counts of one environment, or of the whole deployment. */
export interface ScopeSummary {
  instances: number;
  terminated: number;
  kept: number;
  /** Final reasons, counted. */
  reasons: Partial<Record<ReasonCode, number>>;
  racesCaught: Partial<Record<Guard, number>>;
  errors: number;
  keptBusy: number;
  orphansMarked: number;
  /** Instances past the gate, by the machine evidence that backed their decision. */
  evidence: EvidenceCounts;
  /** Owners whose runner listing failed. */
  githubUnavailable: number;
  /** Orphan-cleanup: instances kept without a registration and without machine evidence (the core's hold). */
  heldUnregistered: number;
  heldUnregisteredOldestSeconds: number;
}

export interface RunSummary extends ScopeSummary {
  run: 'scale-down' | 'orphan-cleanup';
  dryRun: boolean;
  malformedInstances: number;
  githubCalls: number;
  githubDeletes: number;
  githubRateLimited: number;
  probesSent: number;
  probeFailures: number;
  /** The SSM read of which instances are online failed this run. */
  probeUnavailable: boolean;
  byEnvironment: Record<string, ScopeSummary>;
}

/** Calls made in this run (deltas of the adapters' counters). */
export interface RunCalls {
  githubDeletes?: number;
  githubRateLimited?: number;
  probesSent?: number;
  probeFailures?: number;
}

export interface RunFacts {
  run: RunSummary['run'];
  dryRun: boolean;
  outcomes: readonly Outcome[];
  malformed: readonly MalformedInstance[];
  errors: readonly string[];
  githubCalls: number;
  calls?: RunCalls;
  /** The core's decisions: evidence and environment per instance until Outcome carries them. */
  decisions?: readonly Decision[];
  /** What the run read: instance tags (environment, hold marks), listings, SSM reachability. */
  snapshot?: Pick<Snapshot, 'now' | 'instances' | 'runnersByOwner'> & { probe?: ProbeAvailability };
  /** For the warning about instances without machine evidence. */
  config?: Pick<Config, 'idleConfirmationSeconds' | 'unregisteredHold'>;
}

function increment<K extends string>(counts: Partial<Record<K, number>>, key: K, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

function emptyScope(): ScopeSummary {
  return {
    instances: 0,
    terminated: 0,
    kept: 0,
    reasons: {},
    racesCaught: {},
    errors: 0,
    keptBusy: 0,
    orphansMarked: 0,
    evidence: { hooks: 0, probe: 0, none: 0 },
    githubUnavailable: 0,
    heldUnregistered: 0,
    heldUnregisteredOldestSeconds: 0,
  };
}

/**
 * The core's hold (core/orphan.ts): a keep decision with `heldSince`, i.e. an instance kept
 * without a registration and without machine evidence. One model: the metric counts exactly
 * what UNREGISTERED_HOLD_MINUTES and UNREGISTERED_HOLD_MAX_INSTANCES bound.
 */
function heldSince(decision: Decision | undefined): number | undefined {
  const since = (decision as (Decision & { heldSince?: string }) | undefined)?.heldSince;
  if (decision?.action !== 'keep' || since === undefined) return undefined;
  const ms = Date.parse(since);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Logs every outcome, emits the run's metrics and returns the summary the handler returns. */
export function reportRun(telemetry: Telemetry, facts: RunFacts): RunSummary {
  const { logger } = telemetry;
  const instances = new Map((facts.snapshot?.instances ?? []).map((i) => [i.id, i]));
  const decisions = new Map((facts.decisions ?? []).map((d) => [d.instanceId, d]));
  const now = facts.snapshot?.now.getTime() ?? Date.now();
  const total = emptyScope();
  const byEnvironment: Record<string, ScopeSummary> = {};
  const scopesOf = (environment: string | undefined): ScopeSummary[] => {
    if (environment === undefined) return [total];
    byEnvironment[environment] ??= emptyScope();
    return [total, byEnvironment[environment]];
  };

  for (const outcome of facts.outcomes) {
    const carried = outcome as Outcome & { evidence?: EvidenceSource; environment?: string };
    const decision = decisions.get(outcome.instanceId);
    const instance = instances.get(outcome.instanceId);
    const environment = carried.environment ?? decision?.environment ?? instance?.tags[TAG.environment];
    const evidence = carried.evidence ?? decision?.evidence;
    logger.info(outcome.message, {
      instanceId: outcome.instanceId,
      environment,
      evidence,
      action: outcome.decided,
      result: outcome.result,
      reason: outcome.reason,
      decisionReason: outcome.decisionReason,
      owner: outcome.owner ? `${outcome.owner.type}:${outcome.owner.owner}` : undefined,
      runnerId: outcome.runnerId,
      deregistered: outcome.deregistered,
    });
    const guard = guardOf(outcome);
    const since = facts.run === 'orphan-cleanup' && outcome.result === 'kept' ? heldSince(decision) : undefined;
    const held = since !== undefined;
    for (const scope of scopesOf(environment)) {
      scope.instances++;
      increment(scope.reasons, outcome.reason);
      if (outcome.result === 'terminated') scope.terminated++;
      else scope.kept++;
      if (outcome.result === 'kept' && BUSY_REASONS.has(outcome.reason)) scope.keptBusy++;
      if (outcome.reason === 'orphan-first-sighting' && !facts.dryRun) scope.orphansMarked++;
      if (outcome.reason === 'github-error' || outcome.reason === 'aws-error') scope.errors++;
      if (guard) increment(scope.racesCaught, guard);
      if (evidence) scope.evidence[evidence]++;
      if (held) {
        scope.heldUnregistered++;
        scope.heldUnregisteredOldestSeconds = Math.max(scope.heldUnregisteredOldestSeconds, Math.round((now - since) / 1000));
      }
    }
  }

  // Owners whose listing failed, once in the total and once per environment they serve.
  const failedOwners = new Set<string>();
  for (const [key, listing] of facts.snapshot?.runnersByOwner ?? []) {
    if (!listing.ok) failedOwners.add(key);
  }
  total.githubUnavailable = failedOwners.size;
  if (failedOwners.size > 0) {
    const perEnvironment = new Map<string, Set<string>>();
    for (const instance of facts.snapshot?.instances ?? []) {
      const owner = instance.tags[TAG.owner];
      const type = instance.tags[TAG.type];
      const environment = instance.tags[TAG.environment];
      if (owner === undefined || type === undefined || environment === undefined) continue;
      const key = `${type}:${owner}`;
      if (!failedOwners.has(key)) continue;
      if (!perEnvironment.has(environment)) perEnvironment.set(environment, new Set());
      perEnvironment.get(environment)?.add(key);
    }
    for (const [environment, owners] of perEnvironment) scopesOf(environment)[1]!.githubUnavailable = owners.size;
  }

  for (const item of facts.malformed) {
    logger.warn('Kept: EC2 described an instance the reaper cannot read', { ...item });
  }
  for (const error of facts.errors) logger.warn('Bookkeeping failed (nothing unsafe happened)', { error });
  total.errors += facts.malformed.length + facts.errors.length;

  const probe = facts.snapshot?.probe;
  if (probe?.error) logger.warn('The probe is on but SSM could not be read: no instance counts as probe-able this run', { error: probe.error });
  if (total.evidence.none > 0) {
    const config = facts.config;
    logger.warn(
      `${total.evidence.none} of ${EVIDENCE_SOURCES.reduce((n, s) => n + total.evidence[s], 0)} instances have no machine evidence ` +
        '(no job-hooks marker, not probe-able): the reaper cannot see a job GitHub has not flagged on them, so it waits longer' +
        (config
          ? `: scale-down confirms them idle over two sightings ${2 * config.idleConfirmationSeconds} s apart instead of reclaiming at the first, ` +
            `and an unregistered one is held up to ${config.unregisteredHold.maxMinutes} minutes before it is terminated`
          : ''),
      {
        instancesWithoutEvidence: total.evidence.none,
        byEnvironment: Object.fromEntries(Object.entries(byEnvironment).map(([env, scope]) => [env, scope.evidence.none])),
      },
    );
  }

  const calls = facts.calls ?? {};
  const summary: RunSummary = {
    run: facts.run,
    dryRun: facts.dryRun,
    ...total,
    malformedInstances: facts.malformed.length,
    githubCalls: facts.githubCalls,
    githubDeletes: calls.githubDeletes ?? 0,
    githubRateLimited: calls.githubRateLimited ?? 0,
    probesSent: calls.probesSent ?? 0,
    probeFailures: calls.probeFailures ?? 0,
    probeUnavailable: probe?.error !== undefined,
    byEnvironment,
  };
  emitMetrics(telemetry, summary);
  logger.info('Run finished', { summary });
  return summary;
}

/** The metrics of one scope: the deployment's total (`into` = the handler's Metrics) or one environment's. */
function emitScope(into: Metrics, single: () => Metrics, run: RunSummary['run'], scope: ScopeSummary): void {
  const count = (name: string, value: number) => into.addMetric(name, MetricUnit.Count, value);
  count(run === 'scale-down' ? 'RunnersTerminated' : 'OrphansTerminated', scope.terminated);
  count('RunnersKeptBusy', scope.keptBusy);
  if (run === 'orphan-cleanup') {
    count('OrphansMarked', scope.orphansMarked);
    count('InstancesHeldUnregistered', scope.heldUnregistered);
    into.addMetric('HeldUnregisteredOldestSeconds', MetricUnit.Seconds, scope.heldUnregisteredOldestSeconds);
  }
  count('Errors', scope.errors);
  count('GitHubUnavailable', scope.githubUnavailable);
  for (const source of EVIDENCE_SOURCES) {
    single().addDimension('Evidence', source).addMetric('InstancesByEvidence', MetricUnit.Count, scope.evidence[source]);
  }
  for (const [guard, value] of Object.entries(scope.racesCaught)) {
    single().addDimension('Guard', guard).addMetric('RacesCaught', MetricUnit.Count, value as number);
  }
  for (const [reason, value] of Object.entries(scope.reasons)) {
    single().addDimension('Reason', reason).addMetric('Decisions', MetricUnit.Count, value as number);
  }
}

function emitMetrics(telemetry: Telemetry, summary: RunSummary): void {
  const { metrics } = telemetry;
  emitScope(metrics, () => metrics.singleMetric(), summary.run, summary);
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  count('GitHubCalls', summary.githubCalls);
  if (summary.run === 'scale-down') count('GitHubDeletes', summary.githubDeletes);
  count('GitHubRateLimited', summary.githubRateLimited);
  count('ProbesSent', summary.probesSent);
  count('ProbeFailures', summary.probeFailures);
  count('ProbeUnavailable', summary.probeUnavailable ? 1 : 0);
  // One document per environment, beside the totals (the handler's middleware publishes those).
  for (const [environment, scope] of Object.entries(summary.byEnvironment)) {
    const perEnvironment = new Metrics({
      namespace: telemetry.namespace ?? DEFAULT_NAMESPACE,
      ...(telemetry.service ? { serviceName: telemetry.service } : {}),
      defaultDimensions: { Environment: environment },
    });
    emitScope(perEnvironment, () => perEnvironment.singleMetric(), summary.run, scope);
    perEnvironment.publishStoredMetrics();
  }
}
