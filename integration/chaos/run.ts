/**
 * Runs one chaos setting (a strategy beside a fleet of some evidence, under a GitHub model
 * and a workload, from a seed), the whole matrix, and formats the report (JSON rows and a
 * table).
 *
 * Each setting is one ChaosWorld. The reaper's two functions run on their schedules as
 * their own actors on the virtual clock, as EventBridge would start them; the run moves
 * the clock through the whole day at once, firing agents, arrivals, API round trips and the
 * reaper's sleeps in time order.
 */
import { loadConfig } from '../../lambda/src/config/load';
import type { Config } from '../../lambda/src/config/schema';
import type { EvidenceSource } from '../../lambda/src/core';
import type { ExecutorEnv } from '../../lambda/src/executor/outcome';
import { STRATEGIES, type CycleStats, type ReclaimStrategy, type StrategyKey, type StrategyPorts } from '../strategies';
import { seededRandom } from '../twin/clock';
import type { FleetEvidence } from './fleet-evidence';
import { GITHUB_MODELS, type GitHubModel } from './models';
import { RaceInjector } from './race-injector';
import { CHAOS_ENVIRONMENT, ChaosWorld, type WorkloadSpec } from './world';

export type WorkloadName = 'forced' | 'natural';

export interface ChaosWorkload {
  name: WorkloadName;
  description: string;
  /** Probability of a forced job landing at each point around a GET or DELETE (0 = none). */
  injectProbability: number;
}

export const WORKLOADS: readonly ChaosWorkload[] = [
  {
    name: 'forced',
    description: 'arrivals plus the race injector: a job lands on the runner just before or after a GET or DELETE (p = 0.1 at each point)',
    injectProbability: 0.1,
  },
  { name: 'natural', description: 'arrivals only: jobs land wherever the dispatcher puts them, so the windows are hit as often as in the field', injectProbability: 0 },
];

export interface ChaosOptions {
  seed: number;
  /** The arrivals, the same for every setting of a seed. */
  arrivals: WorkloadSpec;
  /** Interval of scale-down runs and of orphan-cleanup runs (world ms). */
  scaleDownEveryMs: number;
  orphanEveryMs: number;
  /** The functions' timeout (the module's default): ours sizes its batches to it. */
  lambdaTimeoutMs: number;
}

export const DEFAULT_ARRIVALS: WorkloadSpec = {
  durationMs: 8 * 60 * 60_000,
  maxFleet: 50,
  burstMs: [2 * 60_000, 5 * 60_000],
  burstRate: [0.1, 0.4],
  quietMs: [4 * 60_000, 8 * 60_000],
  quietRate: 0.01,
  jobMs: [20_000, 3 * 60_000],
};

export const DEFAULT_SEED = 20261129;

export const DEFAULT_CHAOS: Omit<ChaosOptions, 'seed'> = {
  arrivals: DEFAULT_ARRIVALS,
  scaleDownEveryMs: 60_000,
  orphanEveryMs: 120_000,
  lambdaTimeoutMs: 180_000,
};

export const PROBE_DOCUMENT = 'runner-reaper-probe';

/**
 * The configuration every strategy runs with: the product's defaults where they matter
 * here (JOB_EVIDENCE=auto, the probe on with a 10 s deadline), short times so a day has
 * thousands of reclaims. Ours reads all of it, the references and the oracle the times.
 */
export function chaosConfig(): Config {
  return loadConfig({
    ENVIRONMENT: CHAOS_ENVIRONMENT,
    PARAMETER_GITHUB_APP_ID_NAME: '/chaos/app/id',
    PARAMETER_GITHUB_APP_KEY_BASE64_NAME: '/chaos/app/key_base64',
    MINIMUM_RUNNING_TIME_IN_MINUTES: '2',
    RUNNER_BOOT_TIME_IN_MINUTES: '2',
    IDLE_CONFIRMATION_SECONDS: '60',
    MAX_JOB_DURATION_MINUTES: '30',
    JOB_EVIDENCE: 'auto',
    PROBE_DOCUMENT_NAME: PROBE_DOCUMENT,
    PROBE_TIMEOUT_SECONDS: '10',
    SETTLE_SECONDS: '15',
  });
}

export interface ChaosSetting {
  strategy: StrategyKey;
  evidence: FleetEvidence;
  model: GitHubModel;
  workload: ChaosWorkload;
}

type PerEvidence = Record<EvidenceSource, number>;

