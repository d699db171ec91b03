/**
 * The SSM twin: an HTTP server speaking SSM's JSON protocol (`X-Amz-Target:
 * AmazonSSM.<Operation>`, `application/x-amz-json-1.1`) in front of moto.
 *
 * It serves Run Command itself: SendCommand, ListCommands, ListCommandInvocations,
 * GetCommandInvocation, CancelCommand, and DescribeInstanceInformation (the managed
 * instances are the local machines of the world's fleet). Every other operation
 * (GetParameter, GetDocument, CreateDocument, ...) is proxied to moto unchanged, so the
 * functions see one SSM endpoint (`AWS_ENDPOINT_URL_SSM`) as they would see the service.
 *
 * Requests are validated against botocore's SSM model (a ValidationException, as the
 * service answers); every exchange is logged for the conformance test. Switches: API
 * latency, failures per call (`failNext`), and the Run Command engine's (per instance
 * faults, offline agents, delivery delay, eventual consistency).
 *
 * ```ts
 * const twin = new SsmTwin({ motoUrl: moto.url, machines: { get: (id) => fleet.machine(id), all: () => fleet.machines.values() } });
 * await twin.start();                      // twin.url -> AWS_ENDPOINT_URL_SSM
 * twin.engine.setOnline('i-0abc', false);  // PingStatus ConnectionLost, commands never delivered
 * ```
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSMClient } from '@aws-sdk/client-ssm';
import { motoClientConfig } from '../moto/clients';
import { ssmModel, validateShape, type ServiceModel } from './conformance/botocore-model';
import { documentFromMoto, runnable, SsmError, type CommandDocument } from './documents';
import { RunCommandEngine, type Command, type Invocation, type MachineDirectory } from './run-command';

export const SERVED_OPERATIONS = [
  'SendCommand',
  'ListCommands',
  'ListCommandInvocations',
  'GetCommandInvocation',
  'CancelCommand',
  'DescribeInstanceInformation',
] as const;
export type ServedOperation = (typeof SERVED_OPERATIONS)[number];

export interface SsmExchange {
  operation: string;
  /** Served by the twin (false: proxied to moto). */
  served: boolean;
  request: unknown;
  status: number;
  response: unknown;
  at: number;
}

export interface SsmTwinOptions {
  /** moto: where the twin reads documents, and (unless `proxyTo`) where the rest goes. */
  motoUrl: string;
  /** Where proxied operations go (default motoUrl), e.g. an AWS call counter in front of moto. */
  proxyTo?: string;
  machines: MachineDirectory;
  /** Documents used when moto has none of that name (e.g. the probe document without Terraform). */
  localDocuments?: Record<string, CommandDocument>;
  /** Keep request and response bodies in the log (default true). */
  recordBodies?: boolean;
}

interface CallFailure {
  operation: string;
  type: string;
  status: number;
  remaining: number;
}

const JSON_TYPE = 'application/x-amz-json-1.1';

export class SsmTwin {
  readonly engine: RunCommandEngine;
  readonly log: SsmExchange[] = [];
  private server?: Server;
  private endpoint = '';
  private readonly model: ServiceModel = ssmModel();
  private readonly moto: SSMClient;
  private failures: CallFailure[] = [];
  private readonly localDocuments: Record<string, CommandDocument>;

  constructor(private readonly opts: SsmTwinOptions) {
    this.engine = new RunCommandEngine(opts.machines);
    this.moto = new SSMClient(motoClientConfig(opts.motoUrl));
    this.localDocuments = { ...(opts.localDocuments ?? {}) };
  }

  get url(): string {
    if (!this.endpoint) throw new Error('SSM twin not started');
    return this.endpoint;
  }

