/**
 * Orphan-cleanup's decision core: instances running without a GitHub registration,
 * first rule that applies wins (docs/design.md, "Orphan-cleanup: decision core"). Every
 * decision past the gate says which machine evidence it rests on and its environment.
 *
 * Orphan bookkeeping lives under our own key, `ghr:reaper-orphan-since`: the
 * github-aws-runners scale-down terminates anything tagged `ghr:orphan=true`, so the
 * reaper never writes that tag, and it removes the pair 0.1.0 wrote (`ghr:orphan=true` +
 * `ghr:orphan-since`), carrying the time over (issue 9, point 5).
 */
import type { Config } from '../config/schema';
import { terminationRetryAt } from './backoff';
import { evidenceOf, hasJobEvidence, hasMalformedJobTimes, hookTagsOf, jobActivityAfter, jobStartOf, probeReaches } from './evidence';
import { describeOwner, gate } from './gate';
import { runnerMatcher } from './match';
import { TAG } from './tags';
import { isOldEnough, MINUTE_MS, SECOND_MS, tagTimeAt } from './time';
import type { Decision, HeldSummary, InstanceView, Snapshot } from './types';

const NO_EVIDENCE = 'no machine evidence: an unlisted runner may still be running its job';

type RunnerMatch = ReturnType<typeof runnerMatcher>;

/**
 * How long an instance without a registration and without machine evidence is held:
 * UNREGISTERED_HOLD_MINUTES, never longer than MAX_JOB_DURATION_MINUTES (the default).
 */
export function unregisteredHoldMs(config: Config): number {
  const max = config.maxJobDurationMinutes;
  return Math.min(config.unregisteredHold?.maxMinutes ?? max, max) * MINUTE_MS;
}

/** A hold shorter than MAX_JOB_DURATION_MINUTES trades safety for capacity: its decisions say so by their reason. */
function holdIsShortened(config: Config): boolean {
  return unregisteredHoldMs(config) < config.maxJobDurationMinutes * MINUTE_MS;
}

/** The orphan mark, and the tag changes that move 0.1.0's marks to our own key. */
interface OrphanMarks {
  since: Date | undefined;
  set: Record<string, string>;
  remove: string[];
}

function orphanMarks(tags: InstanceView['tags'], now: Date): OrphanMarks {
  const reaper = tags[TAG.reaperOrphanSince];
  const legacy = tags[TAG.legacyOrphanSince];
  const remove: string[] = [];
  const set: Record<string, string> = {};
  if (legacy !== undefined) {
    // github-aws-runners writes ghr:orphan alone, never ghr:orphan-since: with it, the pair is ours.
    remove.push(TAG.legacyOrphanSince);
    if (tags[TAG.orphan] !== undefined) remove.push(TAG.orphan);
  }
  if (reaper !== undefined) return { since: tagTimeAt(reaper, now), set, remove };
  const carried = tagTimeAt(legacy, now);
  if (carried && legacy !== undefined) set[TAG.reaperOrphanSince] = legacy;
  return { since: carried, set, remove };
}

/** Adds the migration of 0.1.0's marks to a keep decision (a terminate decision needs no bookkeeping). */
function withMarks(decision: Decision, marks: OrphanMarks): Decision {
  if (decision.action !== 'keep') return decision;
  const removeTags = [...new Set([...(decision.removeTags ?? []), ...marks.remove])].filter((key) => !(key in (decision.setTags ?? {})));
  const setTags = { ...marks.set, ...(decision.setTags ?? {}) };
  const { removeTags: _r, setTags: _s, ...rest } = decision;
  return {
    ...rest,
    ...(removeTags.length > 0 ? { removeTags } : {}),
    ...(Object.keys(setTags).length > 0 ? { setTags } : {}),
  };
}

/**
 * Rule 4: the hooks say a job runs. Only a job older than MAX_JOB_DURATION_MINUTES is cut
 * short. Its start is `ghr:job-started-at`; when that is absent or unreadable, the first
 * time the reaper saw the instance unregistered (`ghr:draining-since`, `ghr:reaper-orphan-since`)
 * bounds it: an instance without a registration takes no new job (issue 10, point 9).
 */
