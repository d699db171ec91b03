/**
 * Reads everything one decision run needs, once: the instances and each owner's runners.
 * Reads only, so the read ports are all it takes (`runner-reaper plan` passes read-only ones).
 */
import type { Ec2ReadPort, GitHubReadPort, MalformedInstance } from '../adapters/ports';
import type { Config } from '../config/schema';
import { ownerKey, ownerOf, type OwnerKey, type OwnerRef, type OwnerRunners, type Snapshot } from '../core';

export interface SnapshotRead {
  snapshot: Snapshot;
  malformed: MalformedInstance[];
}

export async function readSnapshot(
  ports: { ec2: Ec2ReadPort; github: GitHubReadPort },
  config: Config,
  now: Date,
): Promise<SnapshotRead> {
  const listing = await ports.ec2.listRunnerInstances(config.environments);
  const owners = new Map<OwnerKey, OwnerRef>();
  for (const instance of listing.instances) {
    const owner = ownerOf(instance);
    if (owner) owners.set(ownerKey(owner), owner);
  }
  const runnersByOwner = new Map<OwnerKey, OwnerRunners>();
  // Concurrency is bounded inside the GitHub client.
  await Promise.all(
    [...owners].map(async ([key, owner]) => {
      try {
        runnersByOwner.set(key, { ok: true, owner, runners: await ports.github.listRunners(owner) });
      } catch (error) {
        runnersByOwner.set(key, { ok: false, owner, error: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
  return {
    snapshot: { now, instances: listing.instances, runnersByOwner, config },
    malformed: listing.malformed,
  };
}
