/** EC2 instances standing for runner machines, in LocalStack or moto (via AWS_ENDPOINT_URL). */
import { CreateTagsCommand, DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { InstanceRecord, Instances } from './ports';

export class Ec2Instances implements Instances {
  constructor(private readonly ec2: EC2Client) {}

  async launch(count: number, tags: Record<string, string>): Promise<string[]> {
    const out = await this.ec2.send(
      new RunInstancesCommand({
        // Emulators accept any image id; nothing boots.
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 't3.micro',
        MinCount: count,
        MaxCount: count,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    const ids = (out.Instances ?? []).map((i) => i.InstanceId).filter((id): id is string => !!id);
    if (ids.length !== count) throw new Error(`RunInstances launched ${ids.length} instances, not ${count}`);
    return ids;
  }

  async describe(instanceId: string): Promise<InstanceRecord> {
    const out = await this.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }));
    const inst = (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])[0];
    if (!inst) return { instanceId, state: 'gone', tags: {} };
    return {
      instanceId,
      state: inst.State?.Name ?? 'unknown',
      tags: Object.fromEntries((inst.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    };
  }

  async tag(instanceId: string, tags: Record<string, string>): Promise<void> {
    await this.ec2.send(
      new CreateTagsCommand({ Resources: [instanceId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    );
  }

  async terminate(instanceIds: string[]): Promise<void> {
    if (instanceIds.length > 0) await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
  }
}

export function isLive(state: string): boolean {
  return state === 'pending' || state === 'running';
}
