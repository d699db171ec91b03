/**
 * Every request the SSM twin accepts and every answer it gives, checked against AWS's
 * published SSM model (botocore's service-2.json, installed with moto): inputs and outputs
 * against their shapes, errors against the operation's declared errors (or AWS's common
 * ones). The same idea as the GitHub twin's check against @octokit/openapi.
 */
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { COMMON_ERRORS, SERVED_OPERATIONS, ssmModel, validateShape, type SsmExchange } from '../../ssm-twin';
import { PROBE_DOCUMENT, TwinFixture, errorOf } from './support';

jest.setTimeout(60_000);

/**
 * Where the real service's answers break its own model, the twin answers as the service
 * does. Seen in AWS's own CLI examples (awscli, `examples/ssm/get-command-invocation.rst`,
 * `list-command-invocations.rst`, `send-command.rst`): execution times with milliseconds
 * (`2020-02-19T18:18:03.419Z`; the model's pattern allows one decimal), the elapsed time as
 * an ISO-8601 duration (`PT0.091S`), both empty until the plugin starts, and an empty
 * `CloudWatchLogGroupName` when output to CloudWatch is off (the model says at least 1).
 */
const SERVICE_DEVIATIONS: { path: RegExp; value: RegExp }[] = [
  { path: /^\$\.Execution(Start|End)DateTime$/, value: /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)?$/ },
  { path: /^\$\.ExecutionElapsedTime$/, value: /^(PT\d+\.\d{3}S)?$/ },
  { path: /\.CloudWatchOutputConfig\.CloudWatchLogGroupName$/, value: /^$/ },
];

/** The value at a validator path such as `$.CommandInvocations[2].CloudWatchOutputConfig.CloudWatchLogGroupName`. */
function valueAt(root: unknown, path: string): unknown {
  return path
    .replace(/^\$/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((k) => k !== undefined && k !== '')
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], root);
}

function problems(exchange: SsmExchange): string[] {
  const model = ssmModel();
  const op = model.operations[exchange.operation]!;
  const out: string[] = [];
  for (const e of validateShape(model, op.input!.shape, exchange.request ?? {})) {
    if (exchange.status === 200) out.push(`request ${e.path}: ${e.message}`);
  }
  if (exchange.status === 200) {
    for (const e of validateShape(model, op.output!.shape, exchange.response)) {
      const value = valueAt(exchange.response, e.path);
      const known = SERVICE_DEVIATIONS.some((d) => d.path.test(e.path) && typeof value === 'string' && d.value.test(value));
      if (!known) out.push(`response ${e.path}: ${e.message}`);
    }
  } else {
    const body = exchange.response as { __type?: string; message?: string };
    const declared = (op.errors ?? []).map((e) => e.shape);
    if (!body.__type || ![...declared, ...COMMON_ERRORS].includes(body.__type)) out.push(`error ${String(body.__type)} is not declared for ${exchange.operation}`);
    else if (declared.includes(body.__type)) {
      const shape = model.shapes[body.__type]!;
      if (shape.exception !== true) out.push(`${body.__type} is not an exception shape`);
      const status = (shape as { error?: { httpStatusCode?: number } }).error?.httpStatusCode ?? (body.__type === 'InternalServerError' ? 500 : 400);
      if (status !== exchange.status) out.push(`${body.__type} answered ${exchange.status}, the model says ${status}`);
    }
    if (typeof body.message !== 'string' || body.message === '') out.push('an error without a message');
  }
  return out.map((p) => `${exchange.operation} ${exchange.status}: ${p}`);
}

