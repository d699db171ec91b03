/**
 * The local world, assembled: moto (AWS), the GitHub twin, a runner fleet of simulated
 * agents, the outcome ledger, and the two built Lambda zips running in their own Node
 * processes the way the Lambda runtime runs them, fully configured against the twin and
 * moto. End-to-end tests, the shared scenario, `npm start` and the apply tests build on it.
 *
 * ```ts
 * const world = await LocalWorld.start({ moto });            // a started moto, shared per test file (or none: the world starts one)
 * await world.reset();                                        // per test: clean moto and twin, fresh org, warm functions kept
 * await world.fleet.launch({ count: 2, owner: world.org, ...FAST_AGENT });
 * await world.runScaleDown();                                 // first idle sighting
 * const run = await world.runScaleDown();                     // reclaims; agents of terminated instances die
 * expect(run.summary?.terminated).toBe(2);
 * expect(world.harmedJobs()).toEqual([]);                     // this round's jobs killed or cancelled
 * await world.stop();
 * ```
 *
 * Other configurations (DRY_RUN, a bad variable, a short timeout) get their own process
 * with `world.startFunction(which, { env })` and run through `world.run(fn)`.
 *
 * The Lambda processes run on real time, so the world defaults to a RealClock; the agents'
 * set-up plus hook delay (the job-started hook's tag lags the Worker by both) must stay
 * below SETTLE_SECONDS for hook evidence to land inside the settle.
 *
 * Machine evidence: every agent's machine is real (integration/machine/local-machine.ts),
 * and the SSM twin (integration/ssm-twin) stands in front of moto for the functions
 * (`AWS_ENDPOINT_URL_SSM`), with the probe document created in moto as the module creates
 * it (`PROBE_DOCUMENT_NAME`). Launch with `ssm: true` for instances the probe can reach,
 * `hooks: 'proven' | 'overridden' | 'none'` for the hook install.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTagsCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CreateDocumentCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { RunSummary } from '../../lambda/src/observability/telemetry';
import { RunnerFleet } from '../agents';
import { startFunction, scheduledEvent, type InvokeResult, type RunningFunction } from '../lambda-runtime';
import { OutcomeLedger, type JobRecord } from '../ledger';
import { SsmTwin, probeDocumentContent } from '../ssm-twin';
import { MOTO_REGION, MotoServer, motoEc2, motoEnv, motoSsm, putGitHubAppParameters } from '../moto';
import {
  DEFAULT_PRIMARY_LIMIT,
  DEFAULT_SWITCHES,
  GitHubTwin,
  RealClock,
  type GitHubTwinOptions,
  type TwinOwner,
  type WorldClock,
} from '../twin';

export const REPO_ROOT = join(__dirname, '..', '..');
/**
 * Where the built zips are: lambda/dist, or RUNNER_REAPER_DIST_DIR (e.g. zips built from a
 * deliberately broken copy of the sources, to see the end-to-end tests fail).
 */
export const DIST_DIR = process.env.RUNNER_REAPER_DIST_DIR || join(REPO_ROOT, 'lambda', 'dist');
export const SCALE_DOWN_ZIP = join(DIST_DIR, 'scale-down.zip');
export const ORPHAN_CLEANUP_ZIP = join(DIST_DIR, 'orphan-cleanup.zip');

/** Settings that make the reaper act within seconds: no minimum ages, a 2 s settle. */
export const FAST_REAPER_CONFIG: Readonly<Record<string, string>> = {
  MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
  RUNNER_BOOT_TIME_IN_MINUTES: '0',
  IDLE_CONFIRMATION_SECONDS: '0',
  SETTLE_SECONDS: '2',
  JOB_EVIDENCE: 'hooks',
  MAX_JOB_DURATION_MINUTES: '60',
  DRY_RUN: 'false',
  PROBE_TIMEOUT_SECONDS: '5',
};

/** The probe document's name in the world (`<environment>-runner-reaper-probe`). */
export function probeDocumentName(environment: string): string {
  return `${environment}-runner-reaper-probe`;
}

/**
 * Agent settings that fit FAST_REAPER_CONFIG: a job's Worker starts within a poll (200 ms),
 * its "Set up job" takes 400 ms before the job-started hook, whose own calls take 300 ms:
 * the tag lags the Worker by 0.7 s, well inside the 2 s settle.
 */
