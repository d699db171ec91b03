/**
 * EC2 adapter. Reads runner instances and writes only what the executors ask for. An
 * instance whose description is incomplete (no id, no launch time, unknown state) is
 * reported as malformed and never becomes an InstanceView, so it can never be terminated.
 */
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  EC2Client,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  type Filter,
  type Instance,
} from '@aws-sdk/client-ec2';
import { RUNNER_APPLICATION, TAG, type InstanceView, type RunnerOs } from '../core';
import type { Ec2Port, InstanceListing, MalformedInstance, TerminateResult } from './ports';

/** TerminateInstances, CreateTags and DeleteTags accept at most this many ids per call. */
export const EC2_BATCH_SIZE = 1000;
/** EC2 accepts at most 200 values in one filter. */
const FILTER_VALUES_LIMIT = 200;

const KNOWN_STATES: ReadonlySet<string> = new Set([
  'pending',
  'running',
  'shutting-down',
  'terminated',
  'stopping',
  'stopped',
]);

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

type Parsed = { ok: true; instance: InstanceView } | { ok: false; malformed: MalformedInstance };

/** Turn one SDK Instance into an InstanceView, or say why it cannot be trusted. */
export function parseInstance(raw: Instance): Parsed {
  const id = raw.InstanceId;
  if (!id) return { ok: false, malformed: { problem: 'no InstanceId' } };
  const launchTime = raw.LaunchTime instanceof Date ? raw.LaunchTime : undefined;
  if (!launchTime || Number.isNaN(launchTime.getTime())) {
    return { ok: false, malformed: { instanceId: id, problem: 'no valid LaunchTime' } };
  }
  const state = raw.State?.Name;
  if (!state || !KNOWN_STATES.has(state)) {
    return { ok: false, malformed: { instanceId: id, problem: `unknown state ${String(state)}` } };
  }
  const tags: Record<string, string> = {};
  for (const tag of raw.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  const platform = platformOf(raw);
  return {
    ok: true,
    instance: { id, state: state as InstanceView['state'], launchTime, tags, ...(platform ? { platform } : {}) },
  };
}

/**
 * The OS as EC2 tells it: `Platform` is `windows` for Windows and absent otherwise;
 * `PlatformDetails` names the AMI's platform ("Windows", "Linux/UNIX", ...); macOS runs
 * only on the mac* instance families. Undefined when EC2 does not say.
 */
export function platformOf(raw: Instance): RunnerOs | undefined {
  if (String(raw.Platform ?? '').toLowerCase() === 'windows' || raw.PlatformDetails?.startsWith('Windows')) return 'windows';
  if (raw.InstanceType?.startsWith('mac')) return 'macos';
  if (raw.PlatformDetails !== undefined && raw.PlatformDetails !== '') return 'linux';
  return undefined;
}

export class Ec2Adapter implements Ec2Port {
  constructor(private readonly client: EC2Client = new EC2Client({})) {}

  async listRunnerInstances(environments: readonly string[]): Promise<InstanceListing> {
    const filters: Filter[] = [
      { Name: `tag:${TAG.environment}`, Values: [...environments] },
      { Name: `tag:${TAG.application}`, Values: [RUNNER_APPLICATION] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ];
    const listing: InstanceListing = { instances: [], malformed: [] };
    for await (const instance of this.describe(filters)) {
      const parsed = parseInstance(instance);
      if (parsed.ok) listing.instances.push(parsed.instance);
      else listing.malformed.push(parsed.malformed);
    }
    return listing;
  }

  async describeByIds(ids: readonly string[]): Promise<Map<string, InstanceView>> {
    const found = new Map<string, InstanceView>();
    // A filter, not InstanceIds: an id that no longer exists is simply absent instead of
    // failing the whole call with InvalidInstanceID.NotFound.
    for (const part of chunk([...new Set(ids)], FILTER_VALUES_LIMIT)) {
      for await (const instance of this.describe([{ Name: 'instance-id', Values: part }])) {
        const parsed = parseInstance(instance);
        if (parsed.ok) found.set(parsed.instance.id, parsed.instance);
      }
    }
    return found;
  }

  async setTags(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(tags);
    if (ids.length === 0 || entries.length === 0) return;
    for (const part of chunk(ids, EC2_BATCH_SIZE)) {
      await this.client.send(
        new CreateTagsCommand({
          Resources: part,
          Tags: entries.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    }
  }

  async removeTags(ids: readonly string[], keys: readonly string[]): Promise<void> {
    if (ids.length === 0 || keys.length === 0) return;
    for (const part of chunk(ids, EC2_BATCH_SIZE)) {
      await this.client.send(
        new DeleteTagsCommand({ Resources: part, Tags: keys.map((Key) => ({ Key })) }),
      );
    }
  }

  async terminate(ids: readonly string[]): Promise<TerminateResult> {
    const result: TerminateResult = { terminated: [], failed: [] };
    for (const part of chunk([...new Set(ids)], EC2_BATCH_SIZE)) {
      try {
        await this.client.send(new TerminateInstancesCommand({ InstanceIds: part }));
        result.terminated.push(...part);
      } catch (error) {
        const text = errorText(error);
        result.failed.push(...part.map((instanceId) => ({ instanceId, error: text })));
      }
    }
    return result;
  }

  private async *describe(filters: Filter[]): AsyncGenerator<Instance> {
    const pages = paginateDescribeInstances(
      { client: this.client, pageSize: 1000 },
      { Filters: filters },
    );
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) yield instance;
      }
    }
  }
}
