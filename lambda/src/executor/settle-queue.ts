/**
 * The scale-down run's settles: each window of DELETEs is re-checked once its settle is
 * over, while later windows are still being deregistered. The run sleeps in one place only
 * (until the next settle is over), so its clock is never asked for two sleeps at once; the
 * re-checks themselves (probe, GET, tags, terminate) run beside whatever the run does next.
 * A re-check must not throw (the executor guards each one); should one, it rejects the run
 * when the run waits for it, never as an unhandled rejection.
 */
export class SettleQueue {
  private readonly waiting: { at: number; recheck: () => Promise<void> }[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly failures: unknown[] = [];
  private wake: (() => void) | undefined;

  /** Re-check with `recheck` once the clock has reached `at` (ms). */
  add(at: number, recheck: () => Promise<void>): void {
    this.waiting.push({ at, recheck });
    this.waiting.sort((a, b) => a.at - b.at);
    this.notify();
  }

  /** When the next waiting re-check is due; undefined when none waits. */
  nextAt(): number | undefined {
    return this.waiting[0]?.at;
  }

  /** Starts every re-check due by `now`. */
  startDue(now: number): void {
    while (this.waiting.length > 0 && this.waiting[0]!.at <= now) {
      const { recheck } = this.waiting.shift()!;
      const run: Promise<void> = recheck()
        .catch((error: unknown) => {
          this.failures.push(error);
        })
        .finally(() => {
          this.running.delete(run);
          this.notify();
        });
      this.running.add(run);
    }
  }

  /** Whether a re-check waits or runs. */
  get pending(): boolean {
    return this.waiting.length > 0 || this.running.size > 0;
  }

  /** Resolves when a running re-check ends or a new one is added; rejects with a re-check's failure. */
  async changed(): Promise<void> {
    this.throwFailure();
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    this.throwFailure();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private throwFailure(): void {
    if (this.failures.length > 0) throw this.failures[0];
  }
}
