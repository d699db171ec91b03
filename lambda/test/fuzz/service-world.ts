/**
 * What the fuzz's GitHub, EC2 and SSM worlds share: the run whose context receives what
 * they serve, and counters of how often a request has been asked (so a retry can be
 * answered differently from the first try).
 */
import type { RunContext } from './run-context';

export abstract class ServiceWorld {
  ctx: RunContext | undefined;
  private readonly counters = new Map<string, number>();

  /** A fresh run: its context receives what is served from now on. */
  startRun(ctx: RunContext): void {
    this.ctx = ctx;
  }

  /** How many times `key` has been asked, this time included. */
  protected count(key: string): number {
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return n;
  }
}
