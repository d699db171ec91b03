/**
 * Seeded randomness for the fuzz. Two kinds:
 * - one sequential generator per case, for what is decided in a fixed order (the fleet,
 *   the configuration, the schedule of runs and the world's events between runs);
 * - keyed generators for what the reaper asks in an order that concurrency may change
 *   (parallel GETs, listings of several owners, SSM reads): the answer to a request is
 *   drawn from a hash of the case and the request's identity, never from a shared
 *   sequence, so a replay serves the very same answers whatever order they are asked in.
 */
import { Gen as BaseGen, prng } from '../helpers/random';

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

export { prng };

/** The property tests' generator, with what the fuzz needs besides. */
export class Gen extends BaseGen {
  static of(seed: number): Gen {
    return new Gen(prng(seed));
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
