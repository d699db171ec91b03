/**
 * Property test: the indexed matcher (RunnerIndex, used once per owner per decision run)
 * picks exactly the runner a straightforward scan over the whole listing picks, on random
 * fleets made to be awkward: instance ids of different lengths, ids that end another id,
 * names that carry another instance's id in front of their own, names that hold the id
 * only in the middle, duplicate names and ids, id tags that match nothing or are not
 * numbers, and busy registrations in every tier.
 */
import { RunnerIndex, findRunner, runnerMatcher } from '../../src/core/match';
import { TAG } from '../../src/core/tags';
import type { InstanceView, RunnerView } from '../../src/core/types';
import { Gen, prng } from '../helpers/random';
import { NOW, ownerTags } from './fixtures';

/** Which tier the reference took its answer from, and whether a busy runner overrode the first claimant. */
interface Reference {
  runner: RunnerView | undefined;
  tier?: 'id' | 'exact' | 'suffix';
  busyOverrode: boolean;
}

/**
 * The rule as docs/design.md states it, by brute force: every runner claimed by the id tag,
 * by a name equal to the instance id, or by a name ending with it, in that order and in
 * listing order within each; the first busy one wins, else the first one.
 */
function reference(instance: InstanceView, runners: readonly RunnerView[]): Reference {
  const tag = instance.tags[TAG.githubRunnerId]?.trim();
  const id = tag !== undefined && /^\d+$/.test(tag) ? Number(tag) : undefined;
  const tiers = [
    { tier: 'id' as const, runners: runners.filter((r) => id !== undefined && r.id === id) },
    { tier: 'exact' as const, runners: runners.filter((r) => r.name === instance.id) },
    { tier: 'suffix' as const, runners: runners.filter((r) => r.name.endsWith(instance.id)) },
  ];
  const claimants = tiers.flatMap((t) => t.runners.map((runner) => ({ runner, tier: t.tier })));
  const chosen = claimants.find((c) => c.runner.busy) ?? claimants[0];
  if (!chosen) return { runner: undefined, busyOverrode: false };
  return { runner: chosen.runner, tier: chosen.tier, busyOverrode: chosen.runner !== claimants[0]!.runner };
}

const hex = (g: Gen, length: number) => Array.from({ length }, () => g.pick([...'0123456789abcdef'])).join('');

