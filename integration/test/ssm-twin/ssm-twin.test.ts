/**
 * The SSM twin through the real AWS SDK v3 client: managed instances, SendCommand running
 * the real probe document (stored in moto) on each target's local machine, the answers
 * from the machines' real state, every fault switch, and proxying of the rest to moto.
 */
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  PutParameterCommand,
  SendCommandCommand,
  paginateDescribeInstanceInformation,
} from '@aws-sdk/client-ssm';
import { parseProbeOutput } from '../../../lambda/src/adapters/probe-answer';
import { PROBE_DOCUMENT, TwinFixture, errorOf } from './support';

jest.setTimeout(60_000);

describe('the SSM twin', () => {
  const w = new TwinFixture();
  beforeAll(() => w.start(), 30_000);
  afterAll(() => w.stop());
  beforeEach(() => w.reset());

  const send = (InstanceIds: string[], extra: Record<string, unknown> = {}) =>
    w.ssm.send(new SendCommandCommand({ DocumentName: PROBE_DOCUMENT, InstanceIds, ...extra }));

  it('lists SSM-managed machines only, Online while they run, ConnectionLost when offline or gone, in pages', async () => {
    const a = await w.machine();
    const b = await w.machine();
    const unmanaged = await w.machine({ ssm: false });
    const extra = await Promise.all([1, 2, 3, 4, 5].map(() => w.machine()));
    w.twin.engine.setOnline(b.instanceId, false);
    await extra[0]!.destroy();

    const pages = [];
    for await (const page of paginateDescribeInstanceInformation({ client: w.ssm, pageSize: 5 }, {})) pages.push(page);
    expect(pages).toHaveLength(2);
    const all = pages.flatMap((p) => p.InstanceInformationList ?? []);
    const status = Object.fromEntries(all.map((i) => [i.InstanceId, i.PingStatus]));
    expect(Object.keys(status)).toHaveLength(7);
    expect(status[unmanaged.instanceId]).toBeUndefined();
    expect(status[a.instanceId]).toBe('Online');
    expect(status[b.instanceId]).toBe('ConnectionLost');
    expect(status[extra[0]!.instanceId]).toBe('ConnectionLost');
    expect(all.every((i) => i.PlatformType === 'Linux' && i.LastPingDateTime instanceof Date)).toBe(true);

    const filtered = await w.ssm.send(
      new DescribeInstanceInformationCommand({
        Filters: [
          { Key: 'InstanceIds', Values: [a.instanceId, b.instanceId, unmanaged.instanceId] },
          { Key: 'PingStatus', Values: ['Online'] },
        ],
      }),
    );
    expect(filtered.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([a.instanceId]);
  });

  it('runs the real probe on each target in one SendCommand and answers from each machine', async () => {
    const busy = await w.machine();
    const idle = await w.machine();
    const fresh = await w.machine();
    await busy.workerStarted(Date.now() - 30_000);
    await idle.workerStarted(Date.now() - 300_000);
    const endedAt = Date.now() - 120_000;
    await idle.workerEnded(endedAt);

    const { Command } = await send([busy.instanceId, idle.instanceId, fresh.instanceId]);
    expect(Command).toMatchObject({ DocumentName: PROBE_DOCUMENT, Status: 'Pending', TargetCount: 3 });
    const reads = [];
    for (const m of [busy, idle, fresh]) {
      const inv = await w.waitForInvocation(Command!.CommandId!, m.instanceId);
      expect(inv).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, PluginName: 'probe' });
      const answer = JSON.parse(inv.StandardOutputContent!);
      expect({ ...answer, detail: undefined }).toEqual({ ...m.model.probeAnswer(Date.parse(answer.now)), detail: undefined });
      reads.push(parseProbeOutput(inv.StandardOutputContent!));
    }
    expect(reads.map((r) => (r.kind === 'answered' ? r.busy : r.error))).toEqual([true, false, false]);
    const idleRead = reads[1]!;
    expect(idleRead.kind === 'answered' && idleRead.idleSince?.getTime()).toBe(Math.floor(endedAt / 1000) * 1000);

    const listed = await w.ssm.send(new ListCommandInvocationsCommand({ CommandId: Command!.CommandId!, Details: true }));
    expect(listed.CommandInvocations).toHaveLength(3);
    for (const inv of listed.CommandInvocations!) {
      expect(inv.CommandPlugins?.[0]).toMatchObject({ Name: 'probe', Status: 'Success', ResponseCode: 0 });
      expect(parseProbeOutput(inv.CommandPlugins![0]!.Output!).kind).toBe('answered');
    }
    const commands = await w.ssm.send(new ListCommandsCommand({ CommandId: Command!.CommandId! }));
    expect(commands.Commands?.[0]).toMatchObject({ Status: 'Success', CompletedCount: 3, ErrorCount: 0 });
  });

  it('passes document parameters to the script: a root with no runner fails the command, no JSON', async () => {
    const m = await w.machine();
    const { Command } = await send([m.instanceId], { Parameters: { runnerRoot: ['/opt/elsewhere'] } });
    const inv = await w.waitForInvocation(Command!.CommandId!, m.instanceId);
    expect(inv).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 2, StandardOutputContent: '' });
    expect(inv.StandardErrorContent).toMatch(/no runner root at \/opt\/elsewhere/);
    expect((await errorOf(send([m.instanceId], { Parameters: { runnerRoot: ['relative; rm -rf /'] } }))).name).toBe('InvalidParameters');
    expect((await errorOf(send([m.instanceId], { Parameters: { other: ['x'] } }))).name).toBe('InvalidParameters');
  });

  it('answers each per-instance fault with the service status', async () => {
    const [failed, timedOut, undeliverable, offline, garbage, gone] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => w.machine()));
    w.twin.engine.switches.deliveryTimeoutMs = 400;
    w.twin.engine.setFault(failed!.instanceId, { kind: 'failed' });
    w.twin.engine.setFault(timedOut!.instanceId, { kind: 'execution-timeout' });
    w.twin.engine.setFault(undeliverable!.instanceId, { kind: 'undeliverable' });
    w.twin.engine.setOnline(offline!.instanceId, false);
    w.twin.engine.setFault(garbage!.instanceId, { kind: 'output', stdout: 'Segmentation fault\n' });
    await gone!.destroy();

    const ids = [failed, timedOut, undeliverable, offline, garbage, gone].map((m) => m!.instanceId);
    const { Command } = await send(ids);
    const expected: Record<string, [string, string]> = {
      [failed!.instanceId]: ['Failed', 'Failed'],
      [timedOut!.instanceId]: ['TimedOut', 'ExecutionTimedOut'],
      [undeliverable!.instanceId]: ['Failed', 'Undeliverable'],
      [offline!.instanceId]: ['TimedOut', 'DeliveryTimedOut'],
      [garbage!.instanceId]: ['Success', 'Success'],
      [gone!.instanceId]: ['Failed', 'Undeliverable'],
    };
    for (const id of ids) {
      const inv = await w.waitForInvocation(Command!.CommandId!, id);
      expect([inv.Status, inv.StatusDetails]).toEqual(expected[id]);
    }
    const garbageOut = await w.ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: garbage!.instanceId }));
    expect(parseProbeOutput(garbageOut.StandardOutputContent ?? '')).toMatchObject({ kind: 'error' });
    const listed = await w.ssm.send(new ListCommandsCommand({ CommandId: Command!.CommandId! }));
    expect(listed.Commands?.[0]).toMatchObject({ Status: 'Failed', CompletedCount: 6, DeliveryTimedOutCount: 1 });
  });

  it('keeps an offline instance Delayed until it comes back, and a slow one InProgress', async () => {
    const offline = await w.machine();
    const slow = await w.machine();
    w.twin.engine.setOnline(offline.instanceId, false);
    w.twin.engine.setFault(slow.instanceId, { kind: 'delay', ms: 600 });
    const { Command } = await send([offline.instanceId, slow.instanceId]);
    await new Promise((r) => setTimeout(r, 300));
    const get = (id: string) => w.ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: id }));
    expect((await get(offline.instanceId)).Status).toBe('Delayed');
    expect((await get(slow.instanceId)).ResponseCode).toBe(-1);
    w.twin.engine.setOnline(offline.instanceId, true);
    expect((await w.waitForInvocation(Command!.CommandId!, offline.instanceId)).Status).toBe('Success');
    expect((await w.waitForInvocation(Command!.CommandId!, slow.instanceId)).Status).toBe('Success');
  });

  it('cancels a command that has not run yet', async () => {
    const m = await w.machine();
    w.twin.engine.setFault(m.instanceId, { kind: 'delay', ms: 5_000 });
    const { Command } = await send([m.instanceId]);
    await w.ssm.send(new CancelCommandCommand({ CommandId: Command!.CommandId! }));
    expect((await w.waitForInvocation(Command!.CommandId!, m.instanceId)).Status).toBe('Cancelled');
  });

  it('answers errors as the service does: unmanaged instances, unknown documents, invalid requests, injected failures, late invocations', async () => {
    const m = await w.machine();
    const unmanaged = await w.machine({ ssm: false });
    expect(await errorOf(send([unmanaged.instanceId]))).toMatchObject({ name: 'InvalidInstanceId', status: 400 });
    expect(await errorOf(send([m.instanceId, m.instanceId]))).toMatchObject({ name: 'DuplicateInstanceId' });
    expect(await errorOf(w.ssm.send(new SendCommandCommand({ DocumentName: 'no-such-document', InstanceIds: [m.instanceId] })))).toMatchObject({ name: 'InvalidDocument' });
    const tooMany = Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    expect(await errorOf(send(tooMany))).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(await errorOf(w.ssm.send(new GetCommandInvocationCommand({ CommandId: '00000000-0000-4000-8000-000000000000', InstanceId: m.instanceId })))).toMatchObject({
      name: 'InvocationDoesNotExist',
    });

    w.twin.failNext('SendCommand', 'InternalServerError');
    expect(await errorOf(send([m.instanceId]))).toMatchObject({ name: 'InternalServerError', status: 500 });
    w.twin.failNext('DescribeInstanceInformation', 'ThrottlingException');
    expect(await errorOf(w.ssm.send(new DescribeInstanceInformationCommand({})))).toMatchObject({ name: 'ThrottlingException', status: 400 });

    w.twin.engine.switches.invocationVisibleAfterMs = 400;
    const { Command } = await send([m.instanceId]);
    expect(await errorOf(w.ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId!, InstanceId: m.instanceId })))).toMatchObject({
      name: 'InvocationDoesNotExist',
    });
    expect((await w.waitForInvocation(Command!.CommandId!, m.instanceId)).Status).toBe('Success');
  });

  it('delays every answer by the latency switch', async () => {
    w.twin.engine.switches.latencyMs = 300;
    const started = Date.now();
    await w.ssm.send(new DescribeInstanceInformationCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('proxies every other operation to moto unchanged', async () => {
    await w.ssm.send(new PutParameterCommand({ Name: '/runner-reaper/app/id', Value: '42', Type: 'String' }));
    expect((await w.ssm.send(new GetParameterCommand({ Name: '/runner-reaper/app/id' }))).Parameter?.Value).toBe('42');
    expect((await errorOf(w.ssm.send(new GetParameterCommand({ Name: '/nope' })))).name).toBe('ParameterNotFound');
    expect(w.twin.log.filter((e) => !e.served).map((e) => e.operation)).toEqual(expect.arrayContaining(['PutParameter', 'GetParameter', 'CreateDocument']));
  });
});
