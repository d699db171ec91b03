/**
 * Memory of failures between runs, kept in tags of our own on the instance (the Lambda
 * keeps no state, and a tag survives cold starts, redeploys and both functions): a runner
 * whose DELETE keeps failing, an instance EC2 refuses to terminate. Both are left alone
 * for a while instead of being retried first at every run (issue 10, points 10 and 11).
 */
import { TAG } from './tags';
import { MINUTE_MS, parseTagTime } from './time';

type Tags = Readonly<Record<string, string>>;

/** The first back-off after a failed DELETE; it doubles with every further failure ... */
export const DELETE_BACKOFF_BASE_MS = 5 * MINUTE_MS;
/** ... up to this. A DELETE that fails for good (403: the App lacks a permission) is tried every two hours. */
export const DELETE_BACKOFF_MAX_MS = 120 * MINUTE_MS;
/** How long an instance EC2 refused to terminate is left alone before the next try. */
export const TERMINATION_RETRY_MS = 60 * MINUTE_MS;

/** Failed DELETEs so far (0 without the tag; an unreadable count counts as one). */
export function deleteFailuresOf(tags: Tags): number {
  const raw = tags[TAG.deleteFailures];
  if (raw === undefined) return 0;
  return /^\d+$/.test(raw.trim()) ? Math.max(Number(raw.trim()), 1) : 1;
}

export function deleteBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(DELETE_BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 20), DELETE_BACKOFF_MAX_MS);
}

/** When the next DELETE may be tried, if that is still in the future. */
export function deleteBackoffUntil(tags: Tags, now: Date): Date | undefined {
  const failures = deleteFailuresOf(tags);
  if (failures === 0) return undefined;
  // Without a readable time, try now: the next failure writes a readable one. (Waiting
  // "from now" instead would wait forever.) A time in the future counts as now.
  const failedAt = parseTagTime(tags[TAG.deleteFailedAt]);
  if (!failedAt) return undefined;
  const until = new Date(Math.min(failedAt.getTime(), now.getTime()) + deleteBackoffMs(failures));
  return until.getTime() > now.getTime() ? until : undefined;
}

/** When EC2's refusal to terminate may be tried again, if that is still in the future. */
export function terminationRetryAt(tags: Tags, now: Date): Date | undefined {
  const refusedAt = parseTagTime(tags[TAG.terminationRefusedAt]);
  if (!refusedAt) return undefined;
  const until = new Date(Math.min(refusedAt.getTime(), now.getTime()) + TERMINATION_RETRY_MS);
  return until.getTime() > now.getTime() ? until : undefined;
}