function decideJobEvidence(instance: InstanceView, snapshot: Snapshot, base: Partial<Decision>, marks: OrphanMarks): Decision {
  const { tags } = instance;
  const { config, now } = snapshot;
  const maxMs = config.maxJobDurationMinutes * MINUTE_MS;
  const job = `${TAG.job}=${tags[TAG.job]}`;
  const started = jobStartOf(tags, now);
  // Start the bound at the first sighting (or replace an unreadable mark).
  const startMark = marks.since ? {} : { setTags: { [TAG.reaperOrphanSince]: now.toISOString() } };
  const terminate = (message: string): Decision =>
    ({ ...base, action: 'terminate', reason: 'max-job-duration-exceeded', message, hookTags: hookTagsOf(tags) }) as Decision;
  if (started) {
    if (isOldEnough(started, now, maxMs)) {
      return terminate(`Terminate: ${job} since ${started.toISOString()} (${TAG.jobStartedAt}) exceeds ${config.maxJobDurationMinutes} minutes.`);
    }
    return { ...base, action: 'keep', reason: 'job-evidence', message: `Kept: ${job} says a job runs (started ${started.toISOString()}).`, ...startMark } as Decision;
  }
  const bounds: { key: string; at: Date }[] = [];
  const draining = tagTimeAt(tags[TAG.drainingSince], now);
  if (draining) bounds.push({ key: TAG.drainingSince, at: draining });
  if (marks.since) bounds.push({ key: TAG.reaperOrphanSince, at: marks.since });
  const earliest = bounds.sort((a, b) => a.at.getTime() - b.at.getTime())[0];
  if (earliest && isOldEnough(earliest.at, now, maxMs)) {
    return terminate(
      `Terminate: ${job} of unknown start (${TAG.jobStartedAt} absent or unreadable), without a registration since ${earliest.at.toISOString()} (${earliest.key}), more than ${config.maxJobDurationMinutes} minutes.`,
    );
  }
  const bound = earliest ? `without a registration since ${earliest.at.toISOString()}` : 'first seen without a registration now';
  return {
    ...base,
    action: 'keep',
    reason: 'job-evidence',
    message: `Kept: ${job} says a job runs, of unknown start; ${bound}, bounded by ${config.maxJobDurationMinutes} minutes.`,
    ...startMark,
  } as Decision;
}

