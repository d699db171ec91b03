/**
 * One scale-down cycle per fleet size and strategy, against the HTTP twin (with latency on
 * every call and GitHub's secondary limits on) and moto, each on a fresh world. Every
 * strategy is a Lambda zip run the way Lambda runs it (its own process, through
 * integration/lambda-runtime): ours is lambda/dist/scale-down.zip, the references are
 * bundled from reference-handler.ts with the reaper's own adapters, so transport, pacing,
 * memory and cold start are measured the same way for all.
 *
 * Pacing scale: GitHub allows about 180 DELETEs a minute, so at real pacing a cycle that
 * deregisters 2,500 runners takes 17 minutes. The bench multiplies GitHub's limit (the
 * twin's points per minute) and the client's pacing (GITHUB_POINTS_PER_MINUTE) by the same
 * factor; every call count is unchanged by it, and durations are also given converted back
 * to real pacing.
 */
import { mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EndpointPacer, pointsOf } from '../../lambda/src/adapters/github-client';
import { scheduledEvent, startFunction } from '../lambda-runtime';
import { DEFAULT_APP_PARAMETER_NAMES, motoEc2, motoEnv, motoSsm, putGitHubAppParameters, type MotoServer } from '../moto';
import { AwsCallCounter } from '../moto/aws-call-counter';
import { GITHUB_SECONDARY_LIMITS, GitHubTwin, RealClock, type TwinOwner } from '../twin';
import { benchChartSvg } from './chart';
import { measureColdStart, type ColdStart } from './cold-start';
import { retireIdle, seedBusy, seedIdle, type FleetWorld } from './fleet';
import { githubLowerBound } from './lower-bound';
import { replayAtRealPacing } from './real-pacing';
import { buildReferenceZip } from './reference-zip';

export const BENCH_STRATEGIES = ['ours', 'a', 'b', 'c'] as const;
export type BenchStrategyKey = (typeof BENCH_STRATEGIES)[number];

export const STRATEGY_NAMES: Record<BenchStrategyKey, string> = {
  ours: 'ours',
  a: '(a) busy, delete, terminate',
  b: '(b) delete, terminate on 204',
  c: '(c) delete, re-check, 404',
};

const ENVIRONMENT = 'bench';
const OWNER: TwinOwner = { type: 'Org', owner: 'bench-org' };
/** The Terraform module's default memory for the scale-down function. */
export const LAMBDA_MEMORY_MB = 512;
/** Lambda's hard maximum; the bench lets a run go this long to see where it ends. */
export const LAMBDA_TIMEOUT_S = 900;
/** The module's default timeout of the scale-down function. */
export const LAMBDA_DEFAULT_TIMEOUT_S = 180;
/** github.com's secondary limit per endpoint. */
const POINTS_PER_MINUTE = GITHUB_SECONDARY_LIMITS.pointsPerMinute;
/** The client's DELETE interval at a limit: 400 ms at 900 points a minute. */
const deleteIntervalMs = (pointsPerMinute: number) => Math.round(new EndpointPacer(pointsPerMinute).intervalMs(pointsOf('DELETE')));
const REAL_DELETE_INTERVAL_MS = deleteIntervalMs(POINTS_PER_MINUTE);
const AUTH_ROUTES = ['GET /orgs/{org}/installation', 'POST /app/installations/{installation_id}/access_tokens'];

export interface BenchOptions {
  moto: MotoServer;
  sizes: number[];
  strategies: readonly BenchStrategyKey[];
  /** Latency added to every twin call (ms). */
  latencyMs: number;
  settleSeconds: number;
  /** Pacing scale factor (1 = GitHub's real limits). */
  scale: number;
  /** The built zips. */
  scaleDownZip: string;
  orphanCleanupZip: string;
  /** Cold starts measured per function (the median counts); default 3. */
  coldStartRuns?: number;
  /** Per progress line (size, strategy). */
  progress?: (line: string) => void;
}

export interface BenchFunction {
  name: string;
  zipBytes: number;
  /** Cold start: process start to handler module loaded (median of the runs). */
  initMs: number;
  loadMs: number;
}

