/**
 * Runs fuzz cases through the reaper's real parts: GitHubRunners on a real Octokit stack
 * (both plugins) over HTTP to the fuzzing GitHub server, Ec2Adapter and SsmProbe on the
 * real AWS SDK clients (aws-sdk-client-mock answers `send`), then readSnapshot, the
 * decision cores, the executors and reportRun, wired as the handlers wire them (see
 * lambda/src/handlers/scale-down.ts and orphan-cleanup.ts; the handlers themselves read the
 * wall clock and sleep the real settle, so the fuzz calls the same four steps on a virtual
 * clock). Several runs of both functions follow each other on one fleet, so the marks one
 * run writes are what the next run reads.
 */
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { Ec2Adapter } from '../../src/adapters/ec2';
import { GitHubClients } from '../../src/adapters/github-client';
import { GitHubRunners } from '../../src/adapters/github-runners';
import { SsmProbe } from '../../src/adapters/ssm-probe';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { decideOrphans, decideScaleDown, type Decision, type Snapshot } from '../../src/core';
import { runOrphanCleanup } from '../../src/executor/orphan-cleanup';
import { DELETE_COST_MS, LOOK_COST_MS, afterSettleReserveMs, type ExecutorEnv, type ExecutorReport } from '../../src/executor/outcome';
import { runScaleDown } from '../../src/executor/scale-down';
import { probeEnabled } from '../../src/handlers/runtime';
import { readSnapshot } from '../../src/handlers/snapshot';
import { reportRun } from '../../src/observability/telemetry';
import { REGION_AND_CREDENTIALS } from '../helpers/ec2-fake';
import { startGitHubMock, testPrivateKey, type GitHubMock } from '../helpers/github-mock';
import { Ec2World, FuzzPageLoop } from './ec2-world';
import { enabledKinds, type FaultKind } from './faults';
import { generateCase, type CaseSpec, type RunSpec } from './generate';
import { GitHubWorld } from './github-world';
import type { RunReport } from './harness-types';
import { captureTelemetry } from './log-capture';
import { OWNERS } from './model';
import { checkRun, type Violation } from './oracle';
import { keyed } from './random';
import { PortRecorder, type RecordedCall } from './recording-ports';
import { RunContext } from './run-context';
import { SsmWorld } from './ssm-world';

/** The client's per-attempt timeout in the fuzz: a slow answer stays far below it, a "timeout" goes above. */
export const REQUEST_TIMEOUT_MS = 400;

export interface CaseViolation extends Violation {
  run: number;
}

export interface CaseResult {
  seed: number;
  caseNo: number;
  profile: string;
  focus: FaultKind[];
  runs: string[];
  violations: CaseViolation[];
  excused: string[];
  faults: Map<FaultKind, number>;
  terminated: number;
  deletes: number;
  reasons: Map<string, number>;
  trace: string[];
}

interface Current {
  github: GitHubWorld;
  ec2: Ec2World;
  ssm: SsmWorld;
}

/** The shared services of a fuzz run: one HTTP server, the SDK mocks, and the case they answer for. */
export class Fuzz {
  private current: Current | undefined;

  private constructor(
    readonly server: GitHubMock,
    private readonly ec2Mock: AwsClientStub<EC2Client>,
    private readonly ssmMock: AwsClientStub<SSMClient>,
  ) {}

  static async start(): Promise<Fuzz> {
    const server = await startGitHubMock();
    const ec2Mock = mockClient(EC2Client);
    const ssmMock = mockClient(SSMClient);
    const fuzz = new Fuzz(server, ec2Mock, ssmMock);
    server.intercept((request) => fuzz.current?.github.answer(request));
    const on = <T>(f: (c: Current) => T) => () => {
      if (!fuzz.current) throw new Error('no fuzz case is running');
      return f(fuzz.current);
    };
    ec2Mock.on(DescribeInstancesCommand).callsFake((input) => on((c) => c.ec2.describeInstances(input))());
    ec2Mock.on(CreateTagsCommand).callsFake((input) => on((c) => c.ec2.createTags(input))());
    ec2Mock.on(DeleteTagsCommand).callsFake((input) => on((c) => c.ec2.deleteTags(input))());
    ec2Mock.on(TerminateInstancesCommand).callsFake((input) => on((c) => c.ec2.terminateInstances(input))());
    ssmMock.on(DescribeInstanceInformationCommand).callsFake((input) => on((c) => c.ssm.describeInstanceInformation(input))());
    ssmMock.on(SendCommandCommand).callsFake((input) => on((c) => c.ssm.sendCommand(input))());
    ssmMock.on(ListCommandInvocationsCommand).callsFake((input) => on((c) => c.ssm.listCommandInvocations(input))());
    ssmMock.on(GetCommandInvocationCommand).callsFake((input) => on((c) => c.ssm.getCommandInvocation(input))());
    testPrivateKey();
    return fuzz;
  }

