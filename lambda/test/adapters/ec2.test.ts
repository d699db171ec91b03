import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2Adapter, chunk, parseInstance } from '../../src/adapters/ec2';
import { REGION_AND_CREDENTIALS } from '../helpers/ec2-fake';

const ec2Mock = mockClient(EC2Client);
const adapter = () => new Ec2Adapter(new EC2Client(REGION_AND_CREDENTIALS));
const LAUNCH = new Date('2026-11-29T10:00:00Z');

afterEach(() => ec2Mock.reset());

describe('parseInstance', () => {
  it.each([
    [{ Platform: 'windows' as never, PlatformDetails: 'Windows' }, 'windows'],
    [{ PlatformDetails: 'Windows with SQL Server Standard' }, 'windows'],
    [{ PlatformDetails: 'Linux/UNIX', InstanceType: 'mac2.metal' as const }, 'macos'],
    [{ PlatformDetails: 'Linux/UNIX', InstanceType: 'm7g.large' as const }, 'linux'],
    [{ PlatformDetails: 'Red Hat Enterprise Linux' }, 'linux'],
    [{}, undefined],
  ])('reads the platform from %p as %p', (fields, platform) => {
    const parsed = parseInstance({ InstanceId: 'i-1', LaunchTime: LAUNCH, State: { Name: 'running' }, ...fields });
    expect(parsed.ok && parsed.instance.platform).toBe(platform ?? undefined);
  });

  it('reads id, state, launch time and tags', () => {
    const parsed = parseInstance({
      InstanceId: 'i-1',
      LaunchTime: LAUNCH,
      State: { Name: 'running' },
      Tags: [{ Key: 'a', Value: '1' }, { Key: 'b' }, { Value: 'no key' }],
    });
    expect(parsed).toEqual({ ok: true, instance: { id: 'i-1', state: 'running', launchTime: LAUNCH, tags: { a: '1', b: '' } } });
  });

  it.each([
    [{ LaunchTime: LAUNCH, State: { Name: 'running' as const } }, 'no InstanceId'],
    [{ InstanceId: 'i-2', State: { Name: 'running' as const } }, 'no valid LaunchTime'],
    [{ InstanceId: 'i-3', LaunchTime: new Date('nope'), State: { Name: 'running' as const } }, 'no valid LaunchTime'],
    [{ InstanceId: 'i-4', LaunchTime: LAUNCH }, 'unknown state undefined'],
  ])('reports a malformed instance instead of reading it (%#)', (raw, problem) => {
    const parsed = parseInstance(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.malformed.problem).toBe(problem);
  });
});

describe('Ec2Adapter', () => {
  it('lists runner instances of one environment across all pages, skipping malformed ones', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [{ Instances: [{ InstanceId: 'i-1', LaunchTime: LAUNCH, State: { Name: 'running' } }] }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Reservations: [
          { Instances: [{ InstanceId: 'i-2', LaunchTime: LAUNCH, State: { Name: 'pending' } }, { InstanceId: 'i-bad' }] },
        ],
      });
    const listing = await adapter().listRunnerInstances(['ci']);
    expect(listing.instances.map((i) => i.id)).toEqual(['i-1', 'i-2']);
    expect(listing.malformed).toEqual([{ instanceId: 'i-bad', problem: 'no valid LaunchTime' }]);
    const calls = ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.Filters).toEqual([
      { Name: 'tag:ghr:environment', Values: ['ci'] },
      { Name: 'tag:ghr:Application', Values: ['github-action-runner'] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ]);
    expect(calls[1]?.NextToken).toBe('page-2');
  });

  it('re-reads instances by an instance-id filter (no NotFound for vanished ids), 200 ids per call', async () => {
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: { Filters: { Values: string[] }[] }) => ({
      Reservations: [
        {
          Instances: (input.Filters[0]?.Values ?? [])
            .filter((id) => id !== 'i-gone')
            .map((id) => ({ InstanceId: id, LaunchTime: LAUNCH, State: { Name: 'running' } })),
        },
      ],
    }));
    const ids = ['i-gone', ...Array.from({ length: 250 }, (_, n) => `i-${n}`), 'i-0'];
    const found = await adapter().describeByIds(ids);
    expect(found.size).toBe(250);
    expect(found.has('i-gone')).toBe(false);
    const calls = ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Filters?.[0]?.Name)).toEqual(['instance-id', 'instance-id']);
    expect(calls.map((c) => c.Filters?.[0]?.Values?.length)).toEqual([200, 51]);
  });

  it('throws when the re-read fails, so callers keep', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(new Error('RequestLimitExceeded'));
    await expect(adapter().describeByIds(['i-1'])).rejects.toThrow('RequestLimitExceeded');
  });

  it('terminates in batches of at most 1,000 and reports a failed batch', async () => {
    ec2Mock
      .on(TerminateInstancesCommand)
      .resolvesOnce({})
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalError' }))
      .resolvesOnce({});
    const ids = Array.from({ length: 2500 }, (_, n) => `i-${n}`);
    const result = await adapter().terminate(ids);
    const sizes = ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds?.length);
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(result.terminated).toHaveLength(1500);
    expect(result.failed).toHaveLength(1000);
    expect(result.failed[0]).toEqual({ instanceId: 'i-1000', error: 'InternalError: boom' });
  });

  it('writes and removes tags in batches, and skips empty requests', async () => {
    ec2Mock.on(CreateTagsCommand).resolves({});
    ec2Mock.on(DeleteTagsCommand).resolves({});
    const ids = Array.from({ length: 1200 }, (_, n) => `i-${n}`);
    await adapter().setTags(ids, { k: 'v' });
    await adapter().removeTags(ids, ['k', 'l']);
    await adapter().setTags([], { k: 'v' });
    await adapter().setTags(ids, {});
    await adapter().removeTags(ids, []);
    expect(ec2Mock.commandCalls(CreateTagsCommand).map((c) => c.args[0].input.Resources?.length)).toEqual([1000, 200]);
    expect(ec2Mock.commandCalls(CreateTagsCommand)[0]?.args[0].input.Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    expect(ec2Mock.commandCalls(DeleteTagsCommand).map((c) => c.args[0].input.Tags)).toEqual([
      [{ Key: 'k' }, { Key: 'l' }],
      [{ Key: 'k' }, { Key: 'l' }],
    ]);
  });

  it('propagates a failed tag write', async () => {
    ec2Mock.on(CreateTagsCommand).rejects(new Error('UnauthorizedOperation'));
    await expect(adapter().setTags(['i-1'], { k: 'v' })).rejects.toThrow('UnauthorizedOperation');
  });

  it('chunks lists', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
  });
});