/** One row of the report: the fields issue 8 fixes first, then the detail behind them. */
export interface ChaosRow {
  model: string;
  strategy: StrategyKey;
  evidence: FleetEvidence;
  reclaims: number;
  killed: number;
  cancelled: number;
  idleRunnerMinutes: number;
  githubCalls: number;
  jobs: number;
  workload: WorkloadName;
  /** idleRunnerMinutes / the oracle's under the same model and workload (null until the matrix has the oracle). */
  oracleRatio: number | null;
  terminated: number;
  completed: number;
  /** Jobs killed by termination, by what the instance they ran on could prove. */
  killedOnEvidence: PerEvidence;
  /** Jobs GitHub cancelled when it deleted their runner, by the same. */
  cancelledOnEvidence: PerEvidence;
  instancesLaunched: number;
  githubByEndpoint: { list: number; get: number; delete: number };
  /** EC2 and SSM calls. */
  awsCalls: number;
  probe: { rounds: number; instancesAsked: number; errors: number };
  forcedLandings: number;
}

export interface ChaosReport {
  seed: number;
  /** What the rows mean, so the JSON stands on its own. */
  legend: Record<string, string>;
  settings: {
    durationHours: number;
    maxFleet: number;
    scaleDownEverySeconds: number;
    orphanEverySeconds: number;
    workloads: ChaosWorkload[];
    models: { name: string; description: string }[];
  };
  rows: ChaosRow[];
}

const noneYet = (): PerEvidence => ({ hooks: 0, probe: 0, none: 0 });

export async function runSetting(setting: ChaosSetting, options: ChaosOptions): Promise<ChaosRow> {
  const strategy = STRATEGIES[setting.strategy]();
  const world = new ChaosWorld({ seed: options.seed, model: setting.model, evidence: setting.evidence, workload: options.arrivals });
  const injector = new RaceInjector(world.github, world, seededRandom(options.seed ^ 0x2545f491), setting.workload.injectProbability);
  const ports: StrategyPorts = { ec2: world.ec2, github: injector, probe: world.probe, truth: world };
  const { clock } = world;
  const config = chaosConfig();
  const env = (): ExecutorEnv => {
    const startedAt = clock.now();
    return {
      config,
      now: () => new Date(clock.now()),
      // The settle and every wait are virtual: the world (jobs, hooks) moves on meanwhile.
      sleep: (ms) => clock.sleep(ms),
      remainingMs: () => options.lambdaTimeoutMs - (clock.now() - startedAt),
    };
  };
  const totals: CycleStats = { reclaimAttempts: 0, terminated: 0 };
  const failures: unknown[] = [];
  const schedule = async (firstAt: number, everyMs: number, run: (s: ReclaimStrategy) => Promise<CycleStats>) => {
    for (let at = firstAt; at < world.endsAt; ) {
      await clock.sleep(at - clock.now());
      try {
        const stats = await run(strategy);
        totals.reclaimAttempts += stats.reclaimAttempts;
        totals.terminated += stats.terminated;
      } catch (error) {
        failures.push(error);
        return;
      }
      // A run longer than the interval skips the ticks it overran (one invocation at a time).
      do at += everyMs;
      while (at <= clock.now());
    }
  };

  world.start();
  const start = clock.now();
  void schedule(start + options.scaleDownEveryMs, options.scaleDownEveryMs, (s) => s.scaleDown(ports, env()));
  void schedule(start + options.orphanEveryMs + options.scaleDownEveryMs / 2, options.orphanEveryMs, (s) => s.orphanCleanup(ports, env()));
  await clock.advance(world.endsAt - clock.now());
  world.stop();
  if (failures.length > 0) throw failures[0];

  const summary = world.ledger.summary(clock.now());
  const killedOnEvidence = noneYet();
  const cancelledOnEvidence = noneYet();
  for (const job of world.ledger.allJobs()) {
    const evidence = job.instanceId ? world.evidenceByInstance.get(job.instanceId) : undefined;
    if (!evidence) continue;
    if (job.fate === 'killed-by-termination') killedOnEvidence[evidence]++;
    if (job.fate === 'cancelled-by-deregistration') cancelledOnEvidence[evidence]++;
  }
  const ec2 = world.ec2.calls;
  const probe = world.probe.calls;
  return {
    model: setting.model.name,
    strategy: setting.strategy,
    evidence: setting.evidence,
    reclaims: totals.reclaimAttempts,
    killed: summary.jobs.killedByTermination,
    cancelled: summary.jobs.cancelledByDeregistration,
    idleRunnerMinutes: Math.round(summary.instances.idleMs / 60_000),
    githubCalls: world.github.total,
    jobs: summary.jobs.total,
    workload: setting.workload.name,
    oracleRatio: null,
    terminated: totals.terminated,
    completed: summary.jobs.completed,
    killedOnEvidence,
    cancelledOnEvidence,
    instancesLaunched: world.launched,
    githubByEndpoint: { ...world.github.calls },
    awsCalls: ec2.describe + ec2.createTags + ec2.deleteTags + ec2.terminate + world.probe.total,
    probe: { rounds: probe.sendCommand, instancesAsked: probe.probed, errors: probe.errors },
    forcedLandings: injector.landings,
  };
}

