/**
 * Reading the ISO-8601 times the reaper and the job hooks keep in tags. A time that does
 * not parse is "unknown", and an unknown time is never old enough for anything: every
 * threshold check below fails closed.
 */

/** The time in a tag value, or undefined when it is absent or not a valid date. */
export function parseTagTime(value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** A tag that is present but does not hold a time. */
export function isMalformedTime(value: string | undefined): boolean {
  return value !== undefined && parseTagTime(value) === undefined;
}

/**
 * True when `time` is known and at least `thresholdMs` before `now`. Unknown times and
 * invalid dates (e.g. a NaN launch time) are never old enough.
 */
export function isOldEnough(time: Date | undefined, now: Date, thresholdMs: number): boolean {
  if (time === undefined) return false;
  const age = now.getTime() - time.getTime();
  return Number.isFinite(age) && age >= thresholdMs;
}

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;

/**
 * How far in the future a job-hook time may lie and still count as a time: the instance's
 * clock and the Lambda's may differ a little (both use NTP; AWS request signing tolerates
 * five minutes). A time further ahead cannot be true, so it counts as unreadable: otherwise
 * it would look like "a job ran after the sighting" at every run and restart the idle clock
 * forever (issue 10, point 9).
 */
export const FUTURE_TOLERANCE_MS = 5 * MINUTE_MS;

/** A tag that should hold a time, as read at `now`. */
export type TagTime = { state: 'absent' } | { state: 'time'; at: Date } | { state: 'unreadable' };

/** Reads a time tag: absent, a time (at most FUTURE_TOLERANCE_MS ahead of `now`), or unreadable. */
export function readTagTime(value: string | undefined, now: Date): TagTime {
  if (value === undefined) return { state: 'absent' };
  const at = parseTagTime(value);
  if (!at || at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) return { state: 'unreadable' };
  return { state: 'time', at };
}

/** The time of a tag when it is readable (see readTagTime), else undefined. */
export function tagTimeAt(value: string | undefined, now: Date): Date | undefined {
  const read = readTagTime(value, now);
  return read.state === 'time' ? read.at : undefined;
}
