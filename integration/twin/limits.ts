/**
 * GitHub's rate limits as the twin enforces them. Primary: a request budget per token and
 * resource per window. Secondary (facts note): at most `maxConcurrent` requests in flight,
 * at most `pointsPerMinute` points per endpoint per minute, GET = 1 point, writes = 5.
 * Both answer 403 or 429 with `retry-after`. Windows run on the world clock.
 */
import type { WorldClock } from './clock';

export interface PrimaryLimitSettings {
  /** Requests per window per token and resource. */
  limit: number;
  windowMs: number;
  status: 403 | 429;
}

export interface SecondaryLimitSettings {
  maxConcurrent: number;
  pointsPerMinute: number;
  status: 403 | 429;
  /** Fixed retry-after for concurrency rejections (seconds). */
  concurrencyRetryAfterSeconds: number;
}

/** GitHub.com's documented secondary limits. */
export const GITHUB_SECONDARY_LIMITS: SecondaryLimitSettings = {
  maxConcurrent: 100,
  pointsPerMinute: 900,
  status: 403,
  concurrencyRetryAfterSeconds: 1,
};

/** High enough not to bother a test; set `limit` low to provoke the primary limit. */
export const DEFAULT_PRIMARY_LIMIT: PrimaryLimitSettings = { limit: 1_000_000, windowMs: 3_600_000, status: 403 };

export function pointsFor(method: string): number {
  return method === 'GET' || method === 'HEAD' ? 1 : 5;
}

interface Bucket {
  resetAt: number;
  used: number;
}

export type LimitVerdict =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; status: 403 | 429; message: string; headers: Record<string, string> };

export class RateLimiter {
  primary: PrimaryLimitSettings = { ...DEFAULT_PRIMARY_LIMIT };
  /** Null = secondary limits off (the default). */
  secondary: SecondaryLimitSettings | null = null;
  private readonly buckets = new Map<string, Bucket>();
  private readonly spent = new Map<string, { at: number; points: number }[]>();
  private inFlight = 0;

  constructor(private readonly clock: WorldClock) {}

  configure(args: { primary?: Partial<PrimaryLimitSettings>; secondary?: Partial<SecondaryLimitSettings> | null }): void {
    if (args.primary) this.primary = { ...this.primary, ...args.primary };
    if (args.secondary === null) this.secondary = null;
    else if (args.secondary) this.secondary = { ...(this.secondary ?? GITHUB_SECONDARY_LIMITS), ...args.secondary };
  }

  reset(): void {
    this.buckets.clear();
    this.spent.clear();
  }

  get concurrent(): number {
    return this.inFlight;
  }

  /** Call on arrival; returns a rejection when too many requests are in flight. Pair with `leave`. */
  enter(): LimitVerdict {
    this.inFlight++;
    const s = this.secondary;
    if (s && this.inFlight > s.maxConcurrent) {
      return this.secondaryRejection(s, s.concurrencyRetryAfterSeconds);
    }
    return { ok: true, headers: {} };
  }

  leave(): void {
    this.inFlight--;
  }

  /** Spends one request of the caller's primary budget. */
  primaryCheck(callerKey: string, resource: string): LimitVerdict {
    const now = this.clock.now();
    const key = `${callerKey}|${resource}`;
    let b = this.buckets.get(key);
    if (!b || now >= b.resetAt) {
      b = { resetAt: now + this.primary.windowMs, used: 0 };
      this.buckets.set(key, b);
    }
    const exceeded = b.used >= this.primary.limit;
    if (!exceeded) b.used++;
    const headers = {
      'x-ratelimit-limit': String(this.primary.limit),
      'x-ratelimit-remaining': String(Math.max(0, this.primary.limit - b.used)),
      'x-ratelimit-reset': String(Math.ceil(b.resetAt / 1000)),
      'x-ratelimit-used': String(b.used),
      'x-ratelimit-resource': resource,
    };
    if (!exceeded) return { ok: true, headers };
    return {
      ok: false,
      status: this.primary.status,
      message: `API rate limit exceeded for ${callerKey}. If you reach out to GitHub Support for help, please include the request ID.`,
      headers,
    };
  }

  /** Spends the endpoint's points for this minute, or says when to come back. */
  pointsCheck(endpointKey: string, method: string): LimitVerdict {
    const s = this.secondary;
    if (!s) return { ok: true, headers: {} };
    const now = this.clock.now();
    const cost = pointsFor(method);
    const recent = (this.spent.get(endpointKey) ?? []).filter((e) => e.at > now - 60_000);
    this.spent.set(endpointKey, recent);
    let total = recent.reduce((a, e) => a + e.points, 0);
    if (total + cost <= s.pointsPerMinute) {
      recent.push({ at: now, points: cost });
      return { ok: true, headers: {} };
    }
    // Wait until enough of the oldest spending has left the one-minute window.
    let freeAt = now;
    for (const e of recent) {
      total -= e.points;
      freeAt = e.at + 60_000;
      if (total + cost <= s.pointsPerMinute) break;
    }
    return this.secondaryRejection(s, Math.max(1, Math.ceil((freeAt - now) / 1000)));
  }

  private secondaryRejection(s: SecondaryLimitSettings, retryAfterSeconds: number): LimitVerdict {
    return {
      ok: false,
      status: s.status,
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
      headers: { 'retry-after': String(retryAfterSeconds) },
    };
  }
}
