/**
 * Scale-down's decision core: one decision per instance, first rule that applies wins
 * (docs/design.md, "Scale-down: decision core"). Pure: the snapshot in, decisions out.
 */
import type { IdleWindow } from '../config/schema';
import { hasJobEvidence, hasMalformedJobTimes, jobActivityAfter } from './evidence';
import { describeOwner, gate } from './gate';
import { activeIdleWindow, selectIdlePoolKeepers } from './idle-pool';
import { findRunner } from './match';
import { runnerOsOf } from './os';
import { TAG } from './tags';
import { isOldEnough, MINUTE_MS, parseTagTime, SECOND_MS } from './time';
import { ownerKey, type Decision, type InstanceView, type OwnerKey, type OwnerRef, type RunnerView, type Snapshot } from './types';

/** An instance that passed rules 1-9: registered, idle on GitHub, no job evidence. */
interface IdleCandidate {
  instance: InstanceView;
  owner: OwnerRef;
  runner: RunnerView;
  removeTags: string[];
}

const CONSERVATIVE = 'JOB_EVIDENCE=off, so no job hooks vouch for the machine';

/** The idle time needed before a reclaim; doubled when no job hooks back the busy flag. */
export function idleConfirmationMs(config: Snapshot['config']): number {
  return config.idleConfirmationSeconds * SECOND_MS * (config.jobEvidence === 'off' ? 2 : 1);
}

function withTags(decision: Decision, removeTags: string[], setTags?: Record<string, string>): Decision {
  return {
    ...decision,
    ...(removeTags.length > 0 ? { removeTags } : {}),
    ...(setTags ? { setTags } : {}),
  };
}

/** Rules 5-9. Either a decision, or the instance is an idle candidate for rules 10-14. */
function decideBeforePool(
  instance: InstanceView,
  snapshot: Snapshot,
  owner: OwnerRef,
  runners: RunnerView[],
): Decision | IdleCandidate {
  const { tags } = instance;
  const { config, now } = snapshot;
  const base = { instanceId: instance.id, owner };
  const runner = findRunner(instance, runners);
  const removeTags: string[] = [];
  const dropIdleSince = () => (tags[TAG.idleSince] !== undefined ? [...removeTags, TAG.idleSince] : removeTags);

  if (tags[TAG.drainingSince] !== undefined) {
    if (!runner) {
      return {
        ...base,
        action: 'keep',
        reason: 'draining',
        message: `Kept: ${TAG.drainingSince} is set and the runner is gone; orphan-cleanup finishes it.`,
      };
    }
    // The runner is still listed, so the DELETE never happened: forget the mark.
    removeTags.push(TAG.drainingSince);
  }
  if (!runner) {
    return withTags(
      {
        ...base,
        action: 'keep',
        reason: 'not-registered',
        message: `Kept: no runner of ${describeOwner(owner)} matches it; orphan-cleanup judges it.`,
      },
      dropIdleSince(),
    );
  }
  const known = { ...base, runner };
  if (hasJobEvidence(tags)) {
    const mode = config.jobEvidence === 'off' ? ' (honoured although JOB_EVIDENCE=off)' : '';
    return withTags(
      { ...known, action: 'keep', reason: 'job-evidence', message: `Kept: ${TAG.job}=${tags[TAG.job]} says a job runs${mode}.` },
      dropIdleSince(),
    );
  }
  if (runner.busy) {
    return withTags(
      { ...known, action: 'keep', reason: 'busy-on-github', message: `Kept: GitHub says runner ${runner.name} is busy.` },
      dropIdleSince(),
    );
  }
  const minimumMinutes = config.minimumRunningTimeMinutes[runnerOsOf(instance, runner)];
  if (!isOldEnough(instance.launchTime, now, minimumMinutes * MINUTE_MS)) {
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'minimum-running-time',
        message: `Kept: launched less than ${minimumMinutes} minutes ago.`,
      },
      removeTags,
    );
  }
  return { instance, owner, runner, removeTags };
}

