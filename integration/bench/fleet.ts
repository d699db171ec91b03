/**
 * The bench fleet: `size` runner instances in moto with the github-aws-runners tags and
 * one registered runner each in the twin, half of them running a job (ghr:job tagged, as
 * the hooks would) and half idle for long enough that one scale-down run reclaims them.
 */
import { CreateTagsCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { RUNNER_APPLICATION, TAG } from '../../lambda/src/core';
import type { JobDispatcher, TwinOwner } from '../twin/dispatcher';

export interface BenchFleet {
  idle: string[];
  busy: string[];
}

const LAUNCH_BATCH = 500;
const TAG_BATCH = 500;

export async function seedBenchFleet(args: {
  ec2: EC2Client;
  dispatcher: JobDispatcher;
  owner: TwinOwner;
  environment: string;
  size: number;
}): Promise<BenchFleet> {
  const { ec2, dispatcher, owner, environment, size } = args;
  const ids: string[] = [];
  for (let left = size; left > 0; left -= LAUNCH_BATCH) {
    const count = Math.min(LAUNCH_BATCH, left);
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 'm5.large',
        MinCount: count,
        MaxCount: count,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: TAG.application, Value: RUNNER_APPLICATION },
              { Key: TAG.environment, Value: environment },
              { Key: TAG.owner, Value: owner.owner },
              { Key: TAG.type, Value: owner.type },
            ],
          },
        ],
      }),
    );
    ids.push(...(out.Instances ?? []).map((i) => i.InstanceId!));
  }
  const half = Math.floor(ids.length / 2);
  const busy = ids.slice(0, half);
  const idle = ids.slice(half);
  const now = Date.now();
  await tagAll(ec2, busy, { [TAG.job]: 'run-1/build', [TAG.jobStartedAt]: new Date(now - 60_000).toISOString() });
  // Idle for ten minutes already: confirmed on the first run.
  await tagAll(ec2, idle, { [TAG.idleSince]: new Date(now - 600_000).toISOString() });

  const { token } = dispatcher.createRegistrationToken(owner);
  const busySet = new Set(busy);
  for (const id of ids) {
    const runner = dispatcher.registerRunner({ token, name: id, instanceId: id });
    dispatcher.poll(runner.id);
    if (busySet.has(id)) {
      const job = dispatcher.assignNow({ runnerId: runner.id, durationMs: 3_600_000 });
      dispatcher.startJob(job.id);
    }
  }
  return { idle, busy };
}

async function tagAll(ec2: EC2Client, ids: string[], tags: Record<string, string>): Promise<void> {
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  for (let i = 0; i < ids.length; i += TAG_BATCH) {
    await ec2.send(new CreateTagsCommand({ Resources: ids.slice(i, i + TAG_BATCH), Tags }));
  }
}