export const FAST_AGENT = { setUpMs: 400, hookDelayMs: 300, pollIntervalMs: 200 } as const;

/**
 * The functions' Lambda timeout: the module's default (scale_down_timeout,
 * orphan_cleanup_timeout), given to them as FUNCTION_TIMEOUT_SECONDS as the module does.
 * Less would defer every probe reclaim: a run keeps the settle, the re-check's worst-case
 * GitHub wait and two probe rounds free before it deregisters anything.
 */
export const WORLD_FUNCTION_TIMEOUT_SECONDS = 180;

/** The function's environment: the world's, its Lambda timeout as the module passes it, then the overrides. */
function functionEnvFor(base: Readonly<Record<string, string>>, fo: FunctionOptions): Record<string, string> {
  return { ...base, FUNCTION_TIMEOUT_SECONDS: String(fo.timeoutSeconds ?? WORLD_FUNCTION_TIMEOUT_SECONDS), ...(fo.env ?? {}) };
}

export interface FunctionOptions {
  /** Lambda timeout (default WORLD_FUNCTION_TIMEOUT_SECONDS). */
  timeoutSeconds?: number;
  /** Variables merged over the world's configuration for this function only. */
  env?: Record<string, string>;
}

export interface LocalWorldOptions {
  /** A running moto to use (shared per test file; the caller resets and stops it). Default: the world starts its own. */
  moto?: MotoServer;
  /** World clock for twin, agents and ledger (default RealClock: the Lambda runs on real time). */
  clock?: WorldClock;
  /** `ghr:environment` of the fleet and the reaper's ENVIRONMENT (default `gh-ci`). */
  environment?: string;
  /** Accounts the twin's App is installed on (default `['my-org']`; covers their repositories). */
  accounts?: string[];
  /** Variables merged over FAST_REAPER_CONFIG for both functions. */
  config?: Record<string, string>;
  scaleDown?: FunctionOptions;
  orphanCleanup?: FunctionOptions;
  /** Fleet EC2 watcher period in world ms (default 0: `runScaleDown`/`runOrphanCleanup` sweep). */
  fleetWatchIntervalMs?: number;
  twin?: Omit<GitHubTwinOptions, 'clock' | 'ledger'>;
}

/** One outcome line the function logged (one per instance and run). */
export interface LoggedOutcome {
  instanceId: string;
  result: 'terminated' | 'kept' | string;
  reason: string;
  action?: string;
  deregistered?: boolean;
  /** The machine evidence that backed the decision (`hooks`, `probe`, `none`), when the function logs it. */
  evidence?: string;
}

export interface ReaperRun {
  /** The raw invocation result. */
  invocation: InvokeResult;
  /** The handler's summary when it returned. */
  summary?: RunSummary;
  /** `errorType: errorMessage` when the invocation failed (error, timeout, crash). */
  error?: string;
  outcomes: LoggedOutcome[];
  /** Instances whose agents the sweep after the run found gone. */
  died: string[];
}

export interface InstanceView {
  instanceId: string;
  /** EC2 state name, or `gone`. */
  state: string;
  tags: Record<string, string>;
}

export class LocalWorld {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly twin: GitHubTwin;
  /** SSM Run Command in front of moto: the functions' SSM endpoint, the probe's way to the machines. */
  readonly ssmTwin: SsmTwin;
  /** The fleet of this round (a new one after each `reset`). */
  fleet: RunnerFleet;
  /** The org owner of this round (`my-org` first, a fresh `my-org-<n>` after each `reset`). */
  org: TwinOwner;
  /** A repository owner under `org` (`<org>/app`). */
  repo: TwinOwner;
  /** World time of the last `reset` (start of the round): the ledger's jobs before it belong to earlier rounds. */
  roundStartedAt: number;
  private round = 0;

