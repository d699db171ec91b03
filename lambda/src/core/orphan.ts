/**
 * Orphan-cleanup's decision core: instances running without a GitHub registration,
 * first rule that applies wins (docs/design.md, "Orphan-cleanup: decision core").
 */
import { hasJobEvidence, hasMalformedJobTimes, jobActivityAfter } from './evidence';
import { describeOwner, gate } from './gate';
import { findRunner } from './match';
import { TAG } from './tags';
import { isOldEnough, MINUTE_MS, parseTagTime, SECOND_MS } from './time';
import type { Decision, InstanceView, OwnerRef, Snapshot } from './types';

const CONSERVATIVE = 'JOB_EVIDENCE=off, so an unlisted runner may still be running its job';

function present(tags: InstanceView['tags'], keys: string[]): string[] {
  return keys.filter((key) => tags[key] !== undefined);
}

/** Rule 3: the hooks say a job runs. Only a job older than the maximum is cut short. */
function decideJobEvidence(instance: InstanceView, snapshot: Snapshot, owner: OwnerRef): Decision {
  const { tags } = instance;
  const { config, now } = snapshot;
  const base = { instanceId: instance.id, owner };
  const maxMs = config.maxJobDurationMinutes * MINUTE_MS;
  // job-started-at is the job's own clock; draining-since stands in only when it is absent
  // (a malformed job-started-at does not fall back: its age is unknown, so keep).
  const startedKey = tags[TAG.jobStartedAt] !== undefined ? TAG.jobStartedAt : TAG.drainingSince;
  const started = parseTagTime(tags[startedKey]);
  if (isOldEnough(started, now, maxMs)) {
    return {
      ...base,
      action: 'terminate',
      reason: 'max-job-duration-exceeded',
      message: `Terminate: ${TAG.job}=${tags[TAG.job]} since ${started!.toISOString()} (${startedKey}) exceeds ${config.maxJobDurationMinutes} minutes.`,
    };
  }
  const age = started ? `started ${started.toISOString()}` : 'of unknown age';
  return {
    ...base,
    action: 'keep',
    reason: 'job-evidence',
    message: `Kept: ${TAG.job}=${tags[TAG.job]} says a job runs (${age}).`,
  };
}

function decideOne(instance: InstanceView, snapshot: Snapshot): Decision {
  const gated = gate(instance, snapshot);
  if (!gated.passed) return gated.decision;
  const { owner, runners } = gated;
  const { tags } = instance;
  const { config, now } = snapshot;
  const base = { instanceId: instance.id, owner };
  const nowIso = now.toISOString();
  const maxMs = config.maxJobDurationMinutes * MINUTE_MS;

  const runner = findRunner(instance, runners);
  if (runner) {
    const stale = present(tags, [TAG.orphan, TAG.orphanSince]);
    return {
      ...base,
      runner,
      action: 'keep',
      reason: 'registered',
      message: `Kept: registered as runner ${runner.name} of ${describeOwner(owner)}.`,
      ...(stale.length > 0 ? { removeTags: stale } : {}),
    };
  }
  if (hasJobEvidence(tags)) return decideJobEvidence(instance, snapshot, owner);

  const drainingSince = parseTagTime(tags[TAG.drainingSince]);
  // An unreadable draining mark is ignored: the instance then goes the slower orphan way.
  if (drainingSince) {
    if (config.jobEvidence === 'hooks') {
      return {
        ...base,
        action: 'terminate',
        reason: 'drained',
        message: `Terminate: deregistered by scale-down at ${drainingSince.toISOString()} and no job hook tag is set.`,
      };
    }
    if (isOldEnough(drainingSince, now, maxMs)) {
      return {
        ...base,
        action: 'terminate',
        reason: 'drained',
        message: `Terminate: deregistered by scale-down at ${drainingSince.toISOString()}, more than ${config.maxJobDurationMinutes} minutes ago (${CONSERVATIVE}).`,
      };
    }
    return {
      ...base,
      action: 'keep',
      reason: 'waiting-max-job-duration',
      message: `Kept: deregistered at ${drainingSince.toISOString()}; waiting ${config.maxJobDurationMinutes} minutes (${CONSERVATIVE}).`,
    };
  }

  if (!isOldEnough(instance.launchTime, now, config.runnerBootTimeMinutes * MINUTE_MS)) {
    return {
      ...base,
      action: 'keep',
      reason: 'booting',
      message: `Kept: launched less than ${config.runnerBootTimeMinutes} minutes ago; the runner may still be registering.`,
    };
  }

  const orphanSince = parseTagTime(tags[TAG.orphanSince]);
  if (!orphanSince) {
    const what = tags[TAG.orphanSince] === undefined ? 'First' : `${TAG.orphanSince} is unreadable, so this is a first`;
    return {
      ...base,
      action: 'keep',
      reason: 'orphan-first-sighting',
      message: `Kept: ${what} sighting without a registration; marking ${TAG.orphanSince}.`,
      setTags: { [TAG.orphan]: 'true', [TAG.orphanSince]: nowIso },
    };
  }
  if (hasMalformedJobTimes(tags)) {
    return {
      ...base,
      action: 'keep',
      reason: 'malformed-tags',
      message: `Kept: ${TAG.jobStartedAt}/${TAG.lastJobCompletedAt} do not hold a time, so a recent job cannot be ruled out.`,
    };
  }
  if (jobActivityAfter(tags, orphanSince)) {
    return {
      ...base,
      action: 'keep',
      reason: 'job-since-idle-sighting',
      message: `Kept: a job started or completed after the orphan sighting at ${orphanSince.toISOString()}; restarting the clock.`,
      setTags: { [TAG.orphan]: 'true', [TAG.orphanSince]: nowIso },
    };
  }
  const confirmationMs = config.idleConfirmationSeconds * SECOND_MS;
  if (!isOldEnough(orphanSince, now, confirmationMs)) {
    return {
      ...base,
      action: 'keep',
      reason: 'orphan-not-confirmed',
      message: `Kept: unregistered since ${orphanSince.toISOString()}, not yet ${config.idleConfirmationSeconds} s.`,
    };
  }
  if (config.jobEvidence === 'off' && !isOldEnough(orphanSince, now, maxMs)) {
    return {
      ...base,
      action: 'keep',
      reason: 'waiting-max-job-duration',
      message: `Kept: unregistered since ${orphanSince.toISOString()}; waiting ${config.maxJobDurationMinutes} minutes (${CONSERVATIVE}).`,
    };
  }
  return {
    ...base,
    action: 'terminate',
    reason: 'orphan-confirmed',
    message: `Terminate: running without a registration since ${orphanSince.toISOString()}${config.jobEvidence === 'off' ? `, longer than ${config.maxJobDurationMinutes} minutes` : ''}.`,
  };
}

export function decideOrphans(snapshot: Snapshot): Decision[] {
  return snapshot.instances.map((instance) => decideOne(instance, snapshot));
}
