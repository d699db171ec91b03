/**
 * The world clock shared by the GitHub twin, its job dispatcher and the runner agents.
 *
 * Scenarios need minutes of world time (busy-flag lag, idle confirmation, job durations)
 * in seconds of wall time, and unit-style tests need exact control. Three clocks:
 * - RealClock: wall time.
 * - AcceleratedClock: world time runs `factor` times faster than wall time.
 * - VirtualClock: time stands still until a test calls `advance`, which fires due timers
 *   in order and waits for the async work they start (tracked with `track`), so a test
 *   can step through a scenario deterministically without sleeping.
 */
export interface WorldClock {
  /** World time in epoch milliseconds. */
  now(): number;
  /** Resolves once world time has moved on by `ms`. */
  sleep(ms: number): Promise<void>;
  /**
   * Registers async work started by a timer (an AWS call of a job hook, a watcher poll),
   * so VirtualClock.advance waits for it before firing the next timer. Returns `work`.
   */
  track<T>(work: Promise<T>): Promise<T>;
}

export class RealClock implements WorldClock {
  now(): number {
    return Date.now();
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref?.());
  }
  track<T>(work: Promise<T>): Promise<T> {
    return work;
  }
}

/** World time = start + (wall time elapsed) * factor. */
export class AcceleratedClock implements WorldClock {
  private readonly wallStart = Date.now();
  constructor(
    readonly factor: number,
    private readonly worldStart: number = Date.now(),
  ) {
    if (!(factor > 0)) throw new Error('AcceleratedClock factor must be > 0');
  }
  now(): number {
    return this.worldStart + (Date.now() - this.wallStart) * this.factor;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / this.factor)));
  }
  track<T>(work: Promise<T>): Promise<T> {
    return work;
  }
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** A clock that only moves when told to. */
export class VirtualClock implements WorldClock {
  private current: number;
  private seq = 0;
  private readonly timers = new TimerHeap();
  private readonly pending = new Set<Promise<unknown>>();

  /**
   * Starts at `start`, by default the current second of real time: the built Lambdas run
   * in their own process on real time, and tag timestamps written by the agents should
   * be comparable with theirs.
   */
  constructor(start: number | Date = Math.floor(Date.now() / 1000) * 1000) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, resolve });
    });
  }

  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return work;
  }

  /** Number of sleepers waiting for a future time. */
  get waiting(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way in time order. After
   * each firing it waits until all tracked work and the microtasks it queues are done,
   * so the effects of one timer are visible before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    await this.settle();
    for (;;) {
      const next = this.timers.peek();
      if (!next || next.at > target) break;
      this.timers.pop();
      this.current = Math.max(this.current, next.at);
      next.resolve();
      await this.settle();
    }
    this.current = target;
    await this.settle();
  }

  /** Advances in steps of `stepMs` (keeps per-step effects ordered with coarse timers). */
  async advanceBy(totalMs: number, stepMs: number): Promise<void> {
    for (let done = 0; done < totalMs; done += stepMs) await this.advance(Math.min(stepMs, totalMs - done));
  }

  /** Waits until no tracked work is pending and the event loop has turned a few times. */
  async settle(): Promise<void> {
    for (let quietRounds = 0; quietRounds < 3; ) {
      if (this.pending.size > 0) {
        await Promise.all([...this.pending]);
        quietRounds = 0;
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve));
        quietRounds++;
      }
    }
  }

}

/** Min-heap of timers by (at, seq): fleets of thousands of agents sleep at once. */
class TimerHeap {
  private readonly items: Timer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Timer | undefined {
    return this.items[0];
  }

  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Timer, y: Timer): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** Deterministic PRNG (mulberry32) for fault injection and workloads. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
