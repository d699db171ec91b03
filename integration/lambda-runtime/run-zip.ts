// Runs a built Lambda zip the way the managed Node runtime runs it: the zip unpacked as the
// task root, a Runtime API server, and `node bootstrap.cjs` in a separate process with a
// Lambda-like environment (only the function's variables plus the ones Lambda sets).
// One RunningFunction is one execution environment: invocations run one at a time, a
// timeout or crash kills the process, and the next invocation starts a fresh one (a cold
// start), as the service does.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { startRuntimeApi, type InvokeFailure, type InvokeResult, type RuntimeApi } from './runtime-api';
import { unzipTo } from './unzip';

export type { InvokeResult } from './runtime-api';

export interface FunctionSpec {
  zipPath: string;
  /** e.g. "index.handler" or "dist/scale-down.handler" */
  handler: string;
  /** The function's environment variables (plus AWS_ENDPOINT_URL / credentials from the caller). */
  env?: Record<string, string>;
  /** Lambda's default is 3 s. */
  timeoutSeconds?: number;
  /** Lambda's default is 128 MB. */
  memoryMb?: number;
  functionName?: string;
  region?: string;
  /** e.g. "nodejs22.x"; only Node runtimes can be emulated. */
  runtime?: string;
  functionArn?: string;
  /**
   * The Node executable that runs the function. Default: LAMBDA_EMULATOR_NODE when set
   * (e.g. Node 22 for nodejs22.x, see scripts/node22), else the Node running the caller.
   */
  nodeBinary?: string;
}

export interface RunningFunction {
  invoke(event: unknown): Promise<InvokeResult>;
  /** Every line the function printed (stdout and stderr), plus the service's timeout lines. */
  logs(): string[];
  /** The log lines that are JSON objects (Powertools Logger output), parsed. */
  jsonLogs(): Record<string, unknown>[];
  stop(): Promise<void>;
  /** The environment the runtime process gets (for inspection). */
  readonly environment: Readonly<Record<string, string>>;
  readonly taskRoot: string;
}

// Variables Lambda sets itself: a function cannot define them (CreateFunction rejects them).
// Credentials are reserved too, but here the caller supplies them instead of an IAM role.
const SET_BY_LAMBDA = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

const RUNTIME_DIR = __dirname;
const BOOTSTRAP = join(RUNTIME_DIR, 'bootstrap.cjs');