export interface BenchRow {
  size: number;
  strategy: BenchStrategyKey;
  strategyName: string;
  idleRunners: number;
  busyRunners: number;
  /** Idle instances terminated in the cycle. */
  reclaimed: number;
  /** Busy runners' instances terminated (must be 0 for every strategy in this quiet world). */
  busyTerminated: number;
  githubCalls: Record<string, number>;
  githubTotal: number;
  authCalls: number;
  /** The fewest GitHub requests a cycle reclaiming `reclaimed` runners can make (lower-bound.ts). */
  githubLowerBound: number;
  /** githubTotal / githubLowerBound. */
  githubRatio: number;
  awsCalls: Record<string, number>;
  awsTotal: number;
  /** The invocation, cold start included, as measured (scaled pacing). */
  wallMs: number;
  /** The invocation without its cold start (Lambda's Duration), scaled pacing. */
  durationMs: number;
  /** The same converted back to GitHub's real pacing: the request log replayed through the client's pacer at the real limit (real-pacing.ts). */
  durationAtRealPacingMs: number;
  /** Whether cold start + duration at real pacing fits the module's default timeout (180 s) and Lambda's maximum (900 s); a run that does not fit is cut off. */
  fitsAtRealPacing: { defaultTimeout: boolean; maxTimeout: boolean };
  /** memory GB x (init + duration at real pacing) s: Lambda bills the init of on-demand functions too. */
  gbSeconds: number;
  /** Median gap between DELETEs as the twin saw them (ms); null with fewer than two. */
  observedDeleteIntervalMs: number | null;
  /** Peak resident set of the function's process (VmHWM, MB). */
  peakRssMb: number | null;
  /** Set when the cycle failed or timed out. */
  error?: string;
}

export interface BenchReport {
  generatedAt: string;
  latencyMs: number;
  settleSeconds: number;
  lambdaMemoryMb: number;
  lambdaTimeoutSeconds: number;
  lambdaDefaultTimeoutSeconds: number;
  scale: {
    factor: number;
    /** The twin's secondary limit and the client's GITHUB_POINTS_PER_MINUTE in this run. */
    pointsPerMinute: number;
    deleteIntervalMs: number;
    realDeleteIntervalMs: number;
    meaning: string;
  };
  peakMemoryMeaning: string;
  functions: BenchFunction[];
  rows: BenchRow[];
}

