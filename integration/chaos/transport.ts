/**
 * What an API call costs in the chaos world, on the virtual clock: a sampled round trip,
 * and for GitHub the reaper's own client limits (GITHUB_CONCURRENCY requests in flight,
 * writes one at a time and 400 ms apart: lambda/src/adapters/github-client.ts). The
 * service acts half-way through the round trip, so the world moves on between a look and
 * the DELETE that follows it, as it does over HTTP. This is what makes the window between
 * "looks idle" and "deregistered" as wide in the chaos runs as it is in the field.
 *
 * The reaper's own promise chain waits on these sleeps; the chaos run moves the clock
 * (integration/chaos/run.ts), so nothing here may wait on anything but the clock.
 */
import type { VirtualClock } from '../twin/clock';

export interface TransportSpec {
  /** Round trip of one call, [min, max] ms, uniform. */
  latencyMs: [number, number];
  /** Most calls in flight at once (GitHub: GITHUB_CONCURRENCY); 0 = no limit. */
  concurrency: number;
  /** Minimum gap between the starts of two writes (GitHub: 400 ms); 0 = writes are not paced. */
  writeIntervalMs: number;
}

/** GitHub's REST API as the reaper's client meets it: GITHUB_CONCURRENCY 10, DELETEs 400 ms apart. */
export const GITHUB_TRANSPORT: TransportSpec = { latencyMs: [80, 300], concurrency: 10, writeIntervalMs: 400 };
/** EC2 and SSM control-plane calls. */
export const AWS_TRANSPORT: TransportSpec = { latencyMs: [60, 250], concurrency: 0, writeIntervalMs: 0 };

/** A call's send deadline: past `at` it is never sent, and `answer` stands for it. */
type Late<T> = { at: number; answer: () => T };

export class VirtualTransport {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Writes queue behind each other (the client's write limiter runs one at a time). */
  private writeChain: Promise<void> = Promise.resolve();
  private nextWriteAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: () => number,
    private readonly spec: TransportSpec,
  ) {}

  /** The clock calls are timed on. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Runs `act` (the service's side of the call) half-way through one paced round trip.
   * With `late`: a call whose turn (write queue, concurrency slot) comes after `late.at` is
   * never sent, and `late.answer` stands for it (the client's send deadline).
   */
  async call<T>(kind: 'read' | 'write', act: () => T, late?: Late<T>): Promise<T> {
    if (kind === 'write' && this.spec.writeIntervalMs > 0) {
      let release!: () => void;
      const previous = this.writeChain;
      this.writeChain = new Promise<void>((resolve) => (release = resolve));
      await previous;
      try {
        const wait = this.nextWriteAt - this.clock.now();
        if (wait > 0) await this.clock.sleep(wait);
        if (late && this.clock.now() > late.at) return late.answer();
        this.nextWriteAt = this.clock.now() + this.spec.writeIntervalMs;
        return await this.roundTrip(act, late);
      } finally {
        release();
      }
    }
    return this.roundTrip(act, late);
  }

  private async roundTrip<T>(act: () => T, late?: Late<T>): Promise<T> {
    await this.acquire();
    try {
      if (late && this.clock.now() > late.at) return late.answer();
      const [lo, hi] = this.spec.latencyMs;
      const latency = lo + (hi - lo) * this.random();
      await this.clock.sleep(latency / 2);
      const answer = act();
      await this.clock.sleep(latency / 2);
      return answer;
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.spec.concurrency <= 0) return;
    if (this.inFlight < this.spec.concurrency) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    if (this.spec.concurrency <= 0) return;
    const next = this.waiting.shift();
    // The slot passes straight to the next caller, so inFlight stays the same.
    if (next) next();
    else this.inFlight--;
  }
}
