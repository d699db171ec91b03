/**
 * One scale-down cycle per fleet size and strategy, against the HTTP twin (with latency on
 * every call) and moto, each on a fresh world. "Ours" is the built scale-down zip run the
 * way Lambda runs it (its own process, through integration/lambda-runtime); the reference
 * strategies run in this process through the reaper's own adapters (Octokit with the same
 * throttling and DELETE spacing, the AWS SDK), so transport costs are the same for all.
 */
import { mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EC2Client, paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../lambda/src/adapters/ec2';
import { GitHubClients } from '../../lambda/src/adapters/github-client';
import { GitHubRunners } from '../../lambda/src/adapters/github-runners';
import { loadConfig } from '../../lambda/src/config/load';
import { TAG } from '../../lambda/src/core';
import { realSleep } from '../../lambda/src/executor/outcome';
import { scheduledEvent, startFunction } from '../lambda-runtime';
import { DEFAULT_APP_PARAMETER_NAMES, motoClientConfig, motoEc2, motoEnv, motoSsm, putGitHubAppParameters, type MotoServer } from '../moto';
import { BusyThenDeleteStrategy, DeleteFirstStrategy, DeleteRecheckStrategy, type ReclaimStrategy } from '../strategies';
import { GitHubTwin, RealClock, type TwinOwner } from '../twin';
import { AwsCallCounter } from '../moto/aws-call-counter';
import { seedBenchFleet } from './fleet';

export const OURS = 'ours';
export const BENCH_STRATEGIES = [OURS, 'a', 'b', 'c'] as const;
export type BenchStrategyKey = (typeof BENCH_STRATEGIES)[number];

const REFERENCES: Record<Exclude<BenchStrategyKey, 'ours'>, () => ReclaimStrategy> = {
  a: () => new BusyThenDeleteStrategy(),
  b: () => new DeleteFirstStrategy(),
  c: () => new DeleteRecheckStrategy(),
};

const ENVIRONMENT = 'bench';
const OWNER: TwinOwner = { type: 'Org', owner: 'bench-org' };
/** The Terraform module's defaults for the scale-down function. */
export const LAMBDA_MEMORY_MB = 512;
export const LAMBDA_DEFAULT_TIMEOUT_S = 180;
/** Lambda's hard maximum; the bench lets a run go this long to see where it ends. */
const LAMBDA_MAX_TIMEOUT_S = 900;

export interface BenchOptions {
  moto: MotoServer;
  sizes: number[];
  strategies: readonly BenchStrategyKey[];
  /** Latency added to every twin call (ms). */
  latencyMs: number;
  settleSeconds: number;
  /** The built scale-down zip. */
  zipPath: string;
  /** Per progress line (size, strategy). */
  progress?: (line: string) => void;
}

export interface BenchRow {
  size: number;
  strategy: string;
  wallMs: number;
  /** Instances whose state went to shutting-down/terminated in the cycle. */
  terminated: number;
  idleRunners: number;
  busyRunners: number;
  /** Busy runners' instances terminated (must be 0 for every strategy in this quiet world). */
  busyTerminated: number;
  githubCalls: Record<string, number>;
  githubTotal: number;
  awsCalls: Record<string, number>;
  awsTotal: number;
  /** Peak resident set of the Lambda process (VmHWM, MB); null for in-process strategies. */
  peakRssMb: number | null;
  /** Set when the cycle failed or timed out. */
  error?: string;
}

export interface BenchReport {
  generatedAt: string;
  latencyMs: number;
  settleSeconds: number;
  lambdaMemoryMb: number;
  lambdaDefaultTimeoutSeconds: number;
  peakMemoryMeaning: string;
  rows: BenchRow[];
}

function benchEnv(twinUrl: string, settleSeconds: number): Record<string, string> {
  return {
    ENVIRONMENT,
    PARAMETER_GITHUB_APP_ID_NAME: DEFAULT_APP_PARAMETER_NAMES.appId,
    PARAMETER_GITHUB_APP_KEY_BASE64_NAME: DEFAULT_APP_PARAMETER_NAMES.keyBase64,
    GITHUB_API_URL: twinUrl,
    MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
    IDLE_CONFIRMATION_SECONDS: '60',
    JOB_EVIDENCE: 'hooks',
    SETTLE_SECONDS: String(settleSeconds),
  };
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  for (const size of options.sizes) {
    for (const strategy of options.strategies) {
      options.progress?.(`size ${size}, strategy ${strategy}: seeding`);
      const row = await runOne(options, size, strategy);
      options.progress?.(`size ${size}, strategy ${strategy}: ${(row.wallMs / 1000).toFixed(1)} s${row.error ? ` (${row.error})` : ''}`);
      rows.push(row);
    }
  }
  return {
    generatedAt: new Date().toISOString(),
    latencyMs: options.latencyMs,
    settleSeconds: options.settleSeconds,
    lambdaMemoryMb: LAMBDA_MEMORY_MB,
    lambdaDefaultTimeoutSeconds: LAMBDA_DEFAULT_TIMEOUT_S,
    peakMemoryMeaning: 'VmHWM (peak resident set) of the Lambda runtime process, read from /proc just before it is stopped; covers cold start and one invocation',
    rows,
  };
}

async function runOne(options: BenchOptions, size: number, strategy: BenchStrategyKey): Promise<BenchRow> {
  const { moto } = options;
  await moto.reset();
  const twin = new GitHubTwin({ clock: new RealClock() });
  const counter = new AwsCallCounter(moto.url);
  await twin.start();
  await counter.start();
  try {
    twin.install(OWNER.owner);
    twin.dispatcher.setSwitches({ offlineAfterMs: Number.MAX_SAFE_INTEGER, busyFlagDelayMs: 0 });
    await putGitHubAppParameters(motoSsm(moto.url), { appId: twin.appId, privateKeyBase64: twin.privateKeyBase64 });
    const setupEc2 = motoEc2(moto.url);
    const fleet = await seedBenchFleet({
      ec2: setupEc2,
      dispatcher: twin.dispatcher,
      owner: OWNER,
      environment: ENVIRONMENT,
      size,
      ...(options.progress ? { progress: (line: string) => options.progress!(`size ${size}, strategy ${strategy}: ${line}`) } : {}),
    });
    options.progress?.(`size ${size}, strategy ${strategy}: running one cycle`);
    twin.faults.addLatency(options.latencyMs);
    twin.log.clear();
    counter.reset();

    const env = benchEnv(twin.url, options.settleSeconds);
    const started = Date.now();
    let peakRssMb: number | null = null;
    let error: string | undefined;
    if (strategy === OURS) {
      const fn = await startFunction({
        zipPath: options.zipPath,
        handler: 'index.handler',
        functionName: 'bench-scale-down',
        env: { ...env, ...awsEnv(counter.url) },
        memoryMb: LAMBDA_MEMORY_MB,
        timeoutSeconds: LAMBDA_MAX_TIMEOUT_S,
      });
      try {
        const result = await fn.invoke(scheduledEvent('arn:aws:events:us-east-1:123456789012:rule/bench'));
        if (!result.ok) error = `${result.errorType}: ${result.errorMessage}`.slice(0, 300);
        peakRssMb = peakRssOf(fn.taskRoot);
      } finally {
        await fn.stop();
      }
    } else {
      const config = loadConfig(env);
      const clients = new GitHubClients({
        baseUrl: twin.url,
        credentials: async () => ({ appId: String(twin.appId), privateKey: twin.privateKeyPem }),
        concurrency: config.githubConcurrency,
      });
      const ports = {
        ec2: new Ec2Adapter(new EC2Client(motoClientConfig(counter.url))),
        github: new GitHubRunners((owner) => clients.forOwner(owner)),
      };
      try {
        await REFERENCES[strategy]().scaleDown(ports, { config, now: () => new Date(), sleep: realSleep });
      } catch (e) {
        error = String(e).slice(0, 300);
      }
    }
    const wallMs = Date.now() - started;
    const ended = await endedInstances(setupEc2);
    return {
      size,
      strategy: strategy === OURS ? OURS : REFERENCES[strategy]().name,
      wallMs,
      terminated: ended.size,
      idleRunners: fleet.idle.length,
      busyRunners: fleet.busy.length,
      busyTerminated: fleet.busy.filter((id) => ended.has(id)).length,
      githubCalls: twin.log.counts(),
      githubTotal: twin.log.size,
      awsCalls: counter.byAction(),
      awsTotal: counter.total,
      peakRssMb,
      ...(error ? { error } : {}),
    };
  } finally {
    await counter.stop();
    await twin.stop();
  }
}

/** The AWS SDK pointed at the counter; the region is Lambda's own variable, not the function's. */
function awsEnv(endpoint: string): Record<string, string> {
  const { AWS_REGION: _region, AWS_DEFAULT_REGION: _defaultRegion, ...rest } = motoEnv(endpoint);
  return rest;
}

/** Instances of the bench environment that are shutting down or terminated. */
async function endedInstances(ec2: EC2Client): Promise<Set<string>> {
  const ended = new Set<string>();
  const filters = [
    { Name: `tag:${TAG.environment}`, Values: [ENVIRONMENT] },
    { Name: 'instance-state-name', Values: ['shutting-down', 'terminated'] },
  ];
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: filters, MaxResults: 1000 })) {
    for (const i of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) if (i.InstanceId) ended.add(i.InstanceId);
  }
  return ended;
}

