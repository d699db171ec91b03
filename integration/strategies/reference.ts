/**
 * Reference strategies, written here from their one-line descriptions (no other project's
 * code): how scalers commonly reclaim idle runners. They share the candidate rule of the
 * popular module (runner listed, `busy: false`, instance past the minimum running time)
 * and its two-pass orphan rule, and differ only in how they remove a runner:
 * (a) read busy from the listing, then DELETE and terminate whatever the DELETE answers;
 * (b) DELETE first, terminate on 204 (the popular module today);
 * (c) DELETE, then GET the runner again, terminate on 404 (the proposed fix on its own).
 * They never read the job-hook tags: that is what sets ours apart.
 */
import type { OwnerRef, RunnerView } from '../../lambda/src/core';
import { TAG, ownerKey, ownerOf, type InstanceView } from '../../lambda/src/core';
import type { ExecutorEnv } from '../../lambda/src/executor/outcome';
import type { CycleStats, ReclaimStrategy, StrategyKey, StrategyPorts } from './types';

interface Candidate {
  instance: InstanceView;
  owner: OwnerRef;
  runner: RunnerView;
}

const MINUTE_MS = 60_000;

/** The instances of the environment and their runners (by name ending with the instance id). */
async function readFleet(ports: StrategyPorts, env: ExecutorEnv) {
  const { instances } = await ports.ec2.listRunnerInstances(env.config.environments);
  const owners = new Map<string, OwnerRef>();
  for (const i of instances) {
    const owner = ownerOf(i);
    if (owner) owners.set(ownerKey(owner), owner);
  }
  const runners = new Map<string, RunnerView[]>();
  await Promise.all(
    [...owners].map(async ([key, owner]) => {
      try {
        runners.set(key, await ports.github.listRunners(owner));
      } catch {
        // An owner whose listing failed is skipped this run.
      }
    }),
  );
  const matched = instances.flatMap((instance) => {
    const owner = ownerOf(instance);
    const list = owner ? runners.get(ownerKey(owner)) : undefined;
    if (!owner || !list || instance.state !== 'running') return [];
    const runner = list.find((r) => r.name.endsWith(instance.id));
    return [{ instance, owner, runner }];
  });
  return matched;
}

abstract class ReferenceStrategy implements ReclaimStrategy {
  abstract readonly key: Exclude<StrategyKey, 'ours' | 'oracle'>;
  abstract readonly name: string;
  abstract readonly description: string;

  /** Whether to terminate the instance after removing its runner. */
  protected abstract remove(c: Candidate, ports: StrategyPorts): Promise<boolean>;

  async scaleDown(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const now = env.now().getTime();
    const minimumMs = env.config.minimumRunningTimeMinutes.linux * MINUTE_MS;
    const candidates = (await readFleet(ports, env)).filter(
      (c): c is Candidate => !!c.runner && !c.runner.busy && now - c.instance.launchTime.getTime() >= minimumMs,
    );
    const verdicts = await Promise.all(candidates.map((c) => this.remove(c, ports)));
    const doomed = candidates.filter((_, i) => verdicts[i]).map((c) => c.instance.id);
    const terminated = doomed.length > 0 ? (await ports.ec2.terminate(doomed)).terminated.length : 0;
    return { reclaimAttempts: candidates.length, terminated };
  }

  /**
   * Two passes, as the popular module does: an instance past the boot time without a
   * registered runner is tagged `ghr:orphan=true`; still so on the next run, terminated.
   */
  async orphanCleanup(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const now = env.now().getTime();
    const bootMs = env.config.runnerBootTimeMinutes * MINUTE_MS;
    const fleet = await readFleet(ports, env);
    const mark: string[] = [];
    const unmark: string[] = [];
    const doomed: string[] = [];
    for (const { instance, runner } of fleet) {
      const marked = instance.tags[TAG.orphan] === 'true';
      if (runner) {
        if (marked) unmark.push(instance.id);
      } else if (now - instance.launchTime.getTime() >= bootMs) {
        (marked ? doomed : mark).push(instance.id);
      }
    }
    if (mark.length > 0) await ports.ec2.setTags(mark, { [TAG.orphan]: 'true' });
    if (unmark.length > 0) await ports.ec2.removeTags(unmark, [TAG.orphan]);
    const terminated = doomed.length > 0 ? (await ports.ec2.terminate(doomed)).terminated.length : 0;
    return { reclaimAttempts: 0, terminated };
  }
}

export class BusyThenDeleteStrategy extends ReferenceStrategy {
  readonly key = 'a' as const;
  readonly name = '(a) busy, delete, terminate';
  readonly description = 'trusts busy:false from the listing; DELETE, then terminate whatever the DELETE answered';
  protected async remove(c: Candidate, ports: StrategyPorts): Promise<boolean> {
    await ports.github.deleteRunner(c.owner, c.runner.id);
    return true;
  }
}

export class DeleteFirstStrategy extends ReferenceStrategy {
  readonly key = 'b' as const;
  readonly name = '(b) delete, terminate on 204';
  readonly description = 'DELETE the runner; terminate only when GitHub answered 204';
  protected async remove(c: Candidate, ports: StrategyPorts): Promise<boolean> {
    return (await ports.github.deleteRunner(c.owner, c.runner.id)).kind === 'deleted';
  }
}

export class DeleteRecheckStrategy extends ReferenceStrategy {
  readonly key = 'c' as const;
  readonly name = '(c) delete, re-check, 404';
  readonly description = 'DELETE; on 204 GET the runner again; terminate only on 404';
  protected async remove(c: Candidate, ports: StrategyPorts): Promise<boolean> {
    if ((await ports.github.deleteRunner(c.owner, c.runner.id)).kind !== 'deleted') return false;
    return (await ports.github.getRunner(c.owner, c.runner.id)).kind === 'gone';
  }
}
