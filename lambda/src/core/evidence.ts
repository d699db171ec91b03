/**
 * What the instance itself says: the job-hook contract's tags, the boot marker that makes
 * them count, and people's bypass. `evidenceOf` decides, per instance, which machine
 * evidence a decision may rest on (docs/design.md, "Machine evidence").
 */
import { HOOKS_CONTRACT_VERSION, TAG } from './tags';
import { isOldEnough, MINUTE_MS, parseTagTime, readTagTime, tagTimeAt } from './time';
import type { EvidenceSource, HookTags, InstanceView, Snapshot } from './types';

type Tags = Readonly<Record<string, string>>;

/**
 * `ghr:job` is present: the job-started hook says a job runs now. Present means present:
 * an empty value is still the hook's word (issue 10, point 5), never "no job".
 */
export function hasJobEvidence(tags: Tags): boolean {
  return tags[TAG.job] !== undefined;
}

/** `ghr:bypass-removal=true`: a person asked us never to touch this instance. */
export function hasBypass(tags: Tags): boolean {
  return tags[TAG.bypassRemoval]?.trim().toLowerCase() === 'true';
}

/** The boot marker of the hook contract this reaper understands: the hooks are proven to run. */
export function hasHooksMarker(tags: Tags): boolean {
  return tags[TAG.jobHooks]?.trim() === HOOKS_CONTRACT_VERSION;
}

/** The hook contract's tags as they are now (for comparing with a later read). */
export function hookTagsOf(tags: Tags): HookTags {
  return {
    ...(tags[TAG.job] !== undefined ? { job: tags[TAG.job] } : {}),
    ...(tags[TAG.jobStartedAt] !== undefined ? { jobStartedAt: tags[TAG.jobStartedAt] } : {}),
    ...(tags[TAG.lastJobCompletedAt] !== undefined ? { lastJobCompletedAt: tags[TAG.lastJobCompletedAt] } : {}),
  };
}

/** A hook fired between two reads: any hook tag appeared, changed or went away. */
export function hookTagsChanged(before: HookTags, tags: Tags): boolean {
  const now = hookTagsOf(tags);
  return before.job !== now.job || before.jobStartedAt !== now.jobStartedAt || before.lastJobCompletedAt !== now.lastJobCompletedAt;
}

/**
 * A job-time tag is present but not a time: unparsable, or (with `now`) further in the
 * future than clocks can differ. The hooks wrote something we cannot read.
 */
export function hasMalformedJobTimes(tags: Tags, now?: Date): boolean {
  return [tags[TAG.jobStartedAt], tags[TAG.lastJobCompletedAt]].some((value) =>
    now ? readTagTime(value, now).state === 'unreadable' : value !== undefined && Number.isNaN(Date.parse(value)),
  );
}

/**
 * A job started or completed after `since`. By default a job-time tag that cannot be read
 * counts as activity (we cannot tell when that job ran, so assume it ran after `since`);
 * `unreadable: 'ignore'` is for the bounded case where the core has decided to stop
 * waiting on unreadable tags (issue 10, point 9).
 */
export function jobActivityAfter(tags: Tags, since: Date, now?: Date, unreadable: 'activity' | 'ignore' = 'activity'): boolean {
  if (unreadable === 'activity' && hasMalformedJobTimes(tags, now)) return true;
  return [tags[TAG.jobStartedAt], tags[TAG.lastJobCompletedAt]].some((value) => {
    const time = now ? tagTimeAt(value, now) : parseTagTime(value);
    return time !== undefined && time.getTime() > since.getTime();
  });
}

/** When the job `ghr:job` names started, if `ghr:job-started-at` says so readably. */
export function jobStartOf(tags: Tags, now: Date): Date | undefined {
  return tagTimeAt(tags[TAG.jobStartedAt], now);
}

/**
 * `ghr:job` is set but its job started more than MAX_JOB_DURATION_MINUTES ago: no job runs
 * that long, so the job-completed hook never ran (the runner crashed, the hook failed).
 */
export function hasStaleJob(tags: Tags, now: Date, maxJobMs: number): boolean {
  return hasJobEvidence(tags) && isOldEnough(jobStartOf(tags, now), now, maxJobMs);
}

/**
 * Which machine evidence backs decisions about this instance:
 * - `JOB_EVIDENCE=off`: `none` everywhere;
 * - a job-time tag nobody can read (unparsable, or far in the future): `none`;
 * - the `ghr:job-hooks` marker of our contract version: `hooks` (in `auto` and `hooks`),
 *   unless the hooks visibly stopped reporting (a `ghr:job` older than
 *   MAX_JOB_DURATION_MINUTES): then they are no evidence for this instance;
 * - otherwise, in `auto` only: `probe` when the probe is configured (the handler fills
 *   `snapshot.probe` only then), SSM could be read and the instance's agent is online;
 * - else `none`.
 * `ghr:job` is honoured by every rule whatever this says.
 */
export function evidenceOf(instance: InstanceView, snapshot: Snapshot): EvidenceSource {
  const { config, now } = snapshot;
  if (config.jobEvidence === 'off') return 'none';
  const { tags } = instance;
  // A job time nobody can read: some hook wrote something at an unknown time, and every
  // rule then takes the conservative, bounded path (docs/design.md, rules 15 and 9).
  if (hasMalformedJobTimes(tags, now)) return 'none';
  if (hasHooksMarker(tags) && !hasStaleJob(tags, now, config.maxJobDurationMinutes * MINUTE_MS)) return 'hooks';
  return evidenceWithoutHooks(instance, snapshot);
}

/**
 * The probe can ask this instance in this run: JOB_EVIDENCE=auto, the probe configured (the
 * handler fills `snapshot.probe` only then), SSM read without error and the agent online.
 */
export function probeReaches(instance: InstanceView, snapshot: Snapshot): boolean {
  const { config, probe } = snapshot;
  return config.jobEvidence === 'auto' && probe?.enabled === true && !probe.error && probe.online.has(instance.id);
}

/** The evidence left when the hooks of this instance cannot be trusted: the probe where it reaches, else none. */
export function evidenceWithoutHooks(instance: InstanceView, snapshot: Snapshot): EvidenceSource {
  return probeReaches(instance, snapshot) ? 'probe' : 'none';
}
