/**
 * What a run would do next, if nothing but the clock changes. A real run writes
 * bookkeeping tags (a first idle sighting, a first orphan sighting) and acts on a later
 * run; the plan writes nothing, so it replays that story on a copy of the instance with
 * the decision core itself as the only model of the rules:
 *
 * 1. apply the bookkeeping the current decision asks for (what a run now would write);
 * 2. find the earliest later time at which the core decides differently (the rules are
 *    age thresholds, so "decides differently from now" flips once; a binary search over
 *    whole seconds finds it);
 * 3. repeat from there until the core acts, or nothing changes within the horizon.
 *
 * The replay looks at the instance alone, with its own runner and without idle-pool
 * windows: a pool can only keep an instance longer, so the times are "at the earliest".
 * The plan checks that the instance alone is decided as it was within the fleet; where it
 * is not (the idle pool, any rule that weighs the rest of the fleet) it says so instead of
 * guessing.
 */
import { ownerKey, type Action, type Decision, type InstanceView, type OwnerRunners, type ReasonCode, type Snapshot } from '../core';

export type Decide = (snapshot: Snapshot) => Decision[];

export interface ForecastStep {
  at: Date;
  action: Action;
  reason: ReasonCode;
  message: string;
  /** Bookkeeping the run at `at` would write. */
  setTags?: Record<string, string>;
  removeTags?: string[];
}

export type Forecast =
  /** The core acts on this run. */
  | { kind: 'acts-now' }
  /** The core would act at `at` at the earliest (the first scheduled run at or after it). */
  | { kind: 'acts-later'; at: Date; action: Action; reason: ReasonCode; steps: ForecastStep[] }
  /** No later decision acts while everything but the clock stays as it is. */
  | { kind: 'holds'; steps: ForecastStep[] }
  /** Not the instance's own story: it depends on the rest of the fleet. */
  | { kind: 'depends-on-fleet'; why: string };

/** 2^22 s, about 48 days: beyond the longest MAX_JOB_DURATION_MINUTES (35 days). */
export const HORIZON_SECONDS = 2 ** 22;
/** A story of more decisions than this is not a threshold story: stop. */
const MAX_STEPS = 8;

function applyBookkeeping(instance: InstanceView, decision: Decision): InstanceView {
  if (!decision.setTags && !decision.removeTags) return instance;
  const tags: Record<string, string> = { ...instance.tags };
  for (const key of decision.removeTags ?? []) delete tags[key];
  Object.assign(tags, decision.setTags ?? {});
  return { ...instance, tags };
}

function same(a: Decision, b: Decision): boolean {
  return a.action === b.action && a.reason === b.reason;
}

function stepOf(at: Date, decision: Decision): ForecastStep {
  return {
    at,
    action: decision.action,
    reason: decision.reason,
    message: decision.message,
    ...(decision.setTags ? { setTags: decision.setTags } : {}),
    ...(decision.removeTags ? { removeTags: decision.removeTags } : {}),
  };
}

/**
 * The snapshot of this instance alone: its owner's listing cut down to the runner the
 * fleet's decision matched (a failed listing stays failed), no idle-pool windows.
 */
function alone(snapshot: Snapshot, decision: Decision): (instance: InstanceView, at: number) => Snapshot {
  const runnersByOwner = new Map<string, OwnerRunners>();
  if (decision.owner) {
    const key = ownerKey(decision.owner);
    const listing = snapshot.runnersByOwner.get(key);
    if (listing?.ok) runnersByOwner.set(key, { ...listing, runners: decision.runner ? [decision.runner] : [] });
    else if (listing) runnersByOwner.set(key, listing);
  }
  const config = { ...snapshot.config, idleConfig: [] };
  return (instance, at) => ({ ...snapshot, now: new Date(at), instances: [instance], runnersByOwner, config });
}

export function forecast(decide: Decide, snapshot: Snapshot, instance: InstanceView, current: Decision): Forecast {
  if (current.action !== 'keep') return { kind: 'acts-now' };
  const snapshotAt = alone(snapshot, current);
  const decideAt = (state: InstanceView, at: number): Decision => decide(snapshotAt(state, at))[0]!;

  const start = snapshot.now.getTime();
  const check = decideAt(instance, start);
  if (!same(check, current)) {
    const why =
      current.reason === 'idle-pool'
        ? 'kept warm by the idle pool while its IDLE_CONFIG window is active'
        : `decided ${current.reason} within the fleet but ${check.reason} on its own`;
    return { kind: 'depends-on-fleet', why };
  }

  const steps: ForecastStep[] = [];
  let state = applyBookkeeping(instance, current);
  let at = start;
  let decision = decideAt(state, at);
  for (let step = 0; step < MAX_STEPS; step++) {
    if (decision.action !== 'keep') {
      // The bookkeeping of the previous run is all it took: the next run acts.
      if (steps.length === 0 || steps[steps.length - 1]!.at.getTime() !== at) steps.push(stepOf(new Date(at), decision));
      return { kind: 'acts-later', at: new Date(at), action: decision.action, reason: decision.reason, steps };
    }
    const from = decision;
    const next = earliestChange(at, (t) => !same(decideAt(state, t), from));
    if (next === undefined) return { kind: 'holds', steps };
    decision = decideAt(state, next);
    steps.push(stepOf(new Date(next), decision));
    state = applyBookkeeping(state, decision);
    at = next;
    if (decision.action === 'keep') decision = decideAt(state, at);
  }
  return { kind: 'depends-on-fleet', why: `more than ${MAX_STEPS} changes of decision ahead` };
}

/** The first whole second after `from` (ms) at which `changed` holds, within the horizon. */
function earliestChange(from: number, changed: (at: number) => boolean): number | undefined {
  let hi = HORIZON_SECONDS;
  if (!changed(from + hi * 1000)) return undefined;
  let lo = 0;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (changed(from + mid * 1000)) hi = mid;
    else lo = mid;
  }
  return from + hi * 1000;
}