describe('SSM twin conformance with the botocore SSM model', () => {
  const w = new TwinFixture();
  beforeAll(() => w.start(), 30_000);
  afterAll(() => w.stop());
  beforeEach(() => w.reset());

  it('knows every served operation in the model', () => {
    const model = ssmModel();
    expect(model.metadata).toMatchObject({ targetPrefix: 'AmazonSSM', protocol: 'json', apiVersion: '2014-11-06' });
    for (const op of SERVED_OPERATIONS) expect(model.operations[op]).toBeDefined();
  });

  it('catches what does not conform (the validator can fail)', () => {
    const model = ssmModel();
    const good = { InstanceId: 'i-0123456789abcdef0', PingStatus: 'Online', PlatformType: 'Linux', LastPingDateTime: 1796000000 };
    expect(validateShape(model, 'InstanceInformation', good)).toEqual([]);
    const bad = validateShape(model, 'InstanceInformation', { ...good, InstanceId: 'x-1', PingStatus: 'Asleep', LastPingDateTime: 'soon', Colour: 'red' });
    expect(bad.map((e) => e.path).sort()).toEqual(['$.Colour', '$.InstanceId', '$.LastPingDateTime', '$.PingStatus']);
    expect(validateShape(model, 'SendCommandRequest', { InstanceIds: [] }).map((e) => e.path)).toEqual(['$.DocumentName']);
    expect(validateShape(model, 'GetCommandInvocationResult', { ResponseCode: 1.5, StandardOutputContent: 'x'.repeat(24_001) })).toHaveLength(2);
    expect(problems({ operation: 'SendCommand', served: true, request: {}, status: 400, response: { __type: 'InvocationDoesNotExist', message: 'x' }, at: 0 })).toHaveLength(1);
  });

  it('accepts and answers every served operation, in success and error cases, as the model describes', async () => {
    const busy = await w.machine();
    const idle = await w.machine();
    const failing = await w.machine();
    const offline = await w.machine();
    await w.machine({ ssm: false });
    await busy.workerStarted(Date.now() - 10_000);
    w.twin.engine.setFault(failing.instanceId, { kind: 'failed' });
    w.twin.engine.setOnline(offline.instanceId, false);
    w.twin.engine.switches.deliveryTimeoutMs = 300;
    const ids = [busy, idle, failing, offline].map((m) => m.instanceId);

    await w.ssm.send(new DescribeInstanceInformationCommand({}));
    await w.ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 5, Filters: [{ Key: 'InstanceIds', Values: ids }] }));
    await w.ssm.send(new DescribeInstanceInformationCommand({ InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['Online'] }] }));
    await errorOf(w.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:Name', Values: ['x'] }] })));
    await errorOf(w.ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 2 })));

    const { Command } = await w.ssm.send(new SendCommandCommand({ DocumentName: PROBE_DOCUMENT, InstanceIds: ids, Comment: 'runner-reaper probe', TimeoutSeconds: 30 }));
    const commandId = Command!.CommandId!;
    await w.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: busy.instanceId })).catch(() => undefined);
    for (const id of ids) await w.waitForInvocation(commandId, id);
    await w.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: idle.instanceId, PluginName: 'probe' }));
    await errorOf(w.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: idle.instanceId, PluginName: 'other' })));
    await w.ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
    await w.ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, MaxResults: 2 }));
    await w.ssm.send(new ListCommandInvocationsCommand({ InstanceId: idle.instanceId }));
    await errorOf(w.ssm.send(new ListCommandInvocationsCommand({ CommandId: '00000000-0000-4000-8000-000000000000' })));
    await w.ssm.send(new ListCommandsCommand({ CommandId: commandId }));
    await w.ssm.send(new ListCommandsCommand({}));
    await errorOf(w.ssm.send(new ListCommandsCommand({ CommandId: '00000000-0000-4000-8000-000000000000' })));

    w.twin.engine.setFault(idle.instanceId, { kind: 'delay', ms: 5_000 });
    const later = await w.ssm.send(new SendCommandCommand({ DocumentName: PROBE_DOCUMENT, InstanceIds: [idle.instanceId], Parameters: { runnerRoot: ['/opt/actions-runner'] } }));
    await w.ssm.send(new GetCommandInvocationCommand({ CommandId: later.Command!.CommandId!, InstanceId: idle.instanceId }));
    await w.ssm.send(new CancelCommandCommand({ CommandId: later.Command!.CommandId!, InstanceIds: [idle.instanceId] }));
    await w.ssm.send(new GetCommandInvocationCommand({ CommandId: later.Command!.CommandId!, InstanceId: idle.instanceId }));
    await errorOf(w.ssm.send(new CancelCommandCommand({ CommandId: '00000000-0000-4000-8000-000000000000' })));

    await errorOf(w.ssm.send(new SendCommandCommand({ DocumentName: PROBE_DOCUMENT, InstanceIds: ['i-00000000000000fff'] })));
    await errorOf(w.ssm.send(new SendCommandCommand({ DocumentName: 'missing-document', InstanceIds: [idle.instanceId] })));
    await errorOf(w.ssm.send(new SendCommandCommand({ DocumentName: PROBE_DOCUMENT, InstanceIds: [idle.instanceId], Parameters: { runnerRoot: ['x'] } })));
    await errorOf(w.ssm.send(new SendCommandCommand({ DocumentName: PROBE_DOCUMENT, InstanceIds: [idle.instanceId], TimeoutSeconds: 5 })));
    await errorOf(w.ssm.send(new GetCommandInvocationCommand({ CommandId: 'short', InstanceId: idle.instanceId })));
    w.twin.failNext('GetCommandInvocation', 'InternalServerError');
    await errorOf(w.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: idle.instanceId })));
    w.twin.failNext('SendCommand', 'ThrottlingException');
    await errorOf(w.ssm.send(new SendCommandCommand({ DocumentName: PROBE_DOCUMENT, InstanceIds: [idle.instanceId] })));

    const served = w.twin.log.filter((e) => e.served);
    expect(new Set(served.map((e) => e.operation))).toEqual(new Set(SERVED_OPERATIONS));
    for (const op of SERVED_OPERATIONS) {
      expect([op, served.some((e) => e.operation === op && e.status === 200)]).toEqual([op, true]);
      expect([op, served.some((e) => e.operation === op && e.status >= 400)]).toEqual([op, true]);
    }
    const statuses = new Set(served.flatMap((e) => {
      const r = e.response as { Status?: string; CommandInvocations?: { Status: string }[] };
      return [r.Status, ...(r.CommandInvocations ?? []).map((i) => i.Status)].filter(Boolean);
    }));
    for (const s of ['Success', 'Failed', 'TimedOut', 'Cancelled']) expect(statuses).toContain(s);
    expect(served.flatMap(problems)).toEqual([]);
  });
});