/** VmHWM of the process whose working directory is the function's task root (the runtime process). */
function peakRssOf(taskRoot: string): number | null {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(join('/proc', pid, 'cwd')) !== taskRoot) continue;
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(join('/proc', pid, 'status'), 'utf8'));
      if (match) return Math.round(Number(match[1]) / 1024);
    } catch {
      // The process went away or is not ours to read.
    }
  }
  return null;
}

/** Writes the report as JSON (the file `npm run bench` leaves in reports/bench.json). */
export function writeBenchReport(report: BenchReport, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

const pad = (s: string, n: number, left = false) => (left ? s.padEnd(n) : s.padStart(n));

export function formatBenchTable(report: BenchReport): string {
  const endpoints = (r: BenchRow) =>
    Object.entries(r.githubCalls)
      .map(([k, n]) => `${k.replace('/orgs/{org}/actions/runners', 'runners').replace(/^(\w+) /, '$1 ')}=${n}`)
      .join(', ');
  const aws = (r: BenchRow) => Object.entries(r.awsCalls).map(([k, n]) => `${k}=${n}`).join(', ');
  const header = ['size', 'strategy', 'wall s', 'terminated', 'busy killed', 'GitHub', 'AWS', 'peak RSS MB'];
  const rows = report.rows.map((r) => [
    String(r.size),
    r.strategy,
    (r.wallMs / 1000).toFixed(1) + (r.error ? ' (failed)' : ''),
    `${r.terminated}/${r.idleRunners}`,
    String(r.busyTerminated),
    String(r.githubTotal),
    String(r.awsTotal),
    r.peakRssMb === null ? 'n/a' : String(r.peakRssMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, i === 1)).join('  ');
  const details = report.rows.map(
    (r) => `  ${r.size} ${r.strategy}: GitHub ${endpoints(r)} | AWS ${aws(r)}${r.error ? ` | error: ${r.error}` : ''}`,
  );
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '', 'Calls by endpoint:', ...details].join('\n');
}