/** Rules 11-14 for an idle candidate outside the pool. */
function decideIdle(candidate: IdleCandidate, snapshot: Snapshot): Decision {
  const { instance, owner, runner, removeTags } = candidate;
  const { tags } = instance;
  const { config, now } = snapshot;
  const known = { instanceId: instance.id, owner, runner };
  const nowIso = now.toISOString();
  const idleSince = parseTagTime(tags[TAG.idleSince]);

  if (!idleSince) {
    const what = tags[TAG.idleSince] === undefined ? 'First' : `${TAG.idleSince} is unreadable, so this is a first`;
    return withTags(
      { ...known, action: 'keep', reason: 'idle-first-sighting', message: `Kept: ${what} idle sighting; marking ${TAG.idleSince}.` },
      removeTags,
      { [TAG.idleSince]: nowIso },
    );
  }
  if (hasMalformedJobTimes(tags)) {
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'malformed-tags',
        message: `Kept: ${TAG.jobStartedAt}/${TAG.lastJobCompletedAt} do not hold a time, so a recent job cannot be ruled out.`,
      },
      removeTags,
    );
  }
  if (jobActivityAfter(tags, idleSince)) {
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'job-since-idle-sighting',
        message: `Kept: a job started or completed after the idle sighting at ${idleSince.toISOString()}; restarting the idle clock.`,
      },
      removeTags,
      { [TAG.idleSince]: nowIso },
    );
  }
  const confirmationMs = idleConfirmationMs(config);
  if (!isOldEnough(idleSince, now, confirmationMs)) {
    const mode = config.jobEvidence === 'off' ? ` (doubled: ${CONSERVATIVE})` : '';
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'idle-not-confirmed',
        message: `Kept: idle since ${idleSince.toISOString()}, not yet ${confirmationMs / SECOND_MS} s${mode}.`,
      },
      removeTags,
    );
  }
  // No bookkeeping on a reclaim: the executor writes its own draining mark (step b).
  return {
    ...known,
    action: 'reclaim',
    reason: 'idle-confirmed',
    message: `Reclaim: runner ${runner.name} idle since ${idleSince.toISOString()}, at least ${confirmationMs / SECOND_MS} s.`,
  };
}

function keepInPool(candidate: IdleCandidate, window: IdleWindow): Decision {
  const { instance, owner, runner, removeTags } = candidate;
  return withTags(
    {
      instanceId: instance.id,
      owner,
      runner,
      action: 'keep',
      reason: 'idle-pool',
      message: `Kept: one of ${window.idleCount} idle runners of ${describeOwner(owner)} kept warm (${window.cron} ${window.timeZone}, ${window.evictionStrategy}).`,
    },
    removeTags,
  );
}

export function decideScaleDown(snapshot: Snapshot): Decision[] {
  const decided = new Map<string, Decision>();
  const candidatesByOwner = new Map<OwnerKey, IdleCandidate[]>();

  for (const instance of snapshot.instances) {
    const gated = gate(instance, snapshot);
    if (!gated.passed) {
      decided.set(instance.id, gated.decision);
      continue;
    }
    const outcome = decideBeforePool(instance, snapshot, gated.owner, gated.runners);
    if ('action' in outcome) {
      decided.set(instance.id, outcome);
      continue;
    }
    const key = ownerKey(gated.owner);
    candidatesByOwner.set(key, [...(candidatesByOwner.get(key) ?? []), outcome]);
  }

  // Rule 10, per owner: only idle candidates count, so busy runners never fill the pool.
  const window = activeIdleWindow(snapshot.config.idleConfig, snapshot.now);
  for (const candidates of candidatesByOwner.values()) {
    const keepers = window
      ? selectIdlePoolKeepers(
          candidates.map((c) => c.instance),
          window.idleCount,
          window.evictionStrategy,
        )
      : new Set<string>();
    for (const candidate of candidates) {
      const pooled = window && keepers.has(candidate.instance.id);
      decided.set(
        candidate.instance.id,
        pooled ? keepInPool(candidate, window) : decideIdle(candidate, snapshot),
      );
    }
  }

  return snapshot.instances.map((instance) => decided.get(instance.id)!);
}