/** The settings of the matrix: ours beside each fleet, the references and the oracle beside the reference fleet. */
export function matrixSettings(models: readonly GitHubModel[] = GITHUB_MODELS, workloads: readonly ChaosWorkload[] = WORKLOADS): ChaosSetting[] {
  const pairs: [StrategyKey, FleetEvidence][] = [
    ['ours', 'hooks'],
    ['ours', 'hooks-ssm'],
    ['ours', 'probe'],
    ['ours', 'none'],
    ['ours', 'mixed'],
    ['a', 'reference'],
    ['b', 'reference'],
    ['c', 'reference'],
    ['oracle', 'reference'],
  ];
  return workloads.flatMap((workload) =>
    models.flatMap((model) => pairs.map(([strategy, evidence]) => ({ strategy, evidence, model, workload }))),
  );
}

/** Sets each row's ratio to the oracle's idle runner-minutes under the same model and workload. */
export function withOracleRatios(rows: readonly ChaosRow[]): ChaosRow[] {
  return rows.map((row) => {
    const oracle = rows.find((r) => r.strategy === 'oracle' && r.model === row.model && r.workload === row.workload);
    const ratio = oracle && oracle.idleRunnerMinutes > 0 ? Math.round((100 * row.idleRunnerMinutes) / oracle.idleRunnerMinutes) / 100 : null;
    return { ...row, oracleRatio: ratio };
  });
}

export const LEGEND: Record<string, string> = {
  strategy: 'ours = runner-reaper as the handlers run it; a = read busy, delete, terminate; b = delete, terminate on 204; c = delete, re-check, terminate on 404; oracle = knows the truth at each scheduled run',
  evidence: 'hooks = every machine has the ghr:job-hooks marker, no SSM; hooks-ssm = the same with SSM online (the probe is asked too); probe = no hooks, SSM online; none = neither; mixed = every other machine with hooks, the rest none; reference = the fleet beside the references and the oracle (hooks, unread)',
  reclaims: 'removal attempts: ours = reclaim decisions, references = DELETEs sent, oracle = instances reclaimed',
  killed: 'jobs killed by termination of their instance (the reaper\'s fault)',
  cancelled: 'jobs GitHub cancelled because their runner was deleted while it held them',
  idleRunnerMinutes: 'instance lifetime not running a job, boot included',
  oracleRatio: 'idleRunnerMinutes / the oracle\'s under the same model and workload',
  githubCalls: 'GitHub REST requests (list pages, GET, DELETE); auth calls are not modelled here (see the bench)',
  awsCalls: 'EC2 and SSM requests',
};

export async function runChaos(
  options: ChaosOptions,
  settings: readonly ChaosSetting[] = matrixSettings(),
  progress?: (line: string) => void,
): Promise<ChaosReport> {
  const rows: ChaosRow[] = [];
  for (const setting of settings) {
    rows.push(await runSetting(setting, options));
    progress?.(`${rows.length}/${settings.length} ${setting.workload.name} ${setting.model.name} ${setting.strategy} (${setting.evidence})`);
  }
  const models = [...new Map(settings.map((s) => [s.model.name, s.model])).values()];
  const workloads = [...new Map(settings.map((s) => [s.workload.name, s.workload])).values()];
  return {
    seed: options.seed,
    legend: LEGEND,
    settings: {
      durationHours: options.arrivals.durationMs / 3_600_000,
      maxFleet: options.arrivals.maxFleet,
      scaleDownEverySeconds: options.scaleDownEveryMs / 1000,
      orphanEverySeconds: options.orphanEveryMs / 1000,
      workloads,
      models: models.map((m) => ({ name: m.name, description: m.description })),
    },
    rows: withOracleRatios(rows),
  };
}

export function formatTable(rows: readonly ChaosRow[]): string {
  const header = ['workload', 'model', 'strategy', 'evidence', 'reclaims', 'terminated', 'killed', 'cancelled', 'idle runner-min', 'x oracle', 'GitHub calls', 'AWS calls', 'jobs', 'landings'];
  const cells = rows.map((r) => [
    r.workload,
    r.model,
    r.strategy,
    r.evidence,
    String(r.reclaims),
    String(r.terminated),
    String(r.killed),
    String(r.cancelled),
    String(r.idleRunnerMinutes),
    r.oracleRatio === null ? '-' : r.oracleRatio.toFixed(2),
    String(r.githubCalls),
    String(r.awsCalls),
    String(r.jobs),
    String(r.forcedLandings),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i < 4 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
