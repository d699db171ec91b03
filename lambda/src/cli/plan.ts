/**
 * The plan itself, pure: a snapshot in, one row per instance and a summary out. Both
 * decision cores run on the same snapshot, as the two scheduled functions would; each row
 * shows the decision that matters for its instance (the one that acts, else the function
 * whose instance it is), and keeps both.
 */
import type { MalformedInstance } from '../adapters/ports';
import type { Config } from '../config/schema';
import {
  decideOrphans,
  decideScaleDown,
  heldSummary,
  type Decision,
  type HeldSummary,
  type EvidenceSource,
  type OwnerRef,
  type OwnerRunners,
  type ReasonCode,
  type RunnerView,
  type Snapshot,
  TAG,
} from '../core';
import { forecast, type Decide, type Forecast } from './forecast';

export type DecidedBy = 'scale-down' | 'orphan-cleanup' | 'both';

/**
 * - `acts`: a run now would act (scale-down: GET, DELETE, settle, re-check, terminate;
 *   orphan-cleanup: settle, re-check, terminate); the executors' guards may still keep it.
 * - `waits`: kept now, acted on later if nothing but the clock changes.
 * - `protected`: kept, and stays kept while what protects it holds.
 */
export type Category = 'acts' | 'waits' | 'protected';

export interface PlanRow {
  instanceId: string;
  environment?: string;
  owner?: OwnerRef;
  runner?: RunnerView;
  /** Which machine evidence backs the decision; undefined when the core does not say. */
  evidence?: EvidenceSource;
  /** SSM online, so a probe could ask it; undefined when SSM was not read. */
  probeable?: boolean;
  decidedBy: DecidedBy;
  decision: Decision;
  category: Category;
  next: Forecast;
  scaleDown: Decision;
  orphanCleanup: Decision;
}

export interface OwnerListing {
  owner: OwnerRef;
  ok: boolean;
  runners?: number;
  error?: string;
}

export interface PlanSummary {
  instances: number;
  /** Registered runners scale-down would deregister and terminate now. */
  reclaimNow: string[];
  /** The same, by the reason of the decision (`idle-confirmed`, `stale-job-evidence`). */
  reclaimNowBy: Partial<Record<ReasonCode, string[]>>;
  /** Unregistered instances orphan-cleanup would terminate now. */
  terminateNow: string[];
  /** The same, by reason (`orphan-confirmed`, `drained`, and the operator's trades `unregistered-hold-*`). */
  terminateNowBy: Partial<Record<ReasonCode, string[]>>;
  /** Kept now, acted on at the earliest at `at`. */
  waiting: { instanceId: string; action: Decision['action']; reason: ReasonCode; at: Date; after: ReasonCode }[];
  /** Kept by this reason (the guard), with the instances. */
  protectedBy: Partial<Record<ReasonCode, string[]>>;
  /**
   * Instances orphan-cleanup holds now without a registration and without machine evidence
   * (`waiting-max-job-duration`): the core's own count and longest hold, and each with
   * since when and, where the forecast knows, the earliest termination.
   */
  held: HeldSummary & { instances: HeldInstance[] };
  /** Tags a run now would write (first sightings and clean-up), as key -> instances; a dry run writes them too. */
  bookkeeping: { set: Record<string, string[]>; remove: Record<string, string[]> };
  /**
   * Instances per machine evidence source. `notJudged`: kept by the first rules (bypass,
   * state, tags, a failed listing) before the decision core looks at evidence.
   */
  evidence: Record<EvidenceSource | 'notJudged', number>;
  malformed: MalformedInstance[];
  owners: OwnerListing[];
  dryRun: boolean;
}

export interface HeldInstance {
  instanceId: string;
  /** ISO-8601, as the decision says (`Decision.heldSince`). */
  since: string;
  /** The earliest termination if nothing but the clock changes. */
  until?: Date;
}

export interface Plan {
  generatedAt: Date;
  config: Config;
  rows: PlanRow[];
  summary: PlanSummary;
}

function rowDecision(scaleDown: Decision, orphanCleanup: Decision): { decidedBy: DecidedBy; decision: Decision } {
  if (scaleDown.action !== 'keep') return { decidedBy: 'scale-down', decision: scaleDown };
  if (orphanCleanup.action !== 'keep') return { decidedBy: 'orphan-cleanup', decision: orphanCleanup };
  if (scaleDown.reason === orphanCleanup.reason) return { decidedBy: 'both', decision: scaleDown };
  // Orphan-cleanup found a registration: the instance is scale-down's.
  if (orphanCleanup.runner || orphanCleanup.reason === 'registered') return { decidedBy: 'scale-down', decision: scaleDown };
  return { decidedBy: 'orphan-cleanup', decision: orphanCleanup };
}

function categoryOf(next: Forecast): Category {
  if (next.kind === 'acts-now') return 'acts';
  if (next.kind === 'acts-later') return 'waits';
  return 'protected';
}

function push(map: Record<string, string[]>, key: string, id: string): void {
  (map[key] ??= []).push(id);
}