function decideOne(instance: InstanceView, snapshot: Snapshot, match: RunnerMatch): Decision {
  const gated = gate(instance, snapshot);
  if (!gated.passed) return gated.decision;
  const { owner, runners, environment } = gated;
  const { tags } = instance;
  const { config, now } = snapshot;
  const evidence = evidenceOf(instance, snapshot);
  const base = { instanceId: instance.id, owner, environment, evidence };
  const nowIso = now.toISOString();
  const maxMs = config.maxJobDurationMinutes * MINUTE_MS;
  const holdMs = unregisteredHoldMs(config);
  const holdMinutes = holdMs / MINUTE_MS;
  const marks = orphanMarks(tags, now);
  const act = (decision: Omit<Decision, 'instanceId' | 'action' | 'hookTags'>): Decision => ({
    ...base,
    ...decision,
    action: 'terminate',
    hookTags: hookTagsOf(tags),
  });

  const runner = match(instance, runners);
  if (runner) {
    const stale = [...(tags[TAG.reaperOrphanSince] !== undefined ? [TAG.reaperOrphanSince] : []), ...marks.remove];
    return {
      ...base,
      runner,
      action: 'keep',
      reason: 'registered',
      message: `Kept: registered as runner ${runner.name} of ${describeOwner(owner)}.`,
      ...(stale.length > 0 ? { removeTags: stale } : {}),
    };
  }
  const retryAt = terminationRetryAt(tags, now);
  if (retryAt) {
    return withMarks(
      {
        ...base,
        action: 'keep',
        reason: 'termination-refused',
        message: `Kept: EC2 refused to terminate it at ${tags[TAG.terminationRefusedAt]} (termination protection or IAM); next try after ${retryAt.toISOString()}.`,
      },
      marks,
    );
  }
  if (hasJobEvidence(tags)) return withMarks(decideJobEvidence(instance, snapshot, base, marks), marks);

  const malformed = hasMalformedJobTimes(tags, now);
  const confirmationMs = config.idleConfirmationSeconds * SECOND_MS;
  // Hooks where the probe reaches too: the job-started hook runs only after a job's set-up,
  // so an ephemeral runner that has just taken a job (and left GitHub's list) can be
  // tag-less after the settle; its Worker process is not. Without the probe's answer, the
  // hooks alone decide once a second sighting, with no job since the first, has been made:
  // a whole run later, when nearly any job's set-up has ended and tagged it.
  const probeAlso = evidence === 'hooks' && probeReaches(instance, snapshot);
  const secondSighting = (since: Date | undefined): boolean =>
    since !== undefined && isOldEnough(since, now, confirmationMs) && !jobActivityAfter(tags, since, now);
  const drainingSince = tagTimeAt(tags[TAG.drainingSince], now);
  // An unreadable draining mark is ignored: the instance then goes the slower orphan way.
  if (drainingSince) {
    if (evidence === 'hooks' && probeAlso) {
      return act({
        reason: 'drained',
        message: `Terminate: deregistered by scale-down at ${drainingSince.toISOString()} and no job hook tag is set; the probe is asked too, after the settle (hooks).`,
        probeToo: true,
        ...(secondSighting(drainingSince) ? { probeOptional: true } : {}),
      });
    }
    if (evidence !== 'none') {
      const how = evidence === 'hooks' ? 'no job hook tag is set' : 'the probe is asked after the settle';
      return act({
        reason: 'drained',
        message: `Terminate: deregistered by scale-down at ${drainingSince.toISOString()} and ${how} (${evidence}).`,
        ...(evidence === 'probe' && isOldEnough(drainingSince, now, maxMs) ? { probeOptional: true } : {}),
      });
    }
    if (isOldEnough(drainingSince, now, holdMs)) {
      return holdIsShortened(config)
        ? act({
            reason: 'unregistered-hold-exceeded',
            message: `Terminate: deregistered at ${drainingSince.toISOString()}, held without machine evidence longer than UNREGISTERED_HOLD_MINUTES=${holdMinutes} (below MAX_JOB_DURATION_MINUTES=${config.maxJobDurationMinutes}: an operator's choice; a job may still run).`,
          })
        : act({
            reason: 'drained',
            message: `Terminate: deregistered by scale-down at ${drainingSince.toISOString()}, more than ${holdMinutes} minutes ago (${NO_EVIDENCE}).`,
          });
    }
    return withMarks(
      {
        ...base,
        action: 'keep',
        reason: 'waiting-max-job-duration',
        message: `Kept: deregistered at ${drainingSince.toISOString()}; holding it ${holdMinutes} minutes (${NO_EVIDENCE}).`,
        heldSince: drainingSince.toISOString(),
      },
      marks,
    );
  }

  if (!isOldEnough(instance.launchTime, now, config.runnerBootTimeMinutes * MINUTE_MS)) {
    return withMarks(
      {
        ...base,
        action: 'keep',
        reason: 'booting',
        message: `Kept: launched less than ${config.runnerBootTimeMinutes} minutes ago; the runner may still be registering.`,
      },
      marks,
    );
  }

  // Issue 11, point 2: without a registration no new job can come, and the machine's own
  // word after the settle (no ghr:job, or no Worker for the probe) with a fresh listing
  // confirms the rest: machine evidence needs no second sighting.
  if (evidence === 'hooks' && probeAlso) {
    return act({
      reason: 'orphan-confirmed',
      message: 'Terminate: running without a registration and its job hooks report no job; the probe is asked too, after the settle (hooks).',
      probeToo: true,
      ...(marks.since ? {} : { setTags: { [TAG.reaperOrphanSince]: nowIso } }),
      ...(secondSighting(marks.since) ? { probeOptional: true } : {}),
    });
  }
  if (evidence === 'hooks') {
    return act({ reason: 'orphan-confirmed', message: 'Terminate: running without a registration and its job hooks report no job (hooks).' });
  }
  if (evidence === 'probe') {
    // The orphan mark is kept too, so that a probe that keeps failing to answer does not
    // hold the instance for ever: after MAX_JOB_DURATION_MINUTES without a registration, a
    // missing answer no longer keeps it (a busy answer always does).
    return act({
      reason: 'orphan-confirmed',
      message: 'Terminate: running without a registration; the probe is asked after the settle (probe).',
      ...(marks.since ? {} : { setTags: { [TAG.reaperOrphanSince]: nowIso } }),
      ...(isOldEnough(marks.since, now, maxMs) ? { probeOptional: true } : {}),
    });
  }

  const orphanSince = marks.since;
  if (!orphanSince) {
    const what = tags[TAG.reaperOrphanSince] === undefined ? 'First' : `${TAG.reaperOrphanSince} is unreadable, so this is a first`;
    return withMarks(
      {
        ...base,
        action: 'keep',
        reason: 'orphan-first-sighting',
        message: `Kept: ${what} sighting without a registration; marking ${TAG.reaperOrphanSince}.`,
        setTags: { [TAG.reaperOrphanSince]: nowIso },
      },
      marks,
    );
  }
  if (malformed && !isOldEnough(orphanSince, now, maxMs)) {
    return withMarks(
      {
        ...base,
        action: 'keep',
        reason: 'malformed-tags',
        message: `Kept: ${TAG.jobStartedAt}/${TAG.lastJobCompletedAt} do not hold a readable time, so a recent job cannot be ruled out until it has been unregistered ${config.maxJobDurationMinutes} minutes (since ${orphanSince.toISOString()}).`,
      },
      marks,
    );
  }
  if (jobActivityAfter(tags, orphanSince, now, malformed ? 'ignore' : 'activity')) {
    return withMarks(
      {
        ...base,
        action: 'keep',
        reason: 'job-since-idle-sighting',
        message: `Kept: a job started or completed after the orphan sighting at ${orphanSince.toISOString()}; restarting the clock.`,
        setTags: { [TAG.reaperOrphanSince]: nowIso },
      },
      marks,
    );
  }
  if (!isOldEnough(orphanSince, now, confirmationMs)) {
    return withMarks(
      {
        ...base,
        action: 'keep',
        reason: 'orphan-not-confirmed',
        message: `Kept: unregistered since ${orphanSince.toISOString()}, not yet ${config.idleConfirmationSeconds} s.`,
      },
      marks,
    );
  }
  if (evidence === 'none') {
    if (!isOldEnough(orphanSince, now, holdMs)) {
      return withMarks(
        {
          ...base,
          action: 'keep',
          reason: 'waiting-max-job-duration',
          message: `Kept: unregistered since ${orphanSince.toISOString()}; holding it ${holdMinutes} minutes (${NO_EVIDENCE}).`,
          heldSince: orphanSince.toISOString(),
        },
        marks,
      );
    }
    if (holdIsShortened(config)) {
      return act({
        reason: 'unregistered-hold-exceeded',
        message: `Terminate: unregistered since ${orphanSince.toISOString()}, held without machine evidence longer than UNREGISTERED_HOLD_MINUTES=${holdMinutes} (below MAX_JOB_DURATION_MINUTES=${config.maxJobDurationMinutes}: an operator's choice; a job may still run).`,
      });
    }
  }
  return act({
    reason: 'orphan-confirmed',
    message: `Terminate: running without a registration since ${orphanSince.toISOString()}${evidence === 'none' ? `, longer than ${holdMinutes} minutes` : ` (${evidence})`}.`,
  });
}

