/**
 * Scale-down's decision core: one decision per instance, first rule that applies wins
 * (docs/design.md, "Scale-down: decision core"). Pure: the snapshot in, decisions out.
 * Every decision past the gate says which machine evidence it rests on (`evidence`) and
 * which environment the instance belongs to.
 */
import type { Config, IdleWindow } from '../config/schema';
import { deleteBackoffUntil, deleteFailuresOf, terminationRetryAt } from './backoff';
import {
  evidenceOf,
  evidenceWithoutHooks,
  hasJobEvidence,
  hasMalformedJobTimes,
  hookTagsOf,
  jobActivityAfter,
  jobStartOf,
  probeReaches,
} from './evidence';
import { describeOwner, gate } from './gate';
import { activeIdleWindow, selectIdlePoolKeepers } from './idle-pool';
import { runnerMatcher } from './match';
import { runnerOsOf } from './os';
import { TAG } from './tags';
import { isOldEnough, MINUTE_MS, SECOND_MS, tagTimeAt } from './time';
import {
  ownerKey,
  type Decision,
  type EvidenceSource,
  type InstanceView,
  type OwnerRef,
  type RunnerView,
  type Snapshot,
} from './types';

/** An instance that passed rules 1-10: registered, idle on GitHub, no live job evidence. */
interface IdleCandidate {
  instance: InstanceView;
  owner: OwnerRef;
  runner: RunnerView;
  environment: string;
  evidence: EvidenceSource;
  removeTags: string[];
  /** `ghr:job` is set but stale (older than MAX_JOB_DURATION_MINUTES): reclaimed with its own reason. */
  staleJob: boolean;
}

const NO_EVIDENCE = 'no machine evidence backs this instance';

/**
 * The idle time two sightings must span where the reclaim rests on GitHub's word:
 * IDLE_CONFIRMATION_SECONDS, doubled where no machine evidence backs GitHub's busy flag.
 * (With machine evidence that reads, the first sighting is enough: see decideIdle.)
 */
export function idleConfirmationMs(config: Pick<Config, 'idleConfirmationSeconds'>, evidence: EvidenceSource): number {
  return config.idleConfirmationSeconds * SECOND_MS * (evidence === 'none' ? 2 : 1);
}

function withTags(decision: Decision, removeTags: string[], setTags?: Record<string, string>): Decision {
  return {
    ...decision,
    ...(removeTags.length > 0 ? { removeTags } : {}),
    ...(setTags ? { setTags } : {}),
  };
}

type Judged = Decision | { staleJob: boolean };

/**
 * Rule 7, `ghr:job` on a registered runner. A job younger than MAX_JOB_DURATION_MINUTES
 * keeps. An older one is stale (no job runs that long: the job-completed hook never ran),
 * and the instance goes on through the idle rules with its own reason (issue 10, point 8).
 * When the job's start cannot be read, the reaper's own idle streak on GitHub is the clock:
 * `ghr:idle-since` starts at the first such sighting and is kept while GitHub calls the
 * runner idle (issue 10, point 9).
 */
function judgeJobTag(
  instance: InstanceView,
  snapshot: Snapshot,
  known: Decision,
  runner: RunnerView,
  removeTags: string[],
): Judged {
  const { tags } = instance;
  const { config, now } = snapshot;
  const maxMs = config.maxJobDurationMinutes * MINUTE_MS;
  const mode = config.jobEvidence === 'off' ? ' (honoured although JOB_EVIDENCE=off)' : '';
  const says = `${TAG.job}=${tags[TAG.job]} says a job runs${mode}`;
  const dropIdleSince = tags[TAG.idleSince] !== undefined ? [...removeTags, TAG.idleSince] : removeTags;
  const started = jobStartOf(tags, now);
  if (started) {
    if (isOldEnough(started, now, maxMs)) return { staleJob: true };
    return withTags({ ...known, action: 'keep', reason: 'job-evidence', message: `Kept: ${says}.` }, dropIdleSince);
  }
  if (runner.busy) {
    return withTags({ ...known, action: 'keep', reason: 'job-evidence', message: `Kept: ${says}; GitHub calls runner ${runner.name} busy too.` }, dropIdleSince);
  }
  const idleSince = tagTimeAt(tags[TAG.idleSince], now);
  if (!idleSince) {
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'job-evidence',
        message: `Kept: ${says}, of unknown age (${TAG.jobStartedAt} unreadable); GitHub calls it idle, so ${TAG.idleSince} starts the ${config.maxJobDurationMinutes}-minute bound.`,
      },
      removeTags,
      { [TAG.idleSince]: now.toISOString() },
    );
  }
  if (isOldEnough(idleSince, now, maxMs)) return { staleJob: true };
  return withTags(
    {
      ...known,
      action: 'keep',
      reason: 'job-evidence',
      message: `Kept: ${says}, of unknown age; GitHub has called it idle since ${idleSince.toISOString()}, less than ${config.maxJobDurationMinutes} minutes.`,
    },
    removeTags,
  );
}