  async start(): Promise<string> {
    if (this.server) return this.url;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.engine.stop();
    this.moto.destroy();
    const server = this.server;
    this.server = undefined;
    this.endpoint = '';
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `times` calls of `operation` fail with this error (`InternalServerError` answers 500). */
  failNext(operation: ServedOperation | string, type = 'InternalServerError', times = 1): void {
    this.failures.push({ operation, type, status: type === 'InternalServerError' ? 500 : 400, remaining: times });
  }

  /** A new round: commands, faults, switches, failures and the log cleared. */
  reset(): void {
    this.engine.reset();
    this.failures = [];
    this.log.length = 0;
  }

  /** Exchanges of one operation. */
  calls(operation: string): SsmExchange[] {
    return this.log.filter((e) => e.operation === operation);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
    if (!(SERVED_OPERATIONS as readonly string[]).includes(operation)) return this.proxy(req, res, body, operation);

    let request: unknown;
    let status = 200;
    let response: unknown;
    try {
      try {
        request = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new SsmError('SerializationException', 'the request body is not JSON');
      }
      const op = this.model.operations[operation]!;
      const invalid = validateShape(this.model, op.input!.shape, request);
      if (invalid.length > 0) {
        throw new SsmError('ValidationException', `${invalid.length} validation error(s) detected: ${invalid.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      }
      const failure = this.failures.find((f) => f.operation === operation && f.remaining > 0);
      if (failure) {
        failure.remaining--;
        throw new SsmError(failure.type, `a failure injected by the SSM twin (${failure.type})`, failure.status);
      }
      response = await this.serve(operation as ServedOperation, request as Record<string, unknown>);
    } catch (error) {
      const e = error instanceof SsmError ? error : new SsmError('InternalServerError', (error as Error).message, 500);
      status = e.status;
      response = { __type: e.type, message: e.message };
    }
    if (this.engine.switches.latencyMs > 0) await new Promise((r) => setTimeout(r, this.engine.switches.latencyMs));
    const record = this.opts.recordBodies !== false;
    this.log.push({ operation, served: true, request: record ? request : undefined, status, response: record ? response : undefined, at: Date.now() });
    const text = JSON.stringify(response);
    res.writeHead(status, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(status >= 400 ? { 'x-amzn-errortype': (response as { __type: string }).__type } : {}),
    });
    res.end(text);
  }

  private async serve(operation: ServedOperation, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'SendCommand':
        return this.sendCommand(input);
      case 'ListCommands':
        return this.listCommands(input);
      case 'ListCommandInvocations':
        return this.listCommandInvocations(input);
      case 'GetCommandInvocation':
        return this.getCommandInvocation(input);
      case 'CancelCommand':
        this.engine.cancel(String(input.CommandId), input.InstanceIds as string[] | undefined);
        return {};
      case 'DescribeInstanceInformation':
        return this.describeInstanceInformation(input);
    }
  }

  private async sendCommand(input: Record<string, unknown>): Promise<unknown> {
    if (input.Targets !== undefined) throw new SsmError('InvalidParameters', 'the SSM twin serves SendCommand with InstanceIds only, not Targets');
    const name = String(input.DocumentName);
    const version = typeof input.DocumentVersion === 'string' ? input.DocumentVersion : undefined;
    const stored = await documentFromMoto(this.moto, name, version);
    const local = this.localDocuments[name];
    if (!stored && !local) throw new SsmError('InvalidDocument', `Document with name ${name} does not exist.`);
    const doc = runnable(name, stored?.version ?? version ?? '1', stored?.content ?? local!, (input.Parameters ?? {}) as Record<string, string[]>);
    const command = this.engine.send({
      document: doc,
      instanceIds: (input.InstanceIds ?? []) as string[],
      parameters: (input.Parameters ?? {}) as Record<string, string[]>,
      ...(typeof input.Comment === 'string' ? { comment: input.Comment } : {}),
      ...(typeof input.TimeoutSeconds === 'number' ? { timeoutSeconds: input.TimeoutSeconds } : {}),
    });
    return { Command: this.commandView(command, typeof input.DocumentVersion === 'string' ? input.DocumentVersion : '$DEFAULT') };
  }

  private listCommands(input: Record<string, unknown>): unknown {
    let commands = [...this.engine.commands.values()];
    if (input.CommandId) commands = [this.engine.command(String(input.CommandId))];
    if (input.InstanceId) commands = commands.filter((c) => c.instanceIds.includes(String(input.InstanceId)));
    if (input.Filters) throw new SsmError('InvalidFilterKey', 'the SSM twin serves ListCommands without Filters');
    commands.sort((a, b) => b.requestedAt - a.requestedAt);
    const page = paginate(commands, input, 50);
    return { Commands: page.items.map((c) => this.commandView(c, '$DEFAULT')), ...(page.next ? { NextToken: page.next } : {}) };
  }

  private listCommandInvocations(input: Record<string, unknown>): unknown {
    if (input.Filters) throw new SsmError('InvalidFilterKey', 'the SSM twin serves ListCommandInvocations without Filters');
    let invocations: Invocation[];
    if (input.CommandId) invocations = [...this.engine.command(String(input.CommandId)).invocations];
    else invocations = [...this.engine.commands.values()].flatMap((c) => c.invocations);
    if (input.InstanceId) invocations = invocations.filter((i) => i.instanceId === input.InstanceId);
    const now = Date.now();
    invocations = invocations.filter((i) => i.visibleAt <= now);
    const page = paginate(invocations, input, 50);
    return {
      CommandInvocations: page.items.map((i) => invocationView(i, input.Details === true)),
      ...(page.next ? { NextToken: page.next } : {}),
    };
  }

  private getCommandInvocation(input: Record<string, unknown>): unknown {
    const command = this.engine.commands.get(String(input.CommandId));
    const inv = command?.invocations.find((i) => i.instanceId === input.InstanceId);
    if (!command || !inv || inv.visibleAt > Date.now()) throw new SsmError('InvocationDoesNotExist', 'An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation');
    if (input.PluginName !== undefined && input.PluginName !== inv.pluginName) throw new SsmError('InvalidPluginName', `The plugin name ${String(input.PluginName)} is not valid.`);
    return {
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      Comment: inv.comment,
      DocumentName: inv.documentName,
      DocumentVersion: inv.documentVersion,
      PluginName: inv.pluginName,
      ResponseCode: inv.responseCode,
      ExecutionStartDateTime: inv.startedAt === undefined ? '' : new Date(inv.startedAt).toISOString(),
      ExecutionElapsedTime: inv.startedAt === undefined ? '' : `PT${(((inv.endedAt ?? Date.now()) - inv.startedAt) / 1000).toFixed(3)}S`,
      ExecutionEndDateTime: inv.endedAt === undefined || inv.startedAt === undefined ? '' : new Date(inv.endedAt).toISOString(),
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      StandardOutputContent: inv.stdout,
      StandardOutputUrl: '',
      StandardErrorContent: inv.stderr,
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }

  private describeInstanceInformation(input: Record<string, unknown>): unknown {
    let instances = this.engine.managedInstances();
    const filters: { key: string; values: string[] }[] = [
      ...((input.Filters ?? []) as { Key: string; Values: string[] }[]).map((f) => ({ key: f.Key, values: f.Values })),
      ...((input.InstanceInformationFilterList ?? []) as { key: string; valueSet: string[] }[]).map((f) => ({ key: f.key, values: f.valueSet })),
    ];
    for (const f of filters) {
      switch (f.key) {
        case 'InstanceIds':
          instances = instances.filter((i) => f.values.includes(i.instanceId));
          break;
        case 'PingStatus':
          instances = instances.filter((i) => f.values.includes(i.pingStatus));
          break;
        case 'PlatformTypes':
          instances = instances.filter(() => f.values.includes('Linux'));
          break;
        case 'ResourceType':
          instances = instances.filter(() => f.values.includes('EC2Instance'));
          break;
        default:
          throw new SsmError('InvalidFilterKey', `the SSM twin does not serve the filter key ${f.key}`);
      }
    }
    const page = paginate(instances, input, 10);
    return {
      InstanceInformationList: page.items.map((i, n) => ({
        InstanceId: i.instanceId,
        PingStatus: i.pingStatus,
        LastPingDateTime: i.lastPingAt / 1000,
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: false,
        PlatformType: 'Linux',
        PlatformName: 'Amazon Linux',
        PlatformVersion: '2023',
        ResourceType: 'EC2Instance',
        IPAddress: `10.0.${(n >> 8) & 255}.${(n & 255) + 1}`,
        ComputerName: `${i.instanceId}.ec2.internal`,
        SourceId: i.instanceId,
        SourceType: 'AWS::EC2::Instance',
      })),
      ...(page.next ? { NextToken: page.next } : {}),
    };
  }

  private commandView(command: Command, documentVersion: string): unknown {
    const agg = this.engine.commandStatus(command);
    return {
      CommandId: command.commandId,
      DocumentName: command.document.name,
      DocumentVersion: documentVersion,
      Comment: command.comment,
      ExpiresAfter: (command.requestedAt + command.timeoutSeconds * 1000) / 1000,
      Parameters: command.parameters,
      InstanceIds: command.instanceIds,
      Targets: [],
      RequestedDateTime: command.requestedAt / 1000,
      Status: agg.status,
      StatusDetails: agg.details,
      OutputS3KeyPrefix: '',
      MaxConcurrency: '50',
      MaxErrors: '0',
      TargetCount: command.instanceIds.length,
      CompletedCount: agg.completed,
      ErrorCount: agg.errors,
      DeliveryTimedOutCount: agg.deliveryTimedOut,
      ServiceRole: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
      TimeoutSeconds: command.timeoutSeconds,
    };
  }

  private async proxy(req: IncomingMessage, res: ServerResponse, body: Buffer, operation: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || ['host', 'content-length', 'connection'].includes(k)) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    try {
      const answer = await fetch(`${this.opts.proxyTo ?? this.opts.motoUrl}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, ...(body.length > 0 ? { body } : {}) });
      const text = Buffer.from(await answer.arrayBuffer());
      this.log.push({ operation: operation || `${req.method} ${req.url}`, served: false, request: undefined, status: answer.status, response: undefined, at: Date.now() });
      const out: Record<string, string> = { 'content-length': String(text.length) };
      answer.headers.forEach((value, key) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(key)) out[key] = value;
      });
      res.writeHead(answer.status, out);
      res.end(text);
    } catch (error) {
      const text = JSON.stringify({ __type: 'InternalServerError', message: `the SSM twin could not reach moto: ${(error as Error).message}` });
      res.writeHead(500, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }
  }
}

