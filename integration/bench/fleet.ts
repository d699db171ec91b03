/**
 * The bench fleet: `size` runner instances in moto with the github-aws-runners tags and
 * one registered runner each in the twin, half of them running a job (ghr:job tagged, as
 * the hooks would) and half idle for long enough that one scale-down run reclaims them.
 * All tags go in with RunInstances: moto's CreateTags looks every id up in a linear scan,
 * which makes tagging thousands of instances afterwards very slow.
 */
import { RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { RUNNER_APPLICATION, TAG } from '../../lambda/src/core';
import type { JobDispatcher, TwinOwner } from '../twin/dispatcher';

export interface BenchFleet {
  idle: string[];
  busy: string[];
}

const LAUNCH_BATCH = 500;

export async function seedBenchFleet(args: {
  ec2: EC2Client;
  dispatcher: JobDispatcher;
  owner: TwinOwner;
  environment: string;
  size: number;
  progress?: (line: string) => void;
}): Promise<BenchFleet> {
  const { ec2, dispatcher, owner, environment, size } = args;
  const now = Date.now();
  const base = {
    [TAG.application]: RUNNER_APPLICATION,
    [TAG.environment]: environment,
    [TAG.owner]: owner.owner,
    [TAG.type]: owner.type,
  };
  const launch = async (count: number, tags: Record<string, string>): Promise<string[]> => {
    const ids: string[] = [];
    for (let left = count; left > 0; left -= LAUNCH_BATCH) {
      const n = Math.min(LAUNCH_BATCH, left);
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0123456789abcdef0',
          InstanceType: 'm5.large',
          MinCount: n,
          MaxCount: n,
          TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
        }),
      );
      ids.push(...(out.Instances ?? []).map((i) => i.InstanceId!));
      args.progress?.(`launched ${ids.length}/${count}`);
    }
    return ids;
  };
  const busy = await launch(Math.floor(size / 2), {
    ...base,
    [TAG.job]: 'run-1/build',
    [TAG.jobStartedAt]: new Date(now - 60_000).toISOString(),
  });
  // Idle for ten minutes already: confirmed on the first run.
  const idle = await launch(size - busy.length, { ...base, [TAG.idleSince]: new Date(now - 600_000).toISOString() });

  const { token } = dispatcher.createRegistrationToken(owner);
  const busySet = new Set(busy);
  for (const id of [...busy, ...idle]) {
    const runner = dispatcher.registerRunner({ token, name: id, instanceId: id });
    dispatcher.poll(runner.id);
    if (busySet.has(id)) {
      const job = dispatcher.assignNow({ runnerId: runner.id, durationMs: 3_600_000 });
      dispatcher.startJob(job.id);
    }
  }
  return { idle, busy };
}
