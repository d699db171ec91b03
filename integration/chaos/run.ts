/**
 * Runs one chaos setting (a strategy under a GitHub model, from a seed) and the whole
 * matrix, and formats the comparison table.
 */
import { loadConfig } from '../../lambda/src/config/load';
import type { Config } from '../../lambda/src/config/schema';
import type { ExecutorEnv } from '../../lambda/src/executor/outcome';
import type { ReclaimStrategy } from '../strategies';
import { seededRandom } from '../twin/clock';
import type { GitHubModel } from './models';
import { RaceInjector } from './race-injector';
import { CHAOS_ENVIRONMENT, ChaosWorld, type WorkloadSpec } from './world';

export interface ChaosOptions {
  seed: number;
  workload: WorkloadSpec;
  /** Probability of a forced job landing at each point around a GET or DELETE. */
  injectProbability: number;
  /** Minutes between scale-down runs and between orphan-cleanup runs. */
  scaleDownEveryMs: number;
  orphanEveryMs: number;
}

export const DEFAULT_WORKLOAD: WorkloadSpec = {
  durationMs: 8 * 60 * 60_000,
  maxFleet: 50,
  burstMs: [2 * 60_000, 5 * 60_000],
  burstRate: [0.1, 0.4],
  quietMs: [4 * 60_000, 8 * 60_000],
  quietRate: 0.01,
  jobMs: [20_000, 3 * 60_000],
};

export const DEFAULT_CHAOS: Omit<ChaosOptions, 'seed'> = {
  workload: DEFAULT_WORKLOAD,
  injectProbability: 0.1,
  scaleDownEveryMs: 60_000,
  orphanEveryMs: 120_000,
};

/** The configuration every strategy runs with (ours reads all of it, the references the times). */
export function chaosConfig(): Config {
  return loadConfig({
    ENVIRONMENT: CHAOS_ENVIRONMENT,
    PARAMETER_GITHUB_APP_ID_NAME: '/chaos/app/id',
    PARAMETER_GITHUB_APP_KEY_BASE64_NAME: '/chaos/app/key_base64',
    MINIMUM_RUNNING_TIME_IN_MINUTES: '2',
    RUNNER_BOOT_TIME_IN_MINUTES: '2',
    IDLE_CONFIRMATION_SECONDS: '60',
    MAX_JOB_DURATION_MINUTES: '30',
    JOB_EVIDENCE: 'hooks',
    SETTLE_SECONDS: '15',
  });
}

export interface SettingResult {
  strategy: string;
  model: string;
  seed: number;
  reclaimAttempts: number;
  terminated: number;
  jobs: number;
  completed: number;
  killedByTermination: number;
  cancelledByDeregistration: number;
  idleRunnerMinutes: number;
  instancesLaunched: number;
  githubCalls: number;
  githubByEndpoint: { list: number; get: number; delete: number };
  ec2Calls: number;
  forcedLandings: number;
}

export async function runSetting(strategy: ReclaimStrategy, model: GitHubModel, options: ChaosOptions): Promise<SettingResult> {
  const world = new ChaosWorld({ seed: options.seed, model, hooks: strategy.jobHooks, workload: options.workload });
  const injector = new RaceInjector(world.github, world, seededRandom(options.seed ^ 0x2545f491), options.injectProbability);
  const ports = { ec2: world.ec2, github: injector };
  const { clock } = world;
  const env: ExecutorEnv = {
    config: chaosConfig(),
    now: () => new Date(clock.now()),
    // The settle is virtual: the world (jobs, hooks) moves on while the executor waits.
    sleep: (ms) => clock.advance(ms),
  };
  let reclaimAttempts = 0;
  let terminated = 0;
  const count = (s: { reclaimAttempts: number; terminated: number }) => {
    reclaimAttempts += s.reclaimAttempts;
    terminated += s.terminated;
  };

  world.start();
  let nextScaleDown = clock.now() + options.scaleDownEveryMs;
  let nextOrphan = clock.now() + options.orphanEveryMs + options.scaleDownEveryMs / 2;
  while (clock.now() < world.endsAt) {
    const next = Math.min(nextScaleDown, nextOrphan);
    if (next > clock.now()) await clock.advance(next - clock.now());
    if (nextScaleDown <= clock.now()) {
      count(await strategy.scaleDown(ports, env));
      nextScaleDown += options.scaleDownEveryMs;
    } else {
      count(await strategy.orphanCleanup(ports, env));
      nextOrphan += options.orphanEveryMs;
    }
  }
  world.stop();

  const summary = world.ledger.summary(clock.now());
  const ec2 = world.ec2.calls;
  return {
    strategy: strategy.name,
    model: model.name,
    seed: options.seed,
    reclaimAttempts,
    terminated,
    jobs: summary.jobs.total,
    completed: summary.jobs.completed,
    killedByTermination: summary.jobs.killedByTermination,
    cancelledByDeregistration: summary.jobs.cancelledByDeregistration,
    idleRunnerMinutes: Math.round(summary.instances.idleMs / 60_000),
    instancesLaunched: world.launched,
    githubCalls: world.github.total,
    githubByEndpoint: { ...world.github.calls },
    ec2Calls: ec2.describe + ec2.createTags + ec2.deleteTags + ec2.terminate,
    forcedLandings: injector.landings,
  };
}

/** Every strategy under every model, one after another in this process. */
export async function runMatrix(
  strategies: readonly ReclaimStrategy[],
  models: readonly GitHubModel[],
  options: ChaosOptions,
): Promise<SettingResult[]> {
  const results: SettingResult[] = [];
  for (const model of models) {
    for (const strategy of strategies) results.push(await runSetting(strategy, model, options));
  }
  return results;
}

const perThousand = (n: number, of: number) => (of === 0 ? '-' : ((1000 * n) / of).toFixed(1));

export function formatTable(results: readonly SettingResult[]): string {
  const header = ['model', 'strategy', 'reclaims', 'terminated', 'killed/1k', 'killed', 'cancelled/1k', 'idle runner-min', 'GitHub calls', 'jobs', 'landings'];
  const rows = results.map((r) => [
    r.model,
    r.strategy,
    String(r.reclaimAttempts),
    String(r.terminated),
    perThousand(r.killedByTermination, r.reclaimAttempts),
    String(r.killedByTermination),
    perThousand(r.cancelledByDeregistration, r.reclaimAttempts),
    String(r.idleRunnerMinutes),
    String(r.githubCalls),
    String(r.jobs),
    String(r.forcedLandings),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