  private constructor(
    readonly moto: MotoServer,
    private readonly ownsMoto: boolean,
    readonly clock: WorldClock,
    /** Every job's and instance's fate (the twin's dispatcher and the fleet report here). */
    readonly ledger: OutcomeLedger,
    readonly environment: string,
    readonly scaleDown: RunningFunction,
    readonly orphanCleanup: RunningFunction,
    twin: GitHubTwin,
    ssmTwin: SsmTwin,
    private readonly machinesDir: string,
    private readonly fleetWatchIntervalMs: number,
    private readonly baseAccount: string,
    /** The configuration both functions got (before per-function overrides). */
    readonly functionEnv: Readonly<Record<string, string>>,
  ) {
    this.twin = twin;
    this.ssmTwin = ssmTwin;
    this.ec2 = motoEc2(moto.url);
    this.ssm = motoSsm(moto.url);
    this.fleet = this.newFleet();
    this.org = { type: 'Org', owner: baseAccount };
    this.repo = { type: 'Repo', owner: `${baseAccount}/app` };
    this.roundStartedAt = clock.now();
  }

  /**
   * Starts a clean round while keeping the twin and the (warm) function processes: kills
   * the agents, resets moto and stores the App again, clears the twin's hooks, faults,
   * limits, switches and request log, and installs the App on a fresh org, so runners
   * and cached installation tokens of earlier rounds cannot mix in. Jobs of earlier
   * rounds stay in the ledger; `roundJobs()` and `harmedJobs()` leave them out.
   */
  async reset(): Promise<void> {
    await this.fleet.stop();
    for (const agent of this.fleet.agents.values()) if (agent.alive) agent.die();
    await this.fleet.close();
    this.ssmTwin.reset();
    await this.moto.reset();
    await this.storeAppParameters();
    await this.createProbeDocument();
    const { twin } = this;
    twin.hooks.clear();
    twin.faults.clear();
    twin.limits.configure({ primary: { ...DEFAULT_PRIMARY_LIMIT }, secondary: null });
    twin.limits.reset();
    twin.dispatcher.setSwitches({ ...DEFAULT_SWITCHES });
    twin.log.clear();
    this.round++;
    const account = `${this.baseAccount}-${this.round}`;
    twin.install(account);
    this.org = { type: 'Org', owner: account };
    this.repo = { type: 'Repo', owner: `${account}/app` };
    this.fleet = this.newFleet();
    this.roundStartedAt = this.clock.now();
  }

  /** Jobs queued in this round. */
  roundJobs(): JobRecord[] {
    return this.ledger.allJobs().filter((j) => j.queuedAt >= this.roundStartedAt);
  }

  /** Jobs of this round killed by termination or cancelled by deregistration. */
  harmedJobs(): JobRecord[] {
    return this.ledger.harmedJobs().filter((j) => j.queuedAt >= this.roundStartedAt);
  }

  /** Writes the twin App's id and key to SSM (again after a moto reset). */
  async storeAppParameters(): Promise<void> {
    await putGitHubAppParameters(this.ssm, { appId: this.twin.appId, privateKeyBase64: this.twin.privateKeyBase64 });
  }

  /** Creates the probe document in moto, as the module's Terraform does (again after a moto reset). */
  async createProbeDocument(): Promise<void> {
    await this.ssm.send(
      new CreateDocumentCommand({
        Name: probeDocumentName(this.environment),
        DocumentType: 'Command',
        DocumentFormat: 'JSON',
        Content: JSON.stringify(probeDocumentContent()),
      }),
    );
  }

  private newFleet(): RunnerFleet {
    return new RunnerFleet({
      dispatcher: this.twin.dispatcher,
      clock: this.clock,
      ec2: this.ec2,
      ledger: this.ledger,
      environment: this.environment,
      watchIntervalMs: this.fleetWatchIntervalMs,
      machinesDir: this.machinesDir,
    });
  }

