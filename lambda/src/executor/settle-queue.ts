/**
 * The scale-down run's settles: each window of DELETEs is re-checked once its settle is
 * over, while later windows are still being deregistered. The run sleeps in one place only
 * (until the next settle is over), so its clock is never asked for two sleeps at once; the
 * re-checks themselves (probe, GET, tags, terminate) run beside whatever the run does next.
 */
export class SettleQueue {
  private readonly waiting: { at: number; recheck: () => Promise<void> }[] = [];
  private readonly running = new Set<Promise<void>>();

  /** Re-check with `recheck` once the clock has reached `at` (ms). */
  add(at: number, recheck: () => Promise<void>): void {
    this.waiting.push({ at, recheck });
    this.waiting.sort((a, b) => a.at - b.at);
  }

  /** When the next waiting re-check is due; undefined when none waits. */
  nextAt(): number | undefined {
    return this.waiting[0]?.at;
  }

  /** Starts every re-check due by `now`. */
  startDue(now: number): void {
    while (this.waiting.length > 0 && this.waiting[0]!.at <= now) {
      const { recheck } = this.waiting.shift()!;
      const run = recheck().finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /** Whether a re-check waits or runs. */
  get pending(): boolean {
    return this.waiting.length > 0 || this.running.size > 0;
  }

  /** Resolves once the re-checks running now are done (one of them may add another). */
  async runningDone(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
