/**
 * Reads everything one decision run needs, once: the instances of every environment this
 * deployment owns, ONE runner listing per owner (shared by all environments whose instances
 * that owner serves), and which instances the SSM probe can reach. Read-only ports only,
 * so the plan command can use it as is.
 */
import type { Ec2ReadPort, GitHubReadPort, MalformedInstance, ProbeAvailabilityPort } from '../adapters/ports';
import type { Config } from '../config/schema';
import { ownerKey, ownerOf, type OwnerKey, type OwnerRef, type OwnerRunners, type ProbeAvailability, type Snapshot } from '../core';

export interface SnapshotRead {
  snapshot: Snapshot & { probe: ProbeAvailability };
  malformed: MalformedInstance[];
}

export interface SnapshotPorts {
  ec2: Ec2ReadPort;
  github: GitHubReadPort;
  /** Present when the probe is on (see runtime.ts, probeEnabled). */
  probe?: ProbeAvailabilityPort;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function probeAvailability(probe: ProbeAvailabilityPort | undefined, ids: string[]): Promise<ProbeAvailability> {
  if (!probe) return { enabled: false, online: new Set() };
  if (ids.length === 0) return { enabled: true, online: new Set() };
  try {
    return { enabled: true, online: await probe.onlineInstances(ids) };
  } catch (error) {
    // Fail closed: nothing counts as probe-able when SSM cannot say.
    const name = error instanceof Error ? `${error.name}: ` : '';
    return { enabled: true, online: new Set(), error: `DescribeInstanceInformation failed: ${name}${errorText(error)}` };
  }
}

export async function readSnapshot(ports: SnapshotPorts, config: Config, now: Date): Promise<SnapshotRead> {
  const listing = await ports.ec2.listRunnerInstances(config.environments);
  const owners = new Map<OwnerKey, OwnerRef>();
  for (const instance of listing.instances) {
    const owner = ownerOf(instance);
    if (owner) owners.set(ownerKey(owner), owner);
  }
  const runnersByOwner = new Map<OwnerKey, OwnerRunners>();
  // Concurrency is bounded inside the GitHub client; SSM is asked at the same time.
  const [probe] = await Promise.all([
    probeAvailability(
      ports.probe,
      listing.instances.map((i) => i.id),
    ),
    ...[...owners].map(async ([key, owner]) => {
      try {
        runnersByOwner.set(key, { ok: true, owner, runners: await ports.github.listRunners(owner) });
      } catch (error) {
        runnersByOwner.set(key, { ok: false, owner, error: errorText(error) });
      }
    }),
  ]);
  return {
    snapshot: { now, instances: listing.instances, runnersByOwner, probe, config },
    malformed: listing.malformed,
  };
}
