/**
 * The idle pool: while an IDLE_CONFIG window is active, each owner keeps some idle runners
 * warm. Windows use the github-aws-runners `idle_config` shape (5- or 6-field cron, IANA
 * time zone, idleCount, evictionStrategy).
 */
import { CronExpressionParser } from 'cron-parser';
import type { IdleWindow } from '../config/schema';
import type { InstanceView } from './types';
import { MINUTE_MS } from './time';

export type EvictionStrategy = IdleWindow['evictionStrategy'];

/**
 * A window is active when its cron fires at some second of the current minute in its time
 * zone. (A 6-field cron with `*` seconds fires every second; one with `0` seconds fires once
 * a minute: both count as matching that minute.) A cron that does not parse is inactive;
 * the config loader already rejects those.
 */
export function isWindowActive(window: IdleWindow, now: Date): boolean {
  const minuteStart = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  try {
    const expression = CronExpressionParser.parse(window.cron, {
      tz: window.timeZone ?? 'UTC',
      // next() is strictly after currentDate, so start just before the minute.
      currentDate: new Date(minuteStart - 1),
    });
    return expression.next().getTime() < minuteStart + MINUTE_MS;
  } catch {
    return false;
  }
}

/** The active window with the largest idleCount (the first of equals), if any. */
export function activeIdleWindow(windows: IdleWindow[], now: Date): IdleWindow | undefined {
  let best: IdleWindow | undefined;
  for (const window of windows) {
    if (isWindowActive(window, now) && (best === undefined || window.idleCount > best.idleCount)) {
      best = window;
    }
  }
  return best;
}

/** How many idle runners each owner keeps now: 0 when no window is active. */
export function idlePoolSize(windows: IdleWindow[], now: Date): number {
  return activeIdleWindow(windows, now)?.idleCount ?? 0;
}

/**
 * Which of one owner's idle candidates stay in the pool. `oldest_first` evicts the oldest,
 * so it keeps the newest launches; `newest_first` keeps the oldest. Ties on launch time
 * are broken by instance id so the choice is stable between runs.
 */
export function selectIdlePoolKeepers(
  candidates: InstanceView[],
  size: number,
  strategy: EvictionStrategy,
): Set<string> {
  if (size <= 0) return new Set();
  const byAge = [...candidates].sort(
    (a, b) => a.launchTime.getTime() - b.launchTime.getTime() || a.id.localeCompare(b.id),
  );
  const keepOrder = strategy === 'oldest_first' ? byAge.reverse() : byAge;
  return new Set(keepOrder.slice(0, size).map((i) => i.id));
}