/** Instance ids: EC2's two lengths, short ones, and ids that end another id of the fleet. */
function randomIds(g: Gen, count: number): string[] {
  const ids: string[] = [];
  while (ids.length < count) {
    const roll = g.next();
    let id: string;
    if (roll < 0.4) id = `i-${hex(g, 17)}`;
    else if (roll < 0.6) id = `i-${hex(g, 8)}`;
    else if (roll < 0.75) id = `i-${hex(g, g.int(1, 3))}`;
    else if (ids.length > 0) {
      // A longer id that ends with an existing one, or a shorter one that ends an existing one.
      const other = g.pick(ids);
      id = g.chance(0.5) ? `${g.pick(['x', '0', 'i-', 'a-'])}${other}` : other.slice(g.int(1, Math.max(1, other.length - 1)));
    } else id = `i-${hex(g, 17)}`;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Names that should match, names that must not, and collisions between both. */
function randomName(g: Gen, id: string, ids: readonly string[]): string {
  const other = g.pick(ids);
  return g.pick([
    id,
    id,
    `runner-${id}`,
    `env-action-runner-${id}`,
    `${other}${id}`, // another instance's id in front of this one's
    `${other}-${id}`,
    `${id}-old`, // the id only in the middle: no match
    id.slice(1), // shorter than the id: no match
    `${id}${id}`,
    `stray-${g.int(0, 50)}`,
    '',
  ]);
}

interface Fleet {
  instances: InstanceView[];
  runners: RunnerView[];
}

function randomFleet(g: Gen): Fleet {
  const ids = randomIds(g, g.int(1, 40));
  const runners: RunnerView[] = [];
  const runnerCount = g.int(0, 60);
  for (let k = 0; k < runnerCount; k += 1) {
    const id = g.pick(ids);
    runners.push({
      // Small ids collide with each other and with the instances' id tags.
      id: g.chance(0.5) ? g.int(1, 30) : g.int(1000, 1_000_000),
      name: randomName(g, id, ids),
      status: g.chance(0.9) ? 'online' : 'offline',
      busy: g.chance(0.3),
      labels: [],
    });
  }
  // Exact duplicates of listed runners (same id and name), sometimes differing in busy.
  for (let k = g.int(0, 4); k > 0 && runners.length > 0; k -= 1) {
    const copy = g.pick(runners);
    runners.splice(g.int(0, runners.length), 0, { ...copy, busy: g.chance(0.5) });
  }
  const instances = ids.map((id): InstanceView => {
    const tags: Record<string, string> = { ...ownerTags() };
    if (g.chance(0.4)) {
      tags[TAG.githubRunnerId] = g.pick([
        String(g.int(1, 30)),
        ` ${g.int(1, 30)} `,
        g.chance(0.5) && runners.length > 0 ? String(g.pick(runners).id) : '999999999',
        'abc',
        '',
        '-1',
        '4.2',
        '007',
      ]);
    }
    return { id, state: 'running', launchTime: NOW, tags };
  });
  return { instances, runners };
}

const FLEETS = 2000;

describe('the indexed matcher agrees with a scan of the whole listing', () => {
  test('on random fleets, through every entry point, in any order of lookups', () => {
    const problems: string[] = [];
    const seen = { id: 0, exact: 0, suffix: 0, none: 0, busyOverrode: 0, busyBeatsEarlierTier: 0, otherIdInFront: 0, lengths: new Set<number>() };
    for (let seed = 1; seed <= FLEETS && problems.length < 5; seed += 1) {
      const g = new Gen(prng(seed));
      const { instances, runners } = randomFleet(g);
      const index = new RunnerIndex(runners);
      const match = runnerMatcher();
      // Lookups in a random order, some repeated, so lazily built parts are reused across lengths.
      const lookups = g.shuffle([...instances, ...instances.filter(() => g.chance(0.3))]);
      for (const instance of lookups) {
        const want = reference(instance, runners);
        const got = { index: index.find(instance), matcher: match(instance, runners), single: findRunner(instance, runners) };
        for (const [how, runner] of Object.entries(got)) {
          // Identity, not equality: duplicates must resolve to the same listed entry.
          if (runner !== want.runner) {
            problems.push(`seed ${seed}, ${instance.id} (tag ${instance.tags[TAG.githubRunnerId]}) via ${how}: got ${JSON.stringify(runner)}, want ${JSON.stringify(want.runner)}`);
          }
        }
        seen.lengths.add(instance.id.length);
        if (!want.tier) seen.none += 1;
        else seen[want.tier] += 1;
        if (want.busyOverrode) seen.busyOverrode += 1;
        if (want.busyOverrode && want.tier === 'suffix' && runners.some((r) => r.name === instance.id || r.id === Number(instance.tags[TAG.githubRunnerId]))) {
          seen.busyBeatsEarlierTier += 1;
        }
        // A match whose name starts with another (real-looking) instance's id: the index must not file it under that one.
        if (want.runner && want.runner.name !== instance.id && instances.some((o) => o.id !== instance.id && o.id.length >= 5 && want.runner!.name.startsWith(o.id))) {
          seen.otherIdInFront += 1;
        }
      }
    }
    expect(problems).toEqual([]);
    // The fleets must really reach every tier and every awkward case, or agreement proves little.
    const counts = { ...seen, lengths: seen.lengths.size };
    for (const [what, count] of Object.entries(counts)) expect([what, count >= 200 || (what === 'lengths' && count >= 8)]).toEqual([what, true]);
  });

  test('a busy registration found by any tier wins, and matching never crosses to another instance', () => {
    // Fixed cases the random fleets reach only by chance, stated outright.
    const a = 'i-0123456789abcdef0';
    const b = 'i-89abcdef0'; // another length; a's last characters without being a suffix of it
    const mk = (id: number, name: string, busy = false): RunnerView => ({ id, name, status: 'online', busy, labels: [] });
    const at = (id: string, tags: Record<string, string> = {}): InstanceView => ({ id, state: 'running', launchTime: NOW, tags: { ...ownerTags(), ...tags } });
    const idle = mk(1, a);
    const busyForB = mk(2, `x-${b}`, true);
    const busyOfA = mk(3, `${b}-${a}`, true); // b's id in front of a's
    const index = new RunnerIndex([idle, busyForB, busyOfA]);
    expect(index.find(at(a))).toBe(busyOfA);
    expect(index.find(at(b))).toBe(busyForB);
    expect(index.find(at('f0'))).toBe(busyForB); // every name ends with 'f0': the first busy in listing order
    expect(index.find(at('i-nothing'))).toBeUndefined();
    // The id tag's tier comes first only when nothing busy claims the instance elsewhere.
    const tagged = at(a, { [TAG.githubRunnerId]: '7' });
    expect(new RunnerIndex([mk(7, 'jit'), idle]).find(tagged)?.id).toBe(7);
    expect(new RunnerIndex([mk(7, 'jit'), idle, busyOfA]).find(tagged)).toBe(busyOfA);
  });
});
