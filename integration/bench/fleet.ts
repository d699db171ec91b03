/**
 * The bench fleet: runner instances in moto with the github-aws-runners tags and one
 * registered runner each in the twin, every machine with proven job hooks (the
 * `ghr:job-hooks` boot marker). Half of a size runs a job (ghr:job tagged, as the hooks
 * would; busy on GitHub) and is seeded once per size: no strategy may touch it. The other
 * half has been idle for ten minutes, so one scale-down run reclaims it; it is launched
 * afresh for each strategy and whatever a strategy left of it is retired before the next.
 * All tags go in with RunInstances: moto's CreateTags is slow for thousands of instances.
 */
import { RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { HOOKS_CONTRACT_VERSION, RUNNER_APPLICATION, TAG } from '../../lambda/src/core';
import type { JobDispatcher, TwinOwner } from '../twin/dispatcher';

export interface FleetWorld {
  ec2: EC2Client;
  dispatcher: JobDispatcher;
  owner: TwinOwner;
  environment: string;
  progress?: (line: string) => void;
}

const LAUNCH_BATCH = 500;

function baseTags(world: FleetWorld): Record<string, string> {
  return {
    [TAG.application]: RUNNER_APPLICATION,
    [TAG.environment]: world.environment,
    [TAG.owner]: world.owner.owner,
    [TAG.type]: world.owner.type,
    [TAG.jobHooks]: HOOKS_CONTRACT_VERSION,
  };
}

async function launch(world: FleetWorld, count: number, tags: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  for (let left = count; left > 0; left -= LAUNCH_BATCH) {
    const n = Math.min(LAUNCH_BATCH, left);
    const out = await world.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 'm5.large',
        MinCount: n,
        MaxCount: n,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    ids.push(...(out.Instances ?? []).map((i) => i.InstanceId!));
    world.progress?.(`launched ${ids.length}/${count}`);
  }
  return ids;
}

function register(world: FleetWorld, ids: readonly string[], busy: boolean): Map<string, number> {
  const { dispatcher, owner } = world;
  const { token } = dispatcher.createRegistrationToken(owner);
  const runners = new Map<string, number>();
  for (const id of ids) {
    const runner = dispatcher.registerRunner({ token, name: id, instanceId: id });
    dispatcher.poll(runner.id);
    runners.set(id, runner.id);
    if (busy) dispatcher.startJob(dispatcher.assignNow({ runnerId: runner.id, durationMs: 3_600_000 }).id);
  }
  return runners;
}

/** The busy half: a job running for a minute already (and for an hour more). */
export async function seedBusy(world: FleetWorld, count: number): Promise<string[]> {
  const ids = await launch(world, count, {
    ...baseTags(world),
    [TAG.job]: 'run-1/build',
    [TAG.jobStartedAt]: new Date(Date.now() - 60_000).toISOString(),
  });
  register(world, ids, true);
  return ids;
}

export interface IdleHalf {
  ids: string[];
  runners: Map<string, number>;
}

/** The idle half for one strategy: idle for ten minutes already, so confirmed on the first run. */
export async function seedIdle(world: FleetWorld, count: number): Promise<IdleHalf> {
  const ids = await launch(world, count, { ...baseTags(world), [TAG.idleSince]: new Date(Date.now() - 600_000).toISOString() });
  return { ids, runners: register(world, ids, false) };
}

/** Removes what a strategy left of its idle half (instances and runners), so the next one starts clean. */
export async function retireIdle(world: FleetWorld, half: IdleHalf, terminated: ReadonlySet<string>): Promise<void> {
  const left = half.ids.filter((id) => !terminated.has(id));
  for (let i = 0; i < left.length; i += 1000) {
    await world.ec2.send(new TerminateInstancesCommand({ InstanceIds: left.slice(i, i + 1000) }));
  }
  for (const id of half.ids) {
    const runnerId = half.runners.get(id)!;
    if (world.dispatcher.getRunner(world.owner, runnerId)) world.dispatcher.deleteRunner(world.owner, runnerId);
  }
}