  async stop(): Promise<void> {
    this.ec2Mock.restore();
    this.ssmMock.restore();
    await this.server.close();
  }

  async runCase(seed: number, caseNo: number, include: readonly string[] = []): Promise<CaseResult> {
    const spec = generateCase(seed, caseNo, enabledKinds(include));
    const { world, plan } = spec;
    const config = loadConfig({ ...spec.env, GITHUB_API_URL: this.server.url });
    const github = new GitHubWorld(world, plan, spec.caseSeed, {
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      consumeAtDelete: plan.on('race-ephemeral-at-delete'),
    });
    const ec2 = new Ec2World(world, plan, spec.caseSeed, spec.start);
    const ssm = new SsmWorld(world, plan, spec.caseSeed);
    this.current = { github, ec2, ssm };
    this.server.requests.length = 0;

    // A fresh Lambda container per case: its own GitHub clients (installation, token), SDK clients and probe.
    const clients = new GitHubClients({
      baseUrl: this.server.url,
      credentials: async () => ({ appId: '12345', privateKey: testPrivateKey() }),
      concurrency: config.githubConcurrency,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      requestBudgetMs: 4_000,
      retryUnitMs: 1,
      pointsPerMinute: 0,
      writeIntervalMs: 0,
    });
    const adapters = {
      github: new GitHubRunners((owner) => clients.forOwner(owner), { forget: (owner) => clients.forget(owner), timing: clients.timing }),
      ec2: new Ec2Adapter(new EC2Client(REGION_AND_CREDENTIALS)),
      probe: probeEnabled(config)
        ? new SsmProbe(new SSMClient(REGION_AND_CREDENTIALS), {
            documentName: config.probe.documentName,
            timeoutSeconds: config.probe.timeoutSeconds,
            pollIntervalMs: 1000,
            now: () => ssm.clock.t,
            sleep: async (ms) => {
              ssm.clock.t += ms;
            },
          })
        : undefined,
    };
    const counters = () => ({
      githubRequests: clients.stats.requests,
      githubDeletes: clients.stats.deletes,
      githubRateLimited: clients.stats.rateLimited,
      probesSent: adapters.probe?.stats.probesSent ?? 0,
      probeFailures: adapters.probe?.stats.probeFailures ?? 0,
    });

    const result: CaseResult = {
      seed,
      caseNo,
      profile: spec.profile,
      focus: [...plan.focus],
      runs: [],
      violations: [],
      excused: [],
      faults: new Map(),
      terminated: 0,
      deletes: 0,
      reasons: new Map(),
      trace: world.trace,
    };
    try {
      for (const [index, run] of spec.runs.entries()) {
        const runNo = index + 1;
        if (run.gapMs > 0) {
          world.planActivity(spec.gen, world.now, world.now + run.gapMs, spec.jobRate);
          world.advance(world.now + run.gapMs);
        }
        const ctx = new RunContext(runNo, run.kind, config.dryRun);
        if (plan.focused('busy-fleet') && [...world.machines.values()].some((m) => m.job !== undefined)) ctx.served('busy-fleet');
        github.startRun(ctx);
        ec2.startRun(ctx);
        ssm.startRun(ctx);
        world.log(`--- run ${runNo}: ${run.kind}${config.dryRun ? ' (dry run)' : ''}`);
        const report = await this.oneRun(spec, run, ctx, config, adapters, clients, counters);
        result.runs.push(`${run.kind}`);
        const violations = [...ctx.live, ...checkRun(report)];
        if (report.crashed && !allowedCrash(report)) violations.push({ rule: 'run-crashed', detail: report.crashed });
        result.violations.push(...violations.map((v) => ({ ...v, run: runNo })));
        result.excused.push(...ctx.excused);
        for (const [kind, n] of ctx.faults) result.faults.set(kind, (result.faults.get(kind) ?? 0) + n);
        result.terminated += ctx.terminated.size;
        result.deletes += ctx.deleteAsked.size;
        for (const o of report.report?.outcomes ?? []) result.reasons.set(o.reason, (result.reasons.get(o.reason) ?? 0) + 1);
        for (const v of violations) world.log(`VIOLATION ${v.rule}: ${v.detail}`);
      }
      if (spec.quiet) result.violations.push(...liveness(spec).map((v) => ({ ...v, run: spec.runs.length })));
    } finally {
      this.current = undefined;
    }
    return result;
  }