function invocationView(inv: Invocation, details: boolean): unknown {
  const output = inv.stderr ? `${inv.stdout}\n----------ERROR-------\n${inv.stderr}` : inv.stdout;
  return {
    CommandId: inv.commandId,
    InstanceId: inv.instanceId,
    InstanceName: '',
    Comment: inv.comment,
    DocumentName: inv.documentName,
    DocumentVersion: inv.documentVersion,
    RequestedDateTime: inv.requestedAt / 1000,
    Status: inv.status,
    StatusDetails: inv.statusDetails,
    TraceOutput: '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CommandPlugins: details
      ? [
          {
            Name: inv.pluginName,
            Status: inv.status === 'Delayed' ? 'Pending' : inv.status === 'Cancelling' ? 'InProgress' : inv.status,
            StatusDetails: inv.statusDetails,
            ResponseCode: inv.responseCode,
            ...(inv.startedAt !== undefined ? { ResponseStartDateTime: inv.startedAt / 1000 } : {}),
            ...(inv.endedAt !== undefined && inv.startedAt !== undefined ? { ResponseFinishDateTime: inv.endedAt / 1000 } : {}),
            Output: output.slice(0, 2500),
            StandardOutputUrl: '',
            StandardErrorUrl: '',
            OutputS3KeyPrefix: '',
          },
        ]
      : [],
    ServiceRole: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
}

/** Offset pagination with an opaque token, MaxResults defaulting as the service does. */
function paginate<T>(items: T[], input: Record<string, unknown>, defaultMax: number): { items: T[]; next?: string } {
  const max = typeof input.MaxResults === 'number' ? input.MaxResults : defaultMax;
  let start = 0;
  if (typeof input.NextToken === 'string') {
    const decoded = Number(Buffer.from(input.NextToken, 'base64url').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isInteger(decoded) || decoded < 0) throw new SsmError('InvalidNextToken', 'The specified token is not valid.');
    start = decoded;
  }
  const page = items.slice(start, start + max);
  const next = start + max < items.length ? Buffer.from(`offset:${start + max}`).toString('base64url') : undefined;
  return next ? { items: page, next } : { items: page };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