export async function startFunction(spec: FunctionSpec): Promise<RunningFunction> {
  const functionName = spec.functionName ?? 'function';
  const region = spec.region ?? 'us-east-1';
  const runtime = spec.runtime ?? 'nodejs22.x';
  const timeoutSeconds = spec.timeoutSeconds ?? 3;
  const memoryMb = spec.memoryMb ?? 128;
  const functionEnv = spec.env ?? {};
  const nodeBinary = spec.nodeBinary ?? (process.env.LAMBDA_EMULATOR_NODE || process.execPath);
  if (!runtime.startsWith('nodejs')) throw new Error(`only Node runtimes can be run locally, not ${runtime}`);
  const reserved = Object.keys(functionEnv).filter((key) => SET_BY_LAMBDA.includes(key));
  if (reserved.length > 0) throw new Error(`Lambda sets these variables itself: ${reserved.join(', ')}`);

  const taskRoot = await mkdtemp(join(tmpdir(), 'lambda-task-'));
  await unzipTo(spec.zipPath, taskRoot);

  const lines: string[] = [];
  let child: ChildProcess | undefined;
  let stopped = false;
  // Per-process facts needed to blame the right invocation when the process exits.
  let current: { initialized: boolean; reported: boolean } | undefined;

  const api: RuntimeApi = await startRuntimeApi({
    functionArn: spec.functionArn ?? `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
    onTimeout(requestId) {
      lines.push(`${new Date().toISOString()} ${requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
      if (current) current.reported = true;
      child?.kill('SIGKILL');
    },
    onInitError() {
      if (current) current.reported = true;
    },
    onNext() {
      if (current) current.initialized = true;
    },
  });

  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const environment: Record<string, string> = {
    // Defaults a function may override.
    PATH: `${dirname(nodeBinary)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    NODE_PATH: taskRoot,
    ...functionEnv,
    // Set by Lambda, never by the function.
    _HANDLER: spec.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${today}/[$LATEST]${randomBytes(16).toString('hex')}`,
    AWS_LAMBDA_RUNTIME_API: api.address,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: RUNTIME_DIR,
  };

  const spawnRuntime = (): void => {
    const facts = { initialized: false, reported: false };
    current = facts;
    // Lambda caps the process at MemorySize; a heap limit of most of it approximates that.
    const heapMb = Math.floor(memoryMb * 0.9);
    const proc = spawn(nodeBinary, [`--max-old-space-size=${heapMb}`, BOOTSTRAP], {
      cwd: taskRoot,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream }).on('line', (line) => lines.push(line));
    }
    let ended = false;
    const onEnd = (reason: string): void => {
      if (ended) return;
      ended = true;
      if (child === proc) child = undefined;
      if (!facts.reported) {
        // Died without reporting: the invocation it was running (or, if it never finished
        // initializing, the one it was started for) fails like Lambda's Runtime.ExitError.
        const failure = (requestId: string): InvokeFailure => ({
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${reason}`,
          stack: [],
        });
        api.failCurrent(failure, { includeQueued: !facts.initialized });
      }
      if (!stopped && api.pendingCount() > 0) spawnRuntime();
    };
    proc.on('exit', (code, signal) => onEnd(signal ? `signal: ${signal}` : `exit status ${code}`));
    proc.on('error', (error) => onEnd(String(error)));
  };

  return {
    environment,
    taskRoot,
    async invoke(event) {
      if (stopped) throw new Error('function stopped');
      const pending = api.invoke(event, { timeoutMs: timeoutSeconds * 1000 });
      if (!child) spawnRuntime();
      const result = await pending;
      // The runtime writes its log lines before it posts the answer; one turn of the event
      // loop lets the pipes deliver them, so logs() is complete for this invocation.
      await new Promise((resolve) => setImmediate(resolve));
      return result;
    },
    logs: () => [...lines],
    jsonLogs: () => lines.flatMap(parseJsonObject),
    async stop() {
      if (stopped) return;
      stopped = true;
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await exited;
      }
      await api.close();
      await rm(taskRoot, { recursive: true, force: true });
    },
  };
}

/** Starts a function, invokes it once, stops it. */
export async function invokeOnce(
  spec: FunctionSpec,
  event: unknown,
): Promise<{ result: InvokeResult; logs: string[] }> {
  const fn = await startFunction(spec);
  try {
    const result = await fn.invoke(event);
    return { result, logs: fn.logs() };
  } finally {
    await fn.stop();
  }
}

export interface DeployedFunctionSpec {
  lambdaClient: LambdaClient;
  functionName: string;
  /** The same zip Terraform deployed; checked against the function's CodeSha256. */
  zipPath: string;
  /** Only AWS_ENDPOINT_URL* and credentials, to reach the emulator; never the function's own. */
  extraEnv?: Record<string, string>;
}

const EXTRA_ENV_ALLOWED = /^(AWS_ENDPOINT_URL(_[A-Z0-9_]+)?|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)$/;

/**
 * Starts a function exactly as deployed (e.g. by Terraform into moto): Handler, Timeout,
 * MemorySize, Runtime and Environment.Variables come from GetFunctionConfiguration.
 */
export async function fromDeployedFunction(spec: DeployedFunctionSpec): Promise<RunningFunction> {
  const config = await spec.lambdaClient.send(new GetFunctionConfigurationCommand({ FunctionName: spec.functionName }));
  const functionVars = config.Environment?.Variables ?? {};
  const extraEnv = spec.extraEnv ?? {};
  for (const key of Object.keys(extraEnv)) {
    if (!EXTRA_ENV_ALLOWED.test(key)) throw new Error(`extraEnv may only carry endpoint and credentials, not ${key}`);
    if (key in functionVars) throw new Error(`extraEnv must not override the function's variable ${key}`);
  }
  if (!config.Handler || !config.Runtime) throw new Error(`${spec.functionName} has no Handler/Runtime (not a zip function?)`);

  // Guard against testing a different build than the one deployed.
  const zipSha = createHash('sha256').update(await readFile(spec.zipPath)).digest('base64');
  if (config.CodeSha256 && config.CodeSha256 !== zipSha) {
    throw new Error(`${spec.zipPath} (sha256 ${zipSha}) is not the deployed code (${config.CodeSha256})`);
  }

  return startFunction({
    zipPath: spec.zipPath,
    handler: config.Handler,
    env: { ...functionVars, ...extraEnv },
    timeoutSeconds: config.Timeout ?? 3,
    memoryMb: config.MemorySize ?? 128,
    functionName: config.FunctionName ?? spec.functionName,
    region: await spec.lambdaClient.config.region(),
    runtime: config.Runtime,
    ...(config.FunctionArn ? { functionArn: config.FunctionArn } : {}),
  });
}

function parseJsonObject(line: string): Record<string, unknown>[] {
  if (!line.startsWith('{')) return [];
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}