  private async oneRun(
    spec: CaseSpec,
    run: RunSpec,
    ctx: RunContext,
    config: Config,
    adapters: { github: GitHubRunners; ec2: Ec2Adapter; probe: SsmProbe | undefined },
    clients: GitHubClients,
    counters: () => { githubRequests: number; githubDeletes: number; githubRateLimited: number; probesSent: number; probeFailures: number },
  ): Promise<RunReport> {
    const { world, plan } = spec;
    const recorder = new PortRecorder(ctx, (call) => attachTruth(call, spec));
    const ports = {
      ec2: recorder.ec2(adapters.ec2),
      github: recorder.github(adapters.github),
      ...(adapters.probe ? { probe: recorder.probe(adapters.probe) } : {}),
    };
    const captured = captureTelemetry();
    const runStart = world.now;
    const worstCase = clients.timing.worstCaseRequestMs;
    const tightMs = config.settleSeconds * 1000 + afterSettleReserveMs({ githubWorstCaseWaitMs: worstCase }) + LOOK_COST_MS + run.tightDeletes * DELETE_COST_MS + 100;
    const budgetMs = run.budget === 'ample' ? 900_000 : tightMs;
    let settles = 0;
    const env: ExecutorEnv = {
      config,
      now: () => new Date(world.now),
      sleep: async (ms) => {
        ctx.phase = 'after';
        settles++;
        if (plan.on('settle-bypass')) {
          const planned = world.planSettleActivity(keyed(spec.caseSeed, ctx.run, 'settle', settles), plan.focused('settle-bypass') ? 0.4 : 0.03, world.now, world.now + ms);
          for (let i = 0; i < planned; i++) ctx.served('settle-bypass');
        }
        world.advance(world.now + ms);
      },
      ...(run.budget !== 'none' ? { remainingMs: () => budgetMs - (world.now - runStart) } : {}),
      githubWorstCaseWaitMs: worstCase,
    };
    const before = counters();
    const out: RunReport = { ctx, calls: recorder.calls, lines: captured.lines, decisions: [], world };
    try {
      const { snapshot, malformed } = await readSnapshot(ports, config, new Date(world.now));
      out.snapshot = snapshot;
      ctx.phase = 'look';
      const decisions: Decision[] = run.kind === 'scale-down' ? decideScaleDown(snapshot) : decideOrphans(snapshot);
      out.decisions = decisions;
      for (const d of decisions) world.log(`decided ${d.instanceId}: ${d.action}/${d.reason} (${d.evidence ?? '-'}) ${d.message}`);
      const report: ExecutorReport =
        run.kind === 'scale-down' ? await runScaleDown(decisions, ports, env) : await runOrphanCleanup(decisions, ports, env, { decidedAt: snapshot.now });
      out.report = report;
      for (const o of report.outcomes) world.log(`outcome ${o.instanceId}: ${o.result}/${o.reason} ${o.message}`);
      const after = counters();
      reportRun(captured.telemetry, {
        run: run.kind,
        dryRun: config.dryRun,
        outcomes: report.outcomes,
        malformed,
        errors: report.errors,
        githubCalls: after.githubRequests - before.githubRequests,
        calls: {
          githubDeletes: after.githubDeletes - before.githubDeletes,
          githubRateLimited: after.githubRateLimited - before.githubRateLimited,
          probesSent: after.probesSent - before.probesSent,
          probeFailures: after.probeFailures - before.probeFailures,
        },
        decisions,
        snapshot: snapshot as Snapshot & { probe: NonNullable<Snapshot['probe']> },
        config,
      });
    } catch (error) {
      world.log(`the run threw: ${String(error)}`);
      out.crashed = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    }
    return out;
  }
}

/** A run may fail as a whole only where the handler fails closed: EC2 could not list the fleet. */
function allowedCrash(report: RunReport): boolean {
  const listing = report.calls.find((c) => c.port === 'ec2' && c.method === 'listRunnerInstances');
  if (!listing || listing.port !== 'ec2' || listing.method !== 'listRunnerInstances' || listing.error === undefined) return false;
  return report.ctx.describes.some((d) => d.call === 'list' && d.threw !== undefined) || listing.error.includes(FuzzPageLoop.name);
}

/** Records GitHub's registrations as a listing call ends, for the oracle's comparison. */
function attachTruth(call: RecordedCall, spec: CaseSpec): void {
  if (call.port !== 'github' || call.method !== 'listRunners') return;
  const path = OWNERS.find((o) => o.ref.type === call.owner.type && o.ref.owner === call.owner.owner)?.path;
  if (!path) return;
  call.truth = spec.world.listing(path).map((r) => ({ id: r.id, name: r.name, busy: spec.world.reportedBusy(r) }));
}

/** A quiet fleet with machine evidence: by the last run, every idle machine of ours is reclaimed. */
function liveness(spec: CaseSpec): Violation[] {
  const left = [...spec.world.machines.values()].filter((m) => !m.foreign && m.state !== 'shutting-down' && m.state !== 'terminated');
  if (left.length === 0) return [];
  return [
    {
      rule: 'never-reclaimed',
      detail: `a quiet fleet with machine evidence, ${spec.runs.length} runs (${spec.runs.map((r) => r.kind).join(', ')}), and still running: ${left.map((m) => `${m.id}${m.hooks ? ' (hooks)' : ''}${m.ssm === 'online' ? ' (ssm)' : ''}`).join(', ')}`,
    },
  ];
}
