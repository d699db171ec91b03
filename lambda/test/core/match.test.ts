import { findRunner, ownerOf } from '../../src/core/match';
import { decideOrphans } from '../../src/core/orphan';
import { decideScaleDown } from '../../src/core/scale-down';
import { TAG } from '../../src/core/tags';
import type { RunnerView } from '../../src/core/types';
import { instance, runner, snapshot } from './fixtures';

describe('ownerOf', () => {
  test.each([
    ['org', 'my-org', 'Org', { type: 'Org', owner: 'my-org' }],
    ['repo', 'my-org/my-repo', 'Repo', { type: 'Repo', owner: 'my-org/my-repo' }],
    ['org name with a slash', 'my-org/my-repo', 'Org', undefined],
    ['repo without a slash', 'my-org', 'Repo', undefined],
    ['repo with two slashes', 'a/b/c', 'Repo', undefined],
    ['repo with empty repo part', 'a/', 'Repo', undefined],
    ['repo with empty owner part', '/b', 'Repo', undefined],
    ['empty owner', '', 'Org', undefined],
    ['owner with whitespace', 'my org', 'Org', undefined],
    ['unknown type', 'my-org', 'Enterprise', undefined],
    ['lower-case type', 'my-org', 'org', undefined],
    ['missing type', 'my-org', undefined, undefined],
    ['missing owner', undefined, 'Org', undefined],
  ])('%s', (_name, owner, type, expected) => {
    const i = instance({ tags: { [TAG.owner]: owner, [TAG.type]: type } });
    expect(ownerOf(i)).toEqual(expected);
  });
});

describe('findRunner', () => {
  const i = instance({ id: 'i-0abc123', tags: { [TAG.githubRunnerId]: '42' } });
  const plain = instance({ id: 'i-0def456' });

  test.each([
    ['by ghr:github_runner_id', i, [runner({ id: 7, name: 'x' }), runner({ id: 42, name: 'jit-1' })], 42],
    ['id tag wins over a name match', i, [runner({ id: 7, name: 'i-0abc123' }), runner({ id: 42, name: 'jit-1' })], 42],
    ['id tag matching nothing falls back to the name', i, [runner({ id: 7, name: 'ghr-i-0abc123' })], 7],
    ['name equal to the instance id', plain, [runner({ id: 1, name: 'other' }), runner({ id: 2, name: 'i-0def456' })], 2],
    ['name ending with the instance id', plain, [runner({ id: 3, name: 'my-env-action-runner-i-0def456' })], 3],
    ['name containing the id in the middle', plain, [runner({ id: 4, name: 'i-0def456-old' })], undefined],
    ['no runners', plain, [], undefined],
    ['exact name preferred over suffix', plain, [runner({ id: 5, name: 'x-i-0def456' }), runner({ id: 6, name: 'i-0def456' })], 6],
    ['busy duplicate preferred', plain, [runner({ id: 8, name: 'a-i-0def456' }), runner({ id: 9, name: 'b-i-0def456', busy: true })], 9],
    // A busy one wins across every tier (issue 8, point 4).
    ['a busy suffix match beats an idle id-tag match', i, [runner({ id: 42, name: 'jit-1' }), runner({ id: 10, name: 'old-i-0abc123', busy: true })], 10],
    ['a busy suffix match beats an idle exact match', plain, [runner({ id: 6, name: 'i-0def456' }), runner({ id: 11, name: 'x-i-0def456', busy: true })], 11],
    ['a busy exact match beats an idle id-tag match', i, [runner({ id: 42, name: 'jit-1' }), runner({ id: 12, name: 'i-0abc123', busy: true })], 12],
    ['a busy id-tag match beats an idle exact match', i, [runner({ id: 13, name: 'i-0abc123' }), runner({ id: 42, name: 'jit-1', busy: true })], 42],
  ])('%s', (_name, inst, runners, expectedId) => {
    expect(findRunner(inst, runners)?.id).toBe(expectedId);
  });

  test.each(['abc', '', '-1', '4.2'])('an unparsable runner id tag %p falls back to the name', (value) => {
    const j = instance({ id: 'i-0aaa', tags: { [TAG.githubRunnerId]: value } });
    expect(findRunner(j, [runner({ id: 1, name: 'r-i-0aaa' })])?.id).toBe(1);
    expect(findRunner(j, [runner({ id: 1, name: 'r-i-0bbb' })])).toBeUndefined();
  });
});

describe('matching a whole fleet', () => {
  /** Runners whose `name` counts how often it is read: the work matching does, without a clock. */
  function countingRunners(names: string[]): { runners: RunnerView[]; reads: () => number } {
    let reads = 0;
    const runners = names.map((name, k) => {
      const r = runner({ id: 5000 + k, busy: k % 3 === 0 });
      Object.defineProperty(r, 'name', {
        enumerable: true,
        get: () => {
          reads += 1;
          return name;
        },
      });
      return r;
    });
    return { runners, reads: () => reads };
  }

  test.each([
    ['decideScaleDown', decideScaleDown],
    ['decideOrphans', decideOrphans],
  ] as const)('%s indexes each listing once: work grows with instances plus runners, not their product', (_name, decide) => {
    const instances = Array.from({ length: 400 }, () => instance());
    // Most instances registered, some not, and strays that match nobody.
    const names = [...instances.slice(0, 300).map((i) => `env-${i.id}`), ...Array.from({ length: 100 }, (_, k) => `stray-${k}`)];
    const { runners, reads } = countingRunners(names);
    const decisions = decide(snapshot({ instances, runners }));
    // Matching still finds the registrations (the counting must not hide a broken matcher).
    expect(decisions.filter((d) => d.runner !== undefined)).toHaveLength(300);
    // A scan per instance reads 400 x 400 x 3 names; an index a few per runner and per decision.
    expect(reads()).toBeLessThan(10 * (instances.length + runners.length));
  });
});
