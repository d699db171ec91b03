/**
 * Seeded randomness for the fuzz. Two kinds:
 * - one sequential generator per case, for what is decided in a fixed order (the fleet,
 *   the configuration, the schedule of runs and the world's events between runs);
 * - keyed generators for what the reaper asks in an order that concurrency may change
 *   (parallel GETs, listings of several owners, SSM reads): the answer to a request is
 *   drawn from a hash of the case and the request's identity, never from a shared
 *   sequence, so a replay serves the very same answers whatever order they are asked in.
 */

/** A 32-bit hash of a string (FNV-1a with a final avalanche). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, good enough to pick faults. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(readonly next: () => number) {}

  static of(seed: number): Gen {
    return new Gen(prng(seed));
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[this.int(0, items.length - 1)]!;
  }

  /** One of the keys, with the given weights. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
}

/** The seed of one case of a fuzz run. */
export function caseSeed(seed: number, caseNo: number): number {
  return hashString(`runner-reaper-fuzz:${seed}:${caseNo}`);
}

/** A generator for one request, drawn from the case and the request's identity. */
export function keyed(seed: number, ...parts: (string | number)[]): Gen {
  return Gen.of(hashString(`${seed}|${parts.join('|')}`));
}