/** Rules 5-10. Either a decision, or the instance is an idle candidate for rules 11 on. */
function decideBeforePool(
  instance: InstanceView,
  snapshot: Snapshot,
  owner: OwnerRef,
  runner: RunnerView | undefined,
  environment: string,
): Decision | IdleCandidate {
  const { tags } = instance;
  const { config, now } = snapshot;
  let evidence = evidenceOf(instance, snapshot);
  const base = { instanceId: instance.id, owner, environment, evidence };
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
  const known: Decision = { ...base, runner, action: 'keep', reason: 'job-evidence', message: '.' };
  let staleJob = false;
  if (hasJobEvidence(tags)) {
    const judged = judgeJobTag(instance, snapshot, known, runner, removeTags);
    if ('action' in judged) return judged;
    staleJob = judged.staleJob;
  }
  // Hooks that left a stale ghr:job behind are not reporting: no evidence from them here.
  if (staleJob && evidence === 'hooks') {
    evidence = evidenceWithoutHooks(instance, snapshot);
    known.evidence = evidence;
  }
  if (runner.busy) {
    return withTags(
      { ...known, action: 'keep', reason: 'busy-on-github', message: `Kept: GitHub says runner ${runner.name} is busy.` },
      dropIdleSince(),
    );
  }
  const retryAt = terminationRetryAt(tags, now);
  if (retryAt) {
    // Deregistering a runner whose instance EC2 will not terminate only makes an orphan.
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'termination-refused',
        message: `Kept: EC2 refused to terminate it at ${tags[TAG.terminationRefusedAt]} (termination protection or IAM); next try after ${retryAt.toISOString()}.`,
      },
      removeTags,
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
  return { instance, owner, runner, environment, evidence, removeTags, staleJob };
}

/** Rules 12 on, for an idle candidate outside the pool. */
function decideIdle(candidate: IdleCandidate, snapshot: Snapshot): Decision {
  const { instance, owner, runner, removeTags, evidence, environment, staleJob } = candidate;
  const { tags } = instance;
  const { config, now } = snapshot;
  const known = { instanceId: instance.id, owner, runner, environment, evidence };
  const nowIso = now.toISOString();

  const backoffUntil = deleteBackoffUntil(tags, now);
  if (backoffUntil) {
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'delete-backoff',
        message: `Kept: ${deleteFailuresOf(tags)} DELETE(s) of runner ${runner.name} failed, the last at ${tags[TAG.deleteFailedAt]}; next try after ${backoffUntil.toISOString()}.`,
      },
      removeTags,
    );
  }

  const failures = deleteFailuresOf(tags);
  const stale = staleJob ? ` ${TAG.job}=${tags[TAG.job]} is older than ${config.maxJobDurationMinutes} minutes (stale: the job-completed hook never ran).` : '';
  const act = (message: string, extra: Partial<Decision> = {}): Decision =>
    withTags(
      {
        ...known,
        action: 'reclaim',
        reason: staleJob ? 'stale-job-evidence' : 'idle-confirmed',
        message: `${message}${stale}`,
        hookTags: hookTagsOf(tags),
        ...(failures > 0 ? { deleteFailures: failures } : {}),
        ...extra,
      },
      removeTags,
      extra.setTags,
    );

  const malformed = hasMalformedJobTimes(tags, now);
  const confirmationMs = idleConfirmationMs(config, 'none');
  const idleSince = tagTimeAt(tags[TAG.idleSince], now);
  // Issue 11, point 2: with machine evidence GitHub's lagging busy flag is not what the
  // idle streak guards against any more. The machine's own word right before the DELETE
  // (no ghr:job / no Worker), and again after the settle, confirms it; so the first idle
  // sighting is enough (docs/design.md, "Every wait in the reclaim path").
  // The idle streak is kept wherever the probe is asked, so that a probe that keeps failing
  // to answer does not hold the runner for ever: once the streak is long enough, a missing
  // answer no longer keeps it (a busy answer always does).
  // A job since the streak began breaks it: the streak starts again now (else it could
  // never grow long enough, and a probe that never answers would hold the runner for ever).
  const streakBroken = idleSince !== undefined && jobActivityAfter(tags, idleSince, now);
  const streakOf = (ms: number) => idleSince !== undefined && !streakBroken && isOldEnough(idleSince, now, ms);
  const probeAsked = (streak: boolean): Partial<Decision> => ({
    ...(idleSince && !streakBroken ? {} : { setTags: { [TAG.idleSince]: nowIso } }),
    ...(streak ? { probeOptional: true } : {}),
  });
  if (evidence === 'hooks') {
    if (!probeReaches(instance, snapshot)) {
      return act(`Reclaim: runner ${runner.name} is idle on GitHub and its job hooks report no job (hooks).`);
    }
    // The job-started hook runs only after the job's set-up has downloaded its actions, so
    // a job assigned just before the DELETE can be tag-less for longer than the settle;
    // the probe sees its Worker process within a second. Where it reaches, it is asked too.
    // Without its answer, the hooks alone decide once a second sighting has been made.
    return act(
      `Reclaim: runner ${runner.name} is idle on GitHub and its job hooks report no job; the probe is asked too, right before the DELETE and after the settle (hooks).`,
      { probeToo: true, ...probeAsked(streakOf(idleConfirmationMs(config, 'hooks'))) },
    );
  }
  if (evidence === 'probe') {
    // Without its answer, only the streak the rules without machine evidence need will do.
    return act(`Reclaim: runner ${runner.name} is idle on GitHub; the probe is asked right before the DELETE and after the settle (probe).`, probeAsked(streakOf(confirmationMs)));
  }

  // Only GitHub's word: two idle sightings, far enough apart.
  const seconds = confirmationMs / SECOND_MS;
  const doubled = ` (doubled: ${NO_EVIDENCE})`;
  if (!idleSince) {
    const what = tags[TAG.idleSince] === undefined ? 'First' : `${TAG.idleSince} is unreadable, so this is a first`;
    return withTags(
      { ...known, action: 'keep', reason: 'idle-first-sighting', message: `Kept: ${what} idle sighting; marking ${TAG.idleSince}.` },
      removeTags,
      { [TAG.idleSince]: nowIso },
    );
  }
  if (malformed && !isOldEnough(idleSince, now, config.maxJobDurationMinutes * MINUTE_MS)) {
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'malformed-tags',
        message: `Kept: ${TAG.jobStartedAt}/${TAG.lastJobCompletedAt} do not hold a readable time, so a recent job cannot be ruled out until GitHub has called it idle for ${config.maxJobDurationMinutes} minutes (since ${idleSince.toISOString()}).`,
      },
      removeTags,
    );
  }
  if (jobActivityAfter(tags, idleSince, now, malformed ? 'ignore' : 'activity')) {
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
  if (!isOldEnough(idleSince, now, confirmationMs)) {
    return withTags(
      {
        ...known,
        action: 'keep',
        reason: 'idle-not-confirmed',
        message: `Kept: idle since ${idleSince.toISOString()}, not yet ${seconds} s${doubled}.`,
      },
      removeTags,
    );
  }
  const unreadable = malformed ? ` (unreadable job times ignored after ${config.maxJobDurationMinutes} minutes idle)` : '';
  // No bookkeeping on a reclaim: the executor writes its own draining mark (step b).
  return act(`Reclaim: runner ${runner.name} idle since ${idleSince.toISOString()}, at least ${seconds} s${doubled}${unreadable}.`);
}