function listings(runnersByOwner: ReadonlyMap<string, OwnerRunners>): OwnerListing[] {
  return [...runnersByOwner.values()]
    .map((l) => (l.ok ? { owner: l.owner, ok: true, runners: l.runners.length } : { owner: l.owner, ok: false, error: l.error }))
    .sort((a, b) => `${a.owner.type}:${a.owner.owner}`.localeCompare(`${b.owner.type}:${b.owner.owner}`));
}

const CATEGORY_ORDER: Record<Category, number> = { acts: 0, waits: 1, protected: 2 };

/** The two decision cores, as the scheduled functions run them. */
export interface Cores {
  scaleDown: Decide;
  orphanCleanup: Decide;
}

export const CORES: Cores = { scaleDown: decideScaleDown, orphanCleanup: decideOrphans };

export function makePlan(snapshot: Snapshot, malformed: readonly MalformedInstance[] = [], cores: Cores = CORES): Plan {
  const scaleDown = cores.scaleDown(snapshot);
  const orphans = cores.orphanCleanup(snapshot);
  const decide: Record<Exclude<DecidedBy, 'both'>, Decide> = {
    'scale-down': cores.scaleDown,
    'orphan-cleanup': cores.orphanCleanup,
  };

  const rows = snapshot.instances.map((instance, i): PlanRow => {
    const sd = scaleDown[i]!;
    const oc = orphans[i]!;
    const { decidedBy, decision } = rowDecision(sd, oc);
    const next = forecast(decide[decidedBy === 'both' ? 'scale-down' : decidedBy], snapshot, instance, decision);
    const environment = decision.environment ?? instance.tags[TAG.environment];
    const owner = decision.owner ?? sd.owner ?? oc.owner;
    const runner = decision.runner ?? sd.runner ?? oc.runner;
    const evidence = decision.evidence ?? sd.evidence ?? oc.evidence;
    return {
      instanceId: instance.id,
      ...(environment !== undefined ? { environment } : {}),
      ...(owner ? { owner } : {}),
      ...(runner ? { runner } : {}),
      ...(evidence ? { evidence } : {}),
      ...(snapshot.probe?.enabled && !snapshot.probe.error ? { probeable: snapshot.probe.online.has(instance.id) } : {}),
      decidedBy,
      decision,
      category: categoryOf(next),
      next,
      scaleDown: sd,
      orphanCleanup: oc,
    };
  });
  rows.sort((a, b) => CATEGORY_ORDER[a.category] - CATEGORY_ORDER[b.category] || a.instanceId.localeCompare(b.instanceId));

  const summary: PlanSummary = {
    instances: rows.length,
    reclaimNow: [],
    reclaimNowBy: {},
    terminateNow: [],
    terminateNowBy: {},
    waiting: [],
    protectedBy: {},
    held: { ...heldSummary(orphans, snapshot.now), instances: [] },
    bookkeeping: { set: {}, remove: {} },
    evidence: { hooks: 0, probe: 0, none: 0, notJudged: 0 },
    malformed: [...malformed],
    owners: listings(snapshot.runnersByOwner),
    dryRun: snapshot.config.dryRun,
  };
  for (const row of rows) {
    const { decision, next, instanceId } = row;
    if (decision.action === 'reclaim') {
      summary.reclaimNow.push(instanceId);
      push(summary.reclaimNowBy as Record<string, string[]>, decision.reason, instanceId);
    } else if (decision.action === 'terminate') {
      summary.terminateNow.push(instanceId);
      push(summary.terminateNowBy as Record<string, string[]>, decision.reason, instanceId);
    } else if (next.kind === 'acts-later') {
      summary.waiting.push({ instanceId, action: next.action, reason: next.reason, at: next.at, after: decision.reason });
    } else push(summary.protectedBy as Record<string, string[]>, decision.reason, instanceId);
    // Both functions write their own bookkeeping on their own runs.
    for (const d of [row.scaleDown, row.orphanCleanup]) {
      for (const key of Object.keys(d.setTags ?? {})) push(summary.bookkeeping.set, key, instanceId);
      for (const key of d.removeTags ?? []) push(summary.bookkeeping.remove, key, instanceId);
    }
    summary.evidence[row.evidence ?? 'notJudged']++;
    const { heldSince } = row.orphanCleanup;
    if (row.orphanCleanup.action === 'keep' && heldSince !== undefined) {
      const until = row.decidedBy === 'orphan-cleanup' && next.kind === 'acts-later' ? { until: next.at } : {};
      summary.held.instances.push({ instanceId, since: heldSince, ...until });
    }
  }
  for (const map of [summary.bookkeeping.set, summary.bookkeeping.remove]) {
    for (const key of Object.keys(map)) map[key] = [...new Set(map[key])];
  }
  summary.waiting.sort((a, b) => a.at.getTime() - b.at.getTime() || a.instanceId.localeCompare(b.instanceId));
  summary.held.instances.sort((a, b) => Date.parse(a.since) - Date.parse(b.since) || a.instanceId.localeCompare(b.instanceId));
  return { generatedAt: snapshot.now, config: snapshot.config, rows, summary };
}