function benchEnv(twinUrl: string, options: BenchOptions): Record<string, string> {
  return {
    ENVIRONMENT,
    PARAMETER_GITHUB_APP_ID_NAME: DEFAULT_APP_PARAMETER_NAMES.appId,
    PARAMETER_GITHUB_APP_KEY_BASE64_NAME: DEFAULT_APP_PARAMETER_NAMES.keyBase64,
    GITHUB_API_URL: twinUrl,
    MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
    IDLE_CONFIRMATION_SECONDS: '60',
    JOB_EVIDENCE: 'auto',
    SETTLE_SECONDS: String(options.settleSeconds),
    GITHUB_POINTS_PER_MINUTE: String(Math.round(POINTS_PER_MINUTE * options.scale)),
  };
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  if (!(options.scale >= 1)) throw new Error('the pacing scale must be 1 or more');
  const work = await mkdtemp(join(tmpdir(), 'bench-'));
  try {
    const referenceZip = await buildReferenceZip(work);
    const zips: Record<BenchStrategyKey, string> = { ours: options.scaleDownZip, a: referenceZip, b: referenceZip, c: referenceZip };
    const coldEnv = { ...benchEnv('http://127.0.0.1:1', options), BENCH_STRATEGY: 'b', ...awsEnv('http://127.0.0.1:1') };
    const functions: BenchFunction[] = [];
    for (const [name, zip] of [
      ['scale-down', options.scaleDownZip],
      ['orphan-cleanup', options.orphanCleanupZip],
      ['bench-reference', referenceZip],
    ] as const) {
      options.progress?.(`cold start of ${name}`);
      const cold: ColdStart = await measureColdStart(zip, coldEnv, LAMBDA_MEMORY_MB, options.coldStartRuns ?? 3);
      functions.push({ name, zipBytes: statSync(zip).size, ...cold });
    }
    const initOf = (strategy: BenchStrategyKey) => functions.find((f) => f.name === (strategy === 'ours' ? 'scale-down' : 'bench-reference'))!.initMs;

    const rows: BenchRow[] = [];
    for (const size of options.sizes) {
      rows.push(...(await runSize(options, size, zips, initOf)));
    }
    const pointsPerMinute = Math.round(POINTS_PER_MINUTE * options.scale);
    return {
      generatedAt: new Date().toISOString(),
      latencyMs: options.latencyMs,
      settleSeconds: options.settleSeconds,
      lambdaMemoryMb: LAMBDA_MEMORY_MB,
      lambdaTimeoutSeconds: LAMBDA_TIMEOUT_S,
      lambdaDefaultTimeoutSeconds: LAMBDA_DEFAULT_TIMEOUT_S,
      scale: {
        factor: options.scale,
        pointsPerMinute,
        deleteIntervalMs: deleteIntervalMs(pointsPerMinute),
        realDeleteIntervalMs: REAL_DELETE_INTERVAL_MS,
        meaning: `GitHub's secondary limit (the twin's points per minute per endpoint) and the clients' pacing (GITHUB_POINTS_PER_MINUTE) are both ${options.scale}x GitHub's; call counts do not depend on it; durationAtRealPacingMs replays the run's GitHub requests through the client's pacer at the real limit (real-pacing.ts)`,
      },
      peakMemoryMeaning: 'VmHWM (peak resident set) of the function\'s runtime process, read from /proc just before it is stopped; covers cold start and one invocation',
      functions,
      rows,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One size: the busy half seeded once, then per strategy a fresh idle half, one cycle, and the leftovers retired. */
async function runSize(
  options: BenchOptions,
  size: number,
  zips: Record<BenchStrategyKey, string>,
  initOf: (strategy: BenchStrategyKey) => number,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let world: SizeWorld | undefined;
  try {
    for (const strategy of options.strategies) {
      const tag = `size ${size}, strategy ${strategy}`;
      const progress = (line: string) => options.progress?.(`${tag}: ${line}`);
      if (!world) {
        progress('seeding the busy half');
        world = await startSizeWorld(options, size, progress);
      }
      progress('seeding the idle half');
      const idle = await seedIdle({ ...world.fleet, progress }, size - world.busy.length);
      progress('running one cycle');
      const row = await runCycle(options, world, size, strategy, zips[strategy], initOf(strategy), idle.ids);
      options.progress?.(`${tag}: ${(row.wallMs / 1000).toFixed(1)} s${row.error ? ` (${row.error})` : ''}`);
      rows.push(row);
      await retireIdle(world.fleet, idle, new Set(world.counter.terminations.flatMap((t) => t.instanceIds)));
      if (row.busyTerminated > 0) {
        // A strategy harmed the busy half: the next one gets a fresh world.
        await stopSizeWorld(world);
        world = undefined;
      }
    }
  } finally {
    if (world) await stopSizeWorld(world);
  }
  return rows;
}

interface SizeWorld {
  twin: GitHubTwin;
  counter: AwsCallCounter;
  fleet: FleetWorld;
  busy: string[];
}

async function startSizeWorld(options: BenchOptions, size: number, progress: (line: string) => void): Promise<SizeWorld> {
  const { moto } = options;
  await moto.reset();
  const twin = new GitHubTwin({ clock: new RealClock() });
  const counter = new AwsCallCounter(moto.url);
  await twin.start();
  await counter.start();
  twin.install(OWNER.owner);
  twin.dispatcher.setSwitches({ offlineAfterMs: Number.MAX_SAFE_INTEGER, busyFlagDelayMs: 0 });
  await putGitHubAppParameters(motoSsm(moto.url), { appId: twin.appId, privateKeyBase64: twin.privateKeyBase64 });
  const fleet: FleetWorld = { ec2: motoEc2(moto.url), dispatcher: twin.dispatcher, owner: OWNER, environment: ENVIRONMENT };
  const busy = await seedBusy({ ...fleet, progress }, Math.floor(size / 2));
  twin.faults.addLatency(options.latencyMs);
  twin.limits.configure({ secondary: { pointsPerMinute: Math.round(POINTS_PER_MINUTE * options.scale) } });
  return { twin, counter, fleet, busy };
}

async function stopSizeWorld(world: SizeWorld): Promise<void> {
  await world.counter.stop();
  await world.twin.stop();
}

async function runCycle(
  options: BenchOptions,
  world: SizeWorld,
  size: number,
  strategy: BenchStrategyKey,
  zipPath: string,
  initMs: number,
  idle: readonly string[],
): Promise<BenchRow> {
  const { twin, counter } = world;
  twin.log.clear();
  twin.limits.reset();
  counter.reset();

  const env = { ...benchEnv(twin.url, options), ...(strategy === 'ours' ? {} : { BENCH_STRATEGY: strategy }) };
  const fn = await startFunction({
    zipPath,
    handler: 'index.handler',
    functionName: `bench-${strategy}`,
    env: { ...env, ...awsEnv(counter.url) },
    memoryMb: LAMBDA_MEMORY_MB,
    timeoutSeconds: LAMBDA_TIMEOUT_S,
  });
  const started = Date.now();
  let error: string | undefined;
  let peakRssMb: number | null = null;
  try {
    const result = await fn.invoke(scheduledEvent('arn:aws:events:us-east-1:123456789012:rule/bench'));
    if (!result.ok) error = `${result.errorType}: ${result.errorMessage}`.slice(0, 300);
    peakRssMb = peakRssOf(fn.taskRoot);
  } finally {
    await fn.stop();
  }
  const wallMs = Date.now() - started;
  // Which instances the function's TerminateInstances named (moto terminates every id it knows).
  const named = new Set(counter.terminations.flatMap((t) => t.instanceIds));
  const reclaimed = idle.filter((id) => named.has(id)).length;
  const githubCalls = twin.log.counts();
  const authCalls = AUTH_ROUTES.reduce((n, route) => n + (githubCalls[route] ?? 0), 0);
  // The bench's machines have hooks and no SSM agent: a re-check GET per reclaim still adds evidence (lower-bound.ts).
  const bound = githubLowerBound({ runners: size, reclaimed, recheckGets: reclaimed });
  const durationMs = Math.max(0, wallMs - initMs);
  const log = twin.log.all();
  const observedDeleteIntervalMs = medianGap(log.filter((e) => e.method === 'DELETE').map((e) => e.at));
  // The GitHub part of the run replayed at the real limit; the rest of the run is unchanged.
  const replay = replayAtRealPacing(log, POINTS_PER_MINUTE);
  const durationAtRealPacingMs = Math.round(durationMs + Math.max(0, replay.realSpanMs - replay.observedSpanMs));
  return {
    size,
    strategy,
    strategyName: STRATEGY_NAMES[strategy],
    idleRunners: idle.length,
    busyRunners: world.busy.length,
    reclaimed,
    busyTerminated: world.busy.filter((id) => named.has(id)).length,
    githubCalls,
    githubTotal: twin.log.size,
    authCalls,
    githubLowerBound: bound,
    githubRatio: Math.round((100 * twin.log.size) / bound) / 100,
    awsCalls: counter.byAction(),
    awsTotal: counter.total,
    wallMs,
    durationMs,
    durationAtRealPacingMs,
    fitsAtRealPacing: {
      defaultTimeout: initMs + durationAtRealPacingMs <= LAMBDA_DEFAULT_TIMEOUT_S * 1000,
      maxTimeout: initMs + durationAtRealPacingMs <= LAMBDA_TIMEOUT_S * 1000,
    },
    gbSeconds: Math.round(((LAMBDA_MEMORY_MB / 1024) * (initMs + durationAtRealPacingMs)) / 10) / 100,
    observedDeleteIntervalMs,
    peakRssMb,
    ...(error ? { error } : {}),
  };
}

function medianGap(times: number[]): number | null {
  if (times.length < 2) return null;
  const sorted = [...times].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/** The AWS SDK pointed at the counter; the region is Lambda's own variable, not the function's. */
function awsEnv(endpoint: string): Record<string, string> {
  const { AWS_REGION: _region, AWS_DEFAULT_REGION: _defaultRegion, ...rest } = motoEnv(endpoint);
  return rest;
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

/** Writes the report as JSON and, beside it, the chart as SVG (same name, .svg). */
export function writeBenchReport(report: BenchReport, path: string): { json: string; svg: string } {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  const svg = path.replace(/\.json$/, '') + '.svg';
  writeFileSync(svg, benchChartSvg(report));
  return { json: path, svg };
}

const pad = (s: string, n: number, left = false) => (left ? s.padEnd(n) : s.padStart(n));

export function formatBenchTable(report: BenchReport): string {
  const header = ['size', 'strategy', 'reclaimed', 'busy killed', 'GitHub', 'bound', 'x bound', 'AWS', 'duration s', 'at real pacing s', 'GB-s', 'peak MB'];
  const rows = report.rows.map((r) => [
    String(r.size),
    r.strategyName,
    `${r.reclaimed}/${r.idleRunners}`,
    String(r.busyTerminated),
    String(r.githubTotal),
    String(r.githubLowerBound),
    r.githubRatio.toFixed(2),
    String(r.awsTotal),
    (r.durationMs / 1000).toFixed(1) + (r.error ? ' (failed)' : ''),
    (r.durationAtRealPacingMs / 1000).toFixed(1) + (r.fitsAtRealPacing.defaultTimeout ? '' : r.fitsAtRealPacing.maxTimeout ? ' *' : ' **'),
    r.gbSeconds.toFixed(1),
    r.peakRssMb === null ? 'n/a' : String(r.peakRssMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, i === 1)).join('  ');
  const endpoints = (r: BenchRow) =>
    Object.entries(r.githubCalls)
      .map(([k, n]) => `${k.replace('/orgs/{org}/actions/runners', 'runners')}=${n}`)
      .join(', ');
  const aws = (r: BenchRow) => Object.entries(r.awsCalls).map(([k, n]) => `${k}=${n}`).join(', ');
  const details = report.rows.map(
    (r) => `  ${r.size} ${r.strategyName}: GitHub ${endpoints(r)} | AWS ${aws(r)}${r.error ? ` | error: ${r.error}` : ''}`,
  );
  const fns = report.functions.map((f) => `  ${f.name}: zip ${(f.zipBytes / 1024).toFixed(0)} KiB, cold start ${f.initMs} ms (module load ${f.loadMs} ms)`);
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    'Functions:',
    ...fns,
    '',
    'Calls by endpoint:',
    ...details,
  ].join('\n');
}