/**
 * UNREGISTERED_HOLD_MAX_INSTANCES: when more instances are held than the limit, the
 * longest-held beyond it are terminated, each with its own reason. Off (0) by default: it
 * trades safety for capacity, so only an operator turns it on (issue 9, point 7).
 */
function applyHoldLimit(decisions: Decision[], config: Config): Decision[] {
  const limit = config.unregisteredHold?.maxInstances ?? 0;
  if (limit <= 0) return decisions;
  const held = decisions
    .map((d, index) => ({ d, index }))
    .filter(({ d }) => d.action === 'keep' && d.heldSince !== undefined)
    .sort((a, b) => Date.parse(a.d.heldSince!) - Date.parse(b.d.heldSince!) || a.d.instanceId.localeCompare(b.d.instanceId));
  const over = held.length - limit;
  if (over <= 0) return decisions;
  const result = [...decisions];
  for (const { d, index } of held.slice(0, over)) {
    const { heldSince, setTags: _s, removeTags: _r, ...rest } = d;
    result[index] = {
      ...rest,
      action: 'terminate',
      reason: 'unregistered-hold-limit',
      message: `Terminate: ${held.length} instances are held without a registration or machine evidence, more than UNREGISTERED_HOLD_MAX_INSTANCES=${limit}; this one, held since ${heldSince}, is among the longest held (an operator's choice; a job may still run).`,
    };
  }
  return result;
}

export function decideOrphans(snapshot: Snapshot): Decision[] {
  // Each owner's listing is indexed once for the run: matching is O(1) per instance.
  const match = runnerMatcher();
  return applyHoldLimit(
    snapshot.instances.map((instance) => decideOne(instance, snapshot, match)),
    snapshot.config,
  );
}

/** How many instances these decisions hold without a registration and without machine evidence, and the longest hold. */
export function heldSummary(decisions: readonly Decision[], now: Date): HeldSummary {
  const since = decisions
    .filter((d) => d.action === 'keep' && d.heldSince !== undefined)
    .map((d) => Date.parse(d.heldSince!))
    .filter((t) => Number.isFinite(t));
  if (since.length === 0) return { count: 0 };
  const oldest = Math.min(...since);
  return {
    count: since.length,
    oldestSince: new Date(oldest).toISOString(),
    oldestAgeSeconds: Math.max(0, Math.round((now.getTime() - oldest) / SECOND_MS)),
  };
}