function keepInPool(candidate: IdleCandidate, window: IdleWindow, scope: string): Decision {
  const { instance, owner, runner, removeTags, environment, evidence } = candidate;
  return withTags(
    {
      instanceId: instance.id,
      owner,
      runner,
      environment,
      evidence,
      action: 'keep',
      reason: 'idle-pool',
      message: `Kept: one of ${window.idleCount} idle runners of ${scope} kept warm (${window.cron} ${window.timeZone}, ${window.evictionStrategy}).`,
    },
    removeTags,
  );
}

/** Which idle pool a candidate counts towards: its GitHub owner, or its environment (IDLE_POOL_SCOPE). */
function poolOf(candidate: IdleCandidate, config: Config): { key: string; label: string } {
  if (config.idlePoolScope === 'environment') {
    return { key: `environment:${candidate.environment}`, label: `environment ${candidate.environment}` };
  }
  return { key: ownerKey(candidate.owner), label: describeOwner(candidate.owner) };
}

export function decideScaleDown(snapshot: Snapshot): Decision[] {
  const decided = new Map<string, Decision>();
  const candidatesByPool = new Map<string, { label: string; candidates: IdleCandidate[] }>();
  // Each owner's listing is indexed once for the run: matching is O(1) per instance.
  const match = runnerMatcher();

  for (const instance of snapshot.instances) {
    const gated = gate(instance, snapshot);
    if (!gated.passed) {
      decided.set(instance.id, gated.decision);
      continue;
    }
    const outcome = decideBeforePool(instance, snapshot, gated.owner, match(instance, gated.runners), gated.environment);
    if ('action' in outcome) {
      decided.set(instance.id, outcome);
      continue;
    }
    const pool = poolOf(outcome, snapshot.config);
    const entry = candidatesByPool.get(pool.key) ?? { label: pool.label, candidates: [] };
    entry.candidates.push(outcome);
    candidatesByPool.set(pool.key, entry);
  }

  // Rule 11, per pool: only idle candidates count, so busy runners never fill the pool.
  const window = activeIdleWindow(snapshot.config.idleConfig, snapshot.now);
  for (const { label, candidates } of candidatesByPool.values()) {
    const keepers = window
      ? selectIdlePoolKeepers(
          candidates.map((c) => c.instance),
          window.idleCount,
          window.evictionStrategy,
        )
      : new Set<string>();
    for (const candidate of candidates) {
      const pooled = window && keepers.has(candidate.instance.id);
      decided.set(candidate.instance.id, pooled ? keepInPool(candidate, window, label) : decideIdle(candidate, snapshot));
    }
  }

  return snapshot.instances.map((instance) => decided.get(instance.id)!);
}
