/**
 * An in-memory EC2 behind aws-sdk-client-mock: DescribeInstances (with the tag, state and
 * instance-id filters the adapter uses), CreateTags, DeleteTags and TerminateInstances
 * change and read one store, so a fresh read sees what an earlier write did.
 */
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type Instance,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

export interface FakeInstance {
  id: string;
  state: string;
  launchTime: Date;
  tags: Record<string, string>;
}

export interface Ec2Fake {
  mock: AwsClientStub<EC2Client>;
  client: EC2Client;
  instances: Map<string, FakeInstance>;
  add(id: string, tags: Record<string, string>, extra?: Partial<FakeInstance>): FakeInstance;
  /** Calls of a command, in order. */
  calls<T>(command: new (input: T) => unknown): T[];
  /** Number of write calls (tags and terminations). */
  writes(): number;
}

export const REGION_AND_CREDENTIALS = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};

function matches(instance: FakeInstance, input: DescribeInstancesCommandInput): boolean {
  for (const filter of input.Filters ?? []) {
    const values = filter.Values ?? [];
    const name = filter.Name ?? '';
    if (name === 'instance-state-name' && !values.includes(instance.state)) return false;
    if (name === 'instance-id' && !values.includes(instance.id)) return false;
    if (name.startsWith('tag:')) {
      const value = instance.tags[name.slice(4)];
      if (value === undefined || !values.includes(value)) return false;
    }
  }
  if (input.InstanceIds && !input.InstanceIds.includes(instance.id)) return false;
  return true;
}

function toSdk(instance: FakeInstance): Instance {
  return {
    InstanceId: instance.id,
    LaunchTime: instance.launchTime,
    State: { Name: instance.state as never },
    Tags: Object.entries(instance.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** `events`, when given, receives one line per write, to check ordering against GitHub calls. */
export function fakeEc2(events?: string[]): Ec2Fake {
  const mock = mockClient(EC2Client);
  const instances = new Map<string, FakeInstance>();
  mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => ({
    Reservations: [{ Instances: [...instances.values()].filter((i) => matches(i, input)).map(toSdk) }],
  }));
  mock.on(CreateTagsCommand).callsFake((input: { Resources: string[]; Tags: { Key: string; Value: string }[] }) => {
    events?.push(`CreateTags ${input.Tags.map((t) => t.Key).join(',')} ${input.Resources.join(',')}`);
    for (const id of input.Resources) {
      const instance = instances.get(id);
      if (instance) for (const tag of input.Tags) instance.tags[tag.Key] = tag.Value;
    }
    return {};
  });
  mock.on(DeleteTagsCommand).callsFake((input: { Resources: string[]; Tags: { Key: string }[] }) => {
    events?.push(`DeleteTags ${input.Tags.map((t) => t.Key).join(',')} ${input.Resources.join(',')}`);
    for (const id of input.Resources) {
      const instance = instances.get(id);
      if (instance) for (const tag of input.Tags) delete instance.tags[tag.Key];
    }
    return {};
  });
  mock.on(TerminateInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
    events?.push(`TerminateInstances ${input.InstanceIds.join(',')}`);
    for (const id of input.InstanceIds) {
      const instance = instances.get(id);
      if (instance) instance.state = 'shutting-down';
    }
    return { TerminatingInstances: input.InstanceIds.map((InstanceId) => ({ InstanceId })) };
  });
  const fake: Ec2Fake = {
    mock,
    client: new EC2Client(REGION_AND_CREDENTIALS),
    instances,
    add(id, tags, extra = {}) {
      const instance: FakeInstance = {
        id,
        state: 'running',
        launchTime: new Date('2026-11-29T10:00:00Z'),
        tags: { ...tags },
        ...extra,
      };
      instances.set(id, instance);
      return instance;
    },
    calls: <T>(command: new (input: T) => unknown) =>
      mock.commandCalls(command as never).map((call) => call.args[0].input as T),
    writes: () =>
      mock.commandCalls(CreateTagsCommand).length +
      mock.commandCalls(DeleteTagsCommand).length +
      mock.commandCalls(TerminateInstancesCommand).length,
  };
  return fake;
}
