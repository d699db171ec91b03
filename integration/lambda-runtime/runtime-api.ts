// A small, local implementation of the AWS Lambda Runtime API (2018-06-01), the HTTP
// interface a Lambda runtime process polls for invocations. moto stores Lambda functions
// but cannot run them without Docker, so end-to-end tests run the deployed zip in a
// child process (see bootstrap.cjs) that talks to this server exactly as the managed
// Node runtime talks to the real one. One server serves one execution environment:
// invocations are handed out one at a time, in order.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type InvokeResult =
  | { ok: true; requestId: string; result: unknown }
  | { ok: false; requestId: string; errorType: string; errorMessage: string; stack: string[] };

export type InvokeFailure = { errorType: string; errorMessage: string; stack: string[] };

export interface RuntimeApiOptions {
  functionArn: string;
  /** Called when an invocation passes its deadline, so the owner can kill the process. */
  onTimeout?: (requestId: string) => void;
  /** Called when the runtime reports an initialization error (it exits right after). */
  onInitError?: (failure: InvokeFailure) => void;
  /** Called on every GET /next: the runtime has finished initializing. */
  onNext?: () => void;
}

export interface RuntimeApi {
  /** host:port, the value of AWS_LAMBDA_RUNTIME_API for the runtime process. */
  readonly address: string;
  invoke(event: unknown, options: { timeoutMs: number }): Promise<InvokeResult>;
  /**
   * Fails the invocation in flight; with includeQueued, the next queued one when none is
   * in flight (a runtime that died while initializing takes that invocation with it).
   */
  failCurrent(failure: (requestId: string) => InvokeFailure, scope: { includeQueued: boolean }): void;
  /** Invocations waiting for a runtime or in flight. */
  pendingCount(): number;
  close(): Promise<void>;
}

const PREFIX = '/2018-06-01/runtime';
// The real service gives initialization its own 10 s budget before the function timeout
// starts; an invocation that is never picked up fails after that plus its own timeout.
const INIT_BUDGET_MS = 10_000;

interface Invocation {
  requestId: string;
  body: string;
  timeoutMs: number;
  deadlineMs?: number;
  timer: NodeJS.Timeout;
  settle: (result: InvokeResult) => void;
}

export async function startRuntimeApi(options: RuntimeApiOptions): Promise<RuntimeApi> {
  const queue: Invocation[] = [];
  let inFlight: Invocation | undefined;
  const waiters = new Set<ServerResponse>();

  const settle = (invocation: Invocation, result: InvokeResult): void => {
    clearTimeout(invocation.timer);
    if (inFlight === invocation) inFlight = undefined;
    const index = queue.indexOf(invocation);
    if (index >= 0) queue.splice(index, 1);
    invocation.settle(result);
    deliver();
  };

  const fail = (invocation: Invocation, failure: InvokeFailure): void =>
    settle(invocation, { ok: false, requestId: invocation.requestId, ...failure });

  const timeOut = (invocation: Invocation): void => {
    // The process is to blame if it was running this invocation, or stuck initializing;
    // not if it is busy with an earlier one this invocation was queued behind.
    const blameProcess = inFlight === invocation || inFlight === undefined;
    const seconds = (invocation.timeoutMs / 1000).toFixed(2);
    fail(invocation, {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${invocation.requestId} Error: Task timed out after ${seconds} seconds`,
      stack: [],
    });
    if (blameProcess) options.onTimeout?.(invocation.requestId);
  };

  // Hands the next queued invocation to a runtime waiting on /next, if both exist.
  const deliver = (): void => {
    if (inFlight) return;
    const next = queue[0];
    const waiter = [...waiters].find((res) => !res.destroyed && !res.writableEnded);
    if (!next || !waiter) return;
    waiters.delete(waiter);
    queue.shift();
    inFlight = next;
    next.deadlineMs = Date.now() + next.timeoutMs;
    clearTimeout(next.timer);
    next.timer = setTimeout(() => timeOut(next), next.timeoutMs);
    waiter.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': next.requestId,
      'Lambda-Runtime-Deadline-Ms': String(next.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': options.functionArn,
      'Lambda-Runtime-Trace-Id': traceId(),
    });
    waiter.end(next.body);
  };

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '';
    const body = await readBody(req);
    if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
      // Long poll: answered when an invocation is queued; dropped if the process dies.
      options.onNext?.();
      waiters.add(res);
      res.on('close', () => waiters.delete(res));
      deliver();
      return;
    }
    const invocationPath = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && invocationPath) {
      const [, requestId, kind] = invocationPath;
      const invocation = inFlight;
      if (!invocation || invocation.requestId !== requestId) {
        // e.g. a late answer for an invocation that already timed out.
        reply(res, 400, { errorType: 'InvalidRequestID', errorMessage: 'Invalid request ID' });
        return;
      }
      reply(res, 202, { status: 'OK' });
      if (kind === 'response') settle(invocation, { ok: true, requestId: invocation.requestId, result: parsePayload(body) });
      else fail(invocation, toFailure(body, req));
      return;
    }
    if (req.method === 'POST' && url === `${PREFIX}/init/error`) {
      reply(res, 202, { status: 'OK' });
      const failure = toFailure(body, req);
      options.onInitError?.(failure);
      // Like the service: the invocation that triggered initialization gets the init error.
      const target = inFlight ?? queue[0];
      if (target) fail(target, failure);
      return;
    }
    reply(res, 404, { errorType: 'NotFound', errorMessage: `No route for ${req.method} ${url}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => reply(res, 500, { errorMessage: String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    invoke(event, { timeoutMs }) {
      return new Promise<InvokeResult>((resolve) => {
        const invocation: Invocation = {
          requestId: randomUUID(),
          body: JSON.stringify(event ?? null),
          timeoutMs,
          timer: setTimeout(() => timeOut(invocation), INIT_BUDGET_MS + timeoutMs),
          settle: resolve,
        };
        queue.push(invocation);
        deliver();
      });
    },
    failCurrent(failure, { includeQueued }) {
      const target = inFlight ?? (includeQueued ? queue[0] : undefined);
      if (target) fail(target, failure(target.requestId));
    },
    pendingCount: () => queue.length + (inFlight ? 1 : 0),
    close() {
      const stopped = { errorType: 'Runtime.Stopped', errorMessage: 'The execution environment was stopped', stack: [] };
      for (const invocation of [...(inFlight ? [inFlight] : []), ...queue]) fail(invocation, stopped);
      for (const waiter of waiters) waiter.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// The service returns the runtime's bytes unchanged; tests want values, so JSON is parsed
// and anything else is returned as the raw string.
function parsePayload(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

// Error bodies follow the runtime's shape { errorType, errorMessage, trace }.
function toFailure(body: string, req: IncomingMessage): InvokeFailure {
  const parsed = parsePayload(body) as { errorType?: unknown; errorMessage?: unknown; trace?: unknown } | null;
  const headerType = req.headers['lambda-runtime-function-error-type'];
  const errorType =
    typeof parsed?.errorType === 'string' ? parsed.errorType : typeof headerType === 'string' ? headerType : 'Unknown';
  return {
    errorType,
    errorMessage: typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : body,
    stack: Array.isArray(parsed?.trace) ? parsed.trace.map(String) : [],
  };
}

// X-Ray trace header format: Root=1-<8 hex seconds>-<24 hex>;Parent=<16 hex>;Sampled=0
function traceId(): string {
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${seconds}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}
