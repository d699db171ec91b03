/**
 * What a run would do next, if nothing but the clock changes. A real run (a dry run too)
 * writes bookkeeping tags (a first idle sighting, a first orphan sighting) and, where no
 * machine evidence backs the instance, acts on a later run; the plan writes nothing, so
 * it replays that story on a copy of the instance with the decision core itself as the
 * only model of the rules:
 *
 * 1. apply the bookkeeping the current decision asks for (what a run now would write);
 * 2. find the earliest later time at which the core decides differently (the rules are
 *    age thresholds, so "decides differently from now" flips once; a binary search over
 *    whole seconds finds it);
 * 3. repeat from there until the core acts, or nothing changes within the horizon.
 *
 * With machine evidence the core acts on the first sighting, so most such stories are
 * `acts-now`, or one threshold ahead (the minimum running time, the boot time, a back-off).
 * Where the action rests on the probe, the executor asks the probe first: the forecast
 * also says from when a probe that gives no answer no longer holds the action back (the
 * decision's `probeOptional`), found the same way.
 *
 * The replay looks at the instance alone, with its own runner and without idle-pool
 * windows: a pool can only keep an instance longer, so the times are "at the earliest".
 * The plan checks that the instance alone is decided as it was within the fleet; where it
 * is not (the idle pool, any rule that weighs the rest of the fleet) it says so instead of
 * guessing. One fleet rule can act sooner: UNREGISTERED_HOLD_MAX_INSTANCES terminates the
 * longest held beyond its limit, so a story that passes through such a hold says so.
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

/**
 * On an action that rests on the probe: the executor asks the probe before it acts, and a
 * busy answer always keeps. A probe that gives no answer keeps too, unless the core would
 * take the same action without machine evidence (`Decision.probeOptional`).
 */
export interface ProbeCondition {
  /** The acting run goes on without an answer (only a busy one keeps). */
  withoutAnswer: boolean;
  /**
   * From when a run would go on without an answer (runs after the acting one, where it
   * starts the clock itself); absent when that does not happen within the horizon.
   */
  withoutAnswerFrom?: Date;
}

/** Why the action may come sooner than the forecast says, when a fleet-wide rule can bring it forward. */
export type Sooner = 'unregistered-hold-limit';

export type Forecast =
  /** The core acts on this run. */
  | { kind: 'acts-now'; probe?: ProbeCondition }
  /** The core would act at `at` at the earliest (the first scheduled run at or after it). */
  | { kind: 'acts-later'; at: Date; action: Action; reason: ReasonCode; steps: ForecastStep[]; probe?: ProbeCondition; sooner?: Sooner }
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
  const snapshotAt = alone(snapshot, current);
  const decideAt = (state: InstanceView, at: number): Decision => decide(snapshotAt(state, at))[0]!;
  const start = snapshot.now.getTime();
  if (current.action !== 'keep') {
    const probe = probeCondition(current, applyBookkeeping(instance, current), start, decideAt);
    return { kind: 'acts-now', ...(probe ? { probe } : {}) };
  }

  const check = decideAt(instance, start);
  if (!same(check, current)) {
    const why =
      current.reason === 'idle-pool'
        ? 'kept warm by the idle pool while its IDLE_CONFIG window is active'
        : `decided ${current.reason} within the fleet but ${check.reason} on its own`;
    return { kind: 'depends-on-fleet', why };
  }

  // The hold limit weighs the whole fleet: a story through such a hold may end sooner.
  const holdLimit = (snapshot.config.unregisteredHold?.maxInstances ?? 0) > 0;
  let held = current.heldSince !== undefined;
  const steps: ForecastStep[] = [];
  let state = applyBookkeeping(instance, current);
  let at = start;
  let decision = decideAt(state, at);
  for (let step = 0; step < MAX_STEPS; step++) {
    held ||= decision.heldSince !== undefined;
    if (decision.action !== 'keep') {
      // The bookkeeping of the previous run is all it took: the next run acts.
      if (steps.length === 0 || steps[steps.length - 1]!.at.getTime() !== at) steps.push(stepOf(new Date(at), decision));
      const probe = probeCondition(decision, applyBookkeeping(state, decision), at, decideAt);
      return {
        kind: 'acts-later',
        at: new Date(at),
        action: decision.action,
        reason: decision.reason,
        steps,
        ...(probe ? { probe } : {}),
        ...(held && holdLimit ? { sooner: 'unregistered-hold-limit' as const } : {}),
      };
    }
    const from = decision;
    const next = earliestChange(at, (t) => !same(decideAt(state, t), from));
    if (next === undefined) return { kind: 'holds', steps };
    decision = decideAt(state, next);
    steps.push(stepOf(new Date(next), decision));
    state = applyBookkeeping(state, decision);
    at = next;
    if (decision.action === 'keep') {
      held ||= decision.heldSince !== undefined;
      decision = decideAt(state, at);
    }
  }
  return { kind: 'depends-on-fleet', why: `more than ${MAX_STEPS} changes of decision ahead` };
}

/**
 * For an action resting on the probe: from when the core would take it without a probe
 * answer. `state` carries the bookkeeping of the acting run (the probe path keeps its
 * own clocks, `ghr:idle-since` or `ghr:reaper-orphan-since`, for exactly this).
 */
function probeCondition(
  acting: Decision,
  state: InstanceView,
  at: number,
  decideAt: (state: InstanceView, at: number) => Decision,
): ProbeCondition | undefined {
  if (acting.evidence !== 'probe') return undefined;
  const acceptsNoAnswer = (t: number) => {
    const later = decideAt(state, t);
    return later.action === acting.action && later.probeOptional === true;
  };
  if (acting.probeOptional) return { withoutAnswer: true, withoutAnswerFrom: new Date(at) };
  // Once this run's own bookkeeping (the clock it starts) is written, the very next run may be enough.
  if (acceptsNoAnswer(at)) return { withoutAnswer: false, withoutAnswerFrom: new Date(at) };
  const from = earliestChange(at, acceptsNoAnswer);
  return { withoutAnswer: false, ...(from === undefined ? {} : { withoutAnswerFrom: new Date(from) }) };
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
