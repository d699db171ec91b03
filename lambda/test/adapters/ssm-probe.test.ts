import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { PROBE_PLATFORMS, SsmProbe } from '../../src/adapters/ssm-probe';

const REGION = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());

const answer = (busy: boolean, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    probe: 'runner-reaper',
    version: 1,
    busy,
    workers: busy ? 1 : 0,
    idleSince: busy ? null : '2026-12-01T10:00:00Z',
    now: '2026-12-01T10:05:00Z',
    ...extra,
  });

/** What an instance's invocation looks like at a moment of the virtual clock. */
type Script = (elapsedMs: number) => Partial<CommandInvocation>;

const success = (stdout: string): Partial<CommandInvocation> => ({
  Status: 'Success',
  StatusDetails: 'Success',
  CommandPlugins: [{ Name: 'probe', Status: 'Success', Output: stdout }],
});
const after = (ms: number, then: Partial<CommandInvocation>): Script => (t) => (t >= ms ? then : { Status: 'InProgress', StatusDetails: 'InProgress' });

/** A Run Command stand-in on a virtual clock: each instance follows its script. */
function world(scripts: Record<string, Script>, options: { timeoutSeconds?: number; stdout?: Record<string, string> } = {}) {
  let now = 0;
  const sent: string[][] = [];
  let commands = 0;
  const byCommand = new Map<string, string[]>();
  ssm.on(SendCommandCommand).callsFake((input: { InstanceIds: string[] }) => {
    sent.push(input.InstanceIds);
    const id = `${String(++commands).padStart(8, '0')}-0000-0000-0000-000000000000`;
    byCommand.set(id, input.InstanceIds);
    return { Command: { CommandId: id } };
  });
  ssm.on(ListCommandInvocationsCommand).callsFake((input: { CommandId: string }) => ({
    CommandInvocations: (byCommand.get(input.CommandId) ?? []).map((InstanceId) => ({
      CommandId: input.CommandId,
      InstanceId,
      ...(scripts[InstanceId] ?? (() => ({ Status: 'Pending' })))(now),
    })),
  }));
  ssm.on(GetCommandInvocationCommand).callsFake((input: { InstanceId: string }) => ({
    Status: 'Success',
    StatusDetails: 'Success',
    StandardOutputContent: options.stdout?.[input.InstanceId] ?? '',
  }));
  const probe = new SsmProbe(new SSMClient(REGION), {
    documentName: 'gh-ci-reaper-probe',
    timeoutSeconds: options.timeoutSeconds ?? 10,
    pollIntervalMs: 1000,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return { probe, sent, clock: () => now };
}

describe('SsmProbe.probe', () => {
  it('asks every instance in one SendCommand per 50, with the document and no cascading cancel', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    const { probe, sent } = world(Object.fromEntries(ids.map((id) => [id, after(0, success(answer(false)))])));
    const reads = await probe.probe([...ids, ids[0]!]);
    expect(sent.map((part) => part.length)).toEqual([50, 50, 20]);
    expect(reads.size).toBe(120);
    expect([...reads.values()].every((r) => r.kind === 'answered' && !r.busy)).toBe(true);
    const input = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ DocumentName: 'gh-ci-reaper-probe', MaxConcurrency: '100%', MaxErrors: '100%', TimeoutSeconds: 30 });
    expect(probe.stats).toEqual({ probesSent: 120, probeFailures: 0 });
  });

  it('reads busy, idle and idle-since from the machine', async () => {
    const { probe } = world({
      'i-busy': after(1500, success(answer(true))),
      'i-idle': after(0, success(`notice: something\n${answer(false)}\n`)),
    });
    const reads = await probe.probe(['i-busy', 'i-idle']);
    expect(reads.get('i-busy')).toMatchObject({ kind: 'answered', busy: true });
    expect(reads.get('i-idle')).toEqual({
      kind: 'answered',
      busy: false,
      idleSince: new Date('2026-12-01T10:00:00Z'),
      at: new Date('2026-12-01T10:05:00Z'),
      detail: 'no job runs',
    });
  });

  it.each([
    ['failed', { Status: 'Failed', StatusDetails: 'Failed' }, /ended Failed/],
    ['cancelled', { Status: 'Cancelled', StatusDetails: 'Cancelled' }, /ended Cancelled/],
    ['timed out on the machine', { Status: 'TimedOut', StatusDetails: 'Execution Timed Out' }, /Execution Timed Out/],
    ['undeliverable', { Status: 'Failed', StatusDetails: 'Undeliverable' }, /Undeliverable/],
    ['terminated by the system', { Status: 'InProgress', StatusDetails: 'Terminated' }, /Terminated/],
    ['malformed output', success('{"probe":"runner-reaper","version":1,"busy":"no"}'), /malformed probe answer/],
    ['no output at all', success(''), /printed nothing/],
    ['an unknown answer version', success(answer(false, { version: 2 })), /malformed probe answer/],
  ])('%s -> an error for that instance only', async (_name, invocation, message) => {
    const { probe } = world({ 'i-bad': after(0, invocation as Partial<CommandInvocation>), 'i-good': after(0, success(answer(false))) });
    const reads = await probe.probe(['i-bad', 'i-good']);
    expect(reads.get('i-bad')).toEqual({ kind: 'error', error: expect.stringMatching(message) });
    expect(reads.get('i-good')).toMatchObject({ kind: 'answered' });
    expect(probe.stats.probeFailures).toBe(1);
  });

  it('an agent that went offline (the invocation never finishes) -> an error at the deadline, and no later', async () => {
    const { probe, clock } = world({ 'i-gone': () => ({ Status: 'Delayed', StatusDetails: 'Delayed' }), 'i-ok': after(2000, success(answer(false))) }, { timeoutSeconds: 7 });
    const reads = await probe.probe(['i-gone', 'i-ok']);
    expect(reads.get('i-gone')).toEqual({ kind: 'error', error: 'no probe answer within 7 s' });
    expect(reads.get('i-ok')).toMatchObject({ kind: 'answered' });
    expect(clock()).toBe(7000);
  });

  it('stops as soon as every instance answered', async () => {
    const { probe, clock } = world({ 'i-a': after(0, success(answer(false))) });
    await probe.probe(['i-a']);
    expect(clock()).toBe(500);
  });

  it('a failed SendCommand -> an error for its batch; the other batches are still asked', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    const { probe } = world(Object.fromEntries(ids.map((id) => [id, after(0, success(answer(false)))])));
    ssm.on(SendCommandCommand, { InstanceIds: ids.slice(0, 50) }).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const reads = await probe.probe(ids);
    expect(reads.get(ids[0]!)).toEqual({ kind: 'error', error: 'SendCommand failed: AccessDeniedException: not allowed' });
    expect(reads.get(ids[55]!)).toMatchObject({ kind: 'answered' });
  });

  it('answers that cannot be read until the deadline -> errors naming the last failure', async () => {
    const { probe } = world({ 'i-a': after(0, success(answer(false))) }, { timeoutSeconds: 3 });
    ssm.on(ListCommandInvocationsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const reads = await probe.probe(['i-a']);
    expect(reads.get('i-a')).toEqual({ kind: 'error', error: 'no probe answer within 3 s; last read failed: ThrottlingException: Rate exceeded' });
  });

  it('reads the full stdout when the listed Output is cut off or mixed with stderr', async () => {
    const noisy = `${answer(true)}\n----------ERROR-------\nwarning: something on stderr`;
    const { probe } = world(
      {
        'i-noisy': after(0, success(noisy)),
        'i-long': after(0, success(`${'x'.repeat(2450)}\n{"probe":"runner-rea`)),
      },
      { stdout: { 'i-long': answer(false) } },
    );
    const reads = await probe.probe(['i-noisy', 'i-long']);
    // stderr after the marker is cut away, and the stdout before it parses.
    expect(reads.get('i-noisy')).toMatchObject({ kind: 'answered', busy: true });
    expect(reads.get('i-long')).toMatchObject({ kind: 'answered', busy: false });
    expect(ssm.commandCalls(GetCommandInvocationCommand).map((c) => c.args[0].input.InstanceId)).toEqual(['i-long']);
  });

  it('no ids: no call', async () => {
    const { probe } = world({});
    expect((await probe.probe([])).size).toBe(0);
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('SsmProbe.onlineInstances', () => {
  it('online instances on a supported platform, among those asked, every page', async () => {
    ssm.on(DescribeInstanceInformationCommand).callsFake((input: { NextToken?: string }) =>
      input.NextToken === undefined
        ? {
            InstanceInformationList: [
              { InstanceId: 'i-linux', PingStatus: 'Online', PlatformType: 'Linux' },
              { InstanceId: 'i-lost', PingStatus: 'ConnectionLost', PlatformType: 'Linux' },
            ],
            NextToken: 'page-2',
          }
        : {
            InstanceInformationList: [
              { InstanceId: 'i-windows', PingStatus: 'Online', PlatformType: 'Windows' },
              { InstanceId: 'i-mac', PingStatus: 'Online', PlatformType: 'MacOS' },
              { InstanceId: 'i-not-asked', PingStatus: 'Online', PlatformType: 'Linux' },
            ],
          },
    );
    const probe = new SsmProbe(new SSMClient(REGION), { documentName: 'doc', timeoutSeconds: 10 });
    const online = await probe.onlineInstances(['i-linux', 'i-lost', 'i-windows', 'i-mac', 'i-inactive']);
    expect([...online]).toEqual(['i-linux']);
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)[0]!.args[0].input).toEqual({
      Filters: [{ Key: 'InstanceIds', Values: ['i-linux', 'i-lost', 'i-windows', 'i-mac', 'i-inactive'] }],
      MaxResults: 50,
    });
    expect([...PROBE_PLATFORMS]).toEqual(['Linux']);
  });

  it('asks in batches of 50 ids, and throws when SSM cannot be read', async () => {
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
    const probe = new SsmProbe(new SSMClient(REGION), { documentName: 'doc', timeoutSeconds: 10 });
    await probe.onlineInstances(Array.from({ length: 120 }, (_, i) => `i-${i}`));
    expect(ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input.Filters![0]!.Values!.length)).toEqual([50, 50, 20]);
    ssm.on(DescribeInstanceInformationCommand).rejects(new Error('AccessDenied'));
    await expect(probe.onlineInstances(['i-1'])).rejects.toThrow('AccessDenied');
  });
});
