/**
 * Fault injection and request hooks.
 *
 * Faults: an error rate or a forced status per route (optionally for the next N calls),
 * and latency per call. Hooks run test code before or after the twin answers a given
 * request (after = state changed, response not yet sent), which is how an end-to-end
 * test makes a job land at an exact point between two reaper steps.
 */
import { seededRandom } from './clock';

/** Selects requests: all given fields must match. `params` compare as strings. */
export interface RequestMatcher {
  method?: string;
  route?: string;
  params?: Record<string, string | number>;
  /** Any extra condition. */
  where?: (req: HookRequest) => boolean;
}

export interface HookRequest {
  method: string;
  route: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface HookResult {
  status: number;
  body: unknown;
}

export type HookFn = (req: HookRequest, result?: HookResult) => void | Promise<void>;

export interface HookHandle {
  /** How many times the hook ran. */
  readonly calls: number;
  remove(): void;
}

interface HookEntry {
  when: 'before' | 'after';
  matcher: RequestMatcher;
  fn: HookFn;
  remaining: number;
  calls: number;
  removed: boolean;
}

export interface FaultRule {
  matcher: RequestMatcher;
  status: number;
  /** Probability per matching request (seeded); 1 = always. */
  rate: number;
  /** Remaining applications; Infinity = until cleared. */
  remaining: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function matches(m: RequestMatcher, req: HookRequest): boolean {
  if (m.method && m.method.toUpperCase() !== req.method) return false;
  if (m.route && m.route !== req.route) return false;
  if (m.params) {
    for (const [k, v] of Object.entries(m.params)) if (req.params[k] !== String(v)) return false;
  }
  return !m.where || m.where(req);
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private latency: { matcher: RequestMatcher; ms: number }[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  /** A fraction of matching requests fail with `status` (default 502). */
  errorRate(rate: number, opts: { status?: number; matcher?: RequestMatcher; body?: unknown } = {}): void {
    this.rules.push({
      matcher: opts.matcher ?? {},
      status: opts.status ?? 502,
      rate,
      remaining: Infinity,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
  }

  /** The next `times` matching requests (default: all) answer `status`. */
  force(status: number, matcher: RequestMatcher = {}, opts: { times?: number; body?: unknown; headers?: Record<string, string> } = {}): void {
    this.rules.push({
      matcher,
      status,
      rate: 1,
      remaining: opts.times ?? Infinity,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
  }

  /** Added wall-clock latency (ms) per matching call; the largest matching entry applies. */
  addLatency(ms: number, matcher: RequestMatcher = {}): void {
    this.latency.push({ matcher, ms });
  }

  latencyFor(req: HookRequest): number {
    return this.latency.filter((l) => matches(l.matcher, req)).reduce((a, l) => Math.max(a, l.ms), 0);
  }

  /** The fault to answer with, if any (consumes one application of the rule). */
  pick(req: HookRequest): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule.matcher, req)) continue;
      if (rule.rate < 1 && this.random() >= rule.rate) continue;
      rule.remaining--;
      return rule;
    }
    return undefined;
  }

  clear(): void {
    this.rules = [];
    this.latency = [];
  }
}

export class HookRegistry {
  private hooks: HookEntry[] = [];

  add(when: 'before' | 'after', matcher: RequestMatcher, fn: HookFn, opts: { times?: number } = {}): HookHandle {
    const entry: HookEntry = { when, matcher, fn, remaining: opts.times ?? Infinity, calls: 0, removed: false };
    this.hooks.push(entry);
    return {
      get calls() {
        return entry.calls;
      },
      remove: () => {
        entry.removed = true;
      },
    };
  }

  /** Runs the matching hooks in registration order, awaiting each. */
  async run(when: 'before' | 'after', req: HookRequest, result?: HookResult): Promise<void> {
    for (const h of [...this.hooks]) {
      if (h.removed || h.when !== when || h.remaining <= 0 || !matches(h.matcher, req)) continue;
      h.remaining--;
      h.calls++;
      await h.fn(req, result);
    }
    this.hooks = this.hooks.filter((h) => !h.removed && h.remaining > 0);
  }

  clear(): void {
    this.hooks = [];
  }
}