  /** Starts (or joins) moto, starts the twin, stores the App in SSM and starts both functions. */
  static async start(opts: LocalWorldOptions = {}): Promise<LocalWorld> {
    for (const zip of [SCALE_DOWN_ZIP, ORPHAN_CLEANUP_ZIP]) {
      if (!existsSync(zip)) throw new Error(`${zip} is missing: run \`npm run build\` first`);
    }
    const ownsMoto = !opts.moto;
    const moto = opts.moto ?? new MotoServer();
    if (ownsMoto) await moto.start();
    const clock = opts.clock ?? new RealClock();
    const environment = opts.environment ?? 'gh-ci';
    const accounts = opts.accounts ?? ['my-org'];

    const world = { twin: undefined as GitHubTwin | undefined, ssmTwin: undefined as SsmTwin | undefined, fns: [] as RunningFunction[], machinesDir: '', built: undefined as LocalWorld | undefined };
    try {
      const ledger = new OutcomeLedger();
      const twin = new GitHubTwin({ ...(opts.twin ?? {}), clock, ledger });
      world.twin = twin;
      await twin.start();
      world.machinesDir = mkdtempSync(join(tmpdir(), 'runner-reaper-machines-'));
      // The SSM twin finds the machines in the world's current fleet (a new one each round).
      const ssmTwin = new SsmTwin({
        motoUrl: moto.url,
        // Proxied calls take the functions' own way to moto (e.g. npm start's call counter).
        ...(opts.config?.AWS_ENDPOINT_URL ? { proxyTo: opts.config.AWS_ENDPOINT_URL } : {}),
        machines: { get: (id) => world.built?.fleet.machine(id), all: () => world.built?.fleet.machines.values() ?? [] },
      });
      world.ssmTwin = ssmTwin;
      await ssmTwin.start();
      for (const account of accounts) twin.install(account);
      const names = await putGitHubAppParameters(motoSsm(moto.url), { appId: twin.appId, privateKeyBase64: twin.privateKeyBase64 });

      const functionEnv: Record<string, string> = {
        ...reaperAwsEnv(moto.url),
        AWS_ENDPOINT_URL_SSM: ssmTwin.url,
        PROBE_DOCUMENT_NAME: probeDocumentName(environment),
        ENVIRONMENT: environment,
        PARAMETER_GITHUB_APP_ID_NAME: names.appId,
        PARAMETER_GITHUB_APP_KEY_BASE64_NAME: names.keyBase64,
        GITHUB_API_URL: twin.url,
        POWERTOOLS_METRICS_NAMESPACE: 'RunnerReaperLocal',
        ...FAST_REAPER_CONFIG,
        ...(opts.config ?? {}),
      };
      const start = (name: string, zipPath: string, fo: FunctionOptions = {}) =>
        startFunction({
          zipPath,
          handler: 'index.handler',
          functionName: `${environment}-${name}`,
          region: MOTO_REGION,
          timeoutSeconds: fo.timeoutSeconds ?? WORLD_FUNCTION_TIMEOUT_SECONDS,
          memoryMb: 512,
          env: functionEnvFor(functionEnv, fo),
        });
      const scaleDown = await start('scale-down', SCALE_DOWN_ZIP, opts.scaleDown);
      world.fns.push(scaleDown);
      const orphanCleanup = await start('orphan-cleanup', ORPHAN_CLEANUP_ZIP, opts.orphanCleanup);
      world.fns.push(orphanCleanup);
      const built = new LocalWorld(
        moto,
        ownsMoto,
        clock,
        ledger,
        environment,
        scaleDown,
        orphanCleanup,
        twin,
        ssmTwin,
        world.machinesDir,
        opts.fleetWatchIntervalMs ?? 0,
        accounts[0] ?? 'my-org',
        functionEnv,
      );
      world.built = built;
      await built.createProbeDocument();
      return built;
    } catch (error) {
      for (const fn of world.fns) await fn.stop().catch(() => undefined);
      await world.built?.fleet.close().catch(() => undefined);
      await world.ssmTwin?.stop().catch(() => undefined);
      if (world.machinesDir) rmSync(world.machinesDir, { recursive: true, force: true });
      await world.twin?.stop().catch(() => undefined);
      if (ownsMoto) await moto.stop().catch(() => undefined);
      throw error;
    }
  }

  /** Invokes scale-down with a scheduled event, then sweeps the fleet so agents of terminated instances die. */
  runScaleDown(): Promise<ReaperRun> {
    return this.run(this.scaleDown, 'scale-down');
  }

  /** Invokes orphan-cleanup with a scheduled event, then sweeps the fleet. */
  runOrphanCleanup(): Promise<ReaperRun> {
    return this.run(this.orphanCleanup, 'orphan-cleanup');
  }

