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