  /** Starts an extra function from one of the zips with configuration overrides (e.g. DRY_RUN, a short timeout). */
  async startFunction(which: 'scale-down' | 'orphan-cleanup', fo: FunctionOptions = {}): Promise<RunningFunction> {
    const fn = await startFunction({
      zipPath: which === 'scale-down' ? SCALE_DOWN_ZIP : ORPHAN_CLEANUP_ZIP,
      handler: 'index.handler',
      functionName: `${this.environment}-${which}-extra`,
      region: MOTO_REGION,
      timeoutSeconds: fo.timeoutSeconds ?? WORLD_FUNCTION_TIMEOUT_SECONDS,
      memoryMb: 512,
      env: functionEnvFor(this.functionEnv, fo),
    });
    this.extraFunctions.push(fn);
    return fn;
  }

  /** Invokes any function of this world and sweeps afterwards. */
  async run(fn: RunningFunction, rule = 'reaper'): Promise<ReaperRun> {
    const before = fn.jsonLogs().length;
    const invocation = await fn.invoke(scheduledEvent(`arn:aws:events:${MOTO_REGION}:123456789012:rule/${this.environment}-${rule}`));
    const died = await this.fleet.sweep();
    const outcomes = fn
      .jsonLogs()
      .slice(before)
      .filter((l) => typeof l.instanceId === 'string' && typeof l.reason === 'string' && typeof l.result === 'string')
      .map((l) => ({
        instanceId: l.instanceId as string,
        result: l.result as string,
        reason: l.reason as string,
        ...(typeof l.action === 'string' ? { action: l.action } : {}),
        ...(typeof l.deregistered === 'boolean' ? { deregistered: l.deregistered } : {}),
        ...(typeof l.evidence === 'string' ? { evidence: l.evidence } : {}),
      }));
    return invocation.ok
      ? { invocation, summary: invocation.result as RunSummary, outcomes, died }
      : { invocation, error: `${invocation.errorType}: ${invocation.errorMessage}`, outcomes, died };
  }

  /** One instance's EC2 state and tags (`gone` when moto does not know it). */
  async instance(instanceId: string): Promise<InstanceView> {
    const out = await this.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }));
    const inst = (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])[0];
    if (!inst) return { instanceId, state: 'gone', tags: {} };
    const tags = Object.fromEntries((inst.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    return { instanceId, state: inst.State?.Name ?? 'unknown', tags };
  }

  /** Whether EC2 still runs the instance (pending or running). */
  async isRunning(instanceId: string): Promise<boolean> {
    const { state } = await this.instance(instanceId);
    return state === 'running' || state === 'pending';
  }

  async tagInstance(instanceId: string, tags: Record<string, string>): Promise<void> {
    await this.ec2.send(
      new CreateTagsCommand({ Resources: [instanceId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    );
  }

  /** The twin runner id of an instance's agent (throws when it has none). */
  runnerIdOf(instanceId: string): number {
    const id = this.fleet.agent(instanceId)?.runnerId;
    if (id === undefined) throw new Error(`instance ${instanceId} has no registered runner`);
    return id;
  }

  /** Stops agents, functions and twin, and moto when the world started it. */
  async stop(): Promise<void> {
    await this.fleet.close();
    for (const fn of [this.scaleDown, this.orphanCleanup, ...this.extraFunctions]) await fn.stop().catch(() => undefined);
    await this.ssmTwin.stop();
    rmSync(this.machinesDir, { recursive: true, force: true });
    await this.twin.stop();
    if (this.ownsMoto) await this.moto.stop();
  }

  private readonly extraFunctions: RunningFunction[] = [];
}

/**
 * AWS environment for a function reaching moto (or LocalStack): the endpoint and static
 * credentials. AWS_REGION is set by the runtime emulator, never by the function.
 */
export function reaperAwsEnv(endpoint: string): Record<string, string> {
  const { AWS_REGION: _region, AWS_DEFAULT_REGION: _default, ...rest } = motoEnv(endpoint);
  return rest;
}

/**
 * SIGKILLs the runtime process of a running function: a Lambda dying mid-run (out of
 * memory, a host failure) the way no in-process guard can prevent. The process is found by
 * its working directory (the function's own task root) and must be a child of this
 * process. Linux only (/proc). Returns the killed pids.
 */
export function killRuntimeProcess(fn: RunningFunction): number[] {
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== fn.taskRoot) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return killed;
}

/** Polls `check` every `everyMs` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
