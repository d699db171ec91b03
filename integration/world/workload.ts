/**
 * The `npm start` demo workload: which runners exist at the start, which jobs arrive when,
 * and which deliberate races the twin forces. Plain data, so the start script and its test
 * run the same story at two sizes.
 *
 * Times are real milliseconds from the start of the demo: the built Lambdas run in their
 * own processes on real time, so the world runs on real time too (shortened by
 * configuration: jobs of seconds, idle confirmation of seconds, a schedule of seconds).
 */
import type { EvidenceSource } from '../../lambda/src/core/types';
import { hookInstall, type LaunchSpec } from '../agents';
import type { TwinOwner } from '../twin';

export const DEMO_ORG = 'acme';
export const DEMO_REPO = 'acme/app';

export const ORG_OWNER: TwinOwner = { type: 'Org', owner: DEMO_ORG };
export const REPO_OWNER: TwinOwner = { type: 'Repo', owner: DEMO_REPO };

/** A group of runners launched at the start, as a scale-up would have launched them. */
export interface FleetGroup {
  /** Shown in the timeline's lane labels. */
  kind: string;
  spec: LaunchSpec;
}

/**
 * The label the demo's jobs ask for. Runners with machine evidence (hooks, or the probe)
 * carry it; the ones without any (no hooks, no SSM) do not, so a job never lands where
 * nothing but GitHub's lagging busy flag would speak for it: they show how such instances
 * are reclaimed (two sightings), not a job the reaper could not see.
 */
export const DEMO_JOB_LABEL = 'demo-jobs';

/**
 * The machine evidence an instance can give, as `JOB_EVIDENCE=auto` picks it: hooks where
 * the proven install tagged its boot marker, else the probe where SSM reaches it, else none.
 */
export function machineEvidence(spec: Pick<LaunchSpec, 'hooks' | 'ssm' | 'register'>): EvidenceSource {
  // The fleet writes the boot marker only where a runner registers (a failed install proves nothing).
  if (spec.register !== false && hookInstall(spec.hooks) === 'proven') return 'hooks';
  if (spec.ssm) return 'probe';
  return 'none';
}

export interface PlannedJob {
  atMs: number;
  durationMs: number;
  /** `acme` (org runners only) or `acme/app` (repo runners, and org runners serve it too). */
  owner: string;
}

/**
 * A job forced onto a reusable runner at an exact point of the reaper's work, through a
 * twin hook, under the 2026 GitHub model (the busy flag lags, DELETE answers 204):
 * - `after-get`: right after the reaper's GET said idle, before it re-reads the tags;
 * - `before-delete`: right before the DELETE, which GitHub then accepts (the flag lags).
 * `on` picks the runner by the machine evidence the reaper has for it: `hooks` (the job's
 * tag is what tells) or `probe` (probe only: the Runner.Worker process is what tells).
 */
export interface PlannedRace {
  kind: 'after-get' | 'before-delete';
  on: 'hooks' | 'probe';
  durationMs: number;
}

export interface ScheduleSettings {
  scaleDownEveryMs: number;
  orphanCleanupEveryMs: number;
  /** Lambda configuration (real seconds). */
  idleConfirmationSeconds: number;
  settleSeconds: number;
  /** A queued job with no free runner for this long gets a new ephemeral runner (scale-up). */
  scaleUpAfterMs: number;
  /** Give up (and fail) after this long. */
  deadlineMs: number;
}

export interface DemoWorkload {
  name: string;
  fleet: FleetGroup[];
  jobs: PlannedJob[];
  races: PlannedRace[];
  schedule: ScheduleSettings;
}

/**
 * The Worker starts within a poll (500 ms); "Set up job" takes 500 ms before the job-started
 * hook, whose own calls take 300 ms: hook tags lag the Worker by 0.8 s, inside the 2 s settle.
 */
export const AGENT_TIMING = { pollIntervalMs: 500, setUpMs: 500, hookDelayMs: 300 } as const;

const jobs = { labels: [DEMO_JOB_LABEL] };

/** Reusable runners with proven hooks (the boot marker), SSM-managed too when `ssm`. */
const reusable = (owner: TwinOwner, count: number, ssm = false): FleetGroup => ({
  kind: owner.type === 'Org' ? 'org' : 'repo',
  spec: { owner, count, hooks: 'proven', ssm, ...jobs, ...AGENT_TIMING },
});

/**
 * Reusable runners the probe can reach but whose hooks do not run: `overridden` (another
 * module's .env lines replaced ours, no marker) or `none` (a prebuilt image). They take
 * jobs: the probe (a Runner.Worker process on the machine) is what keeps those alive.
 */
const probeOnly = (owner: TwinOwner, hooks: 'overridden' | 'none'): FleetGroup => ({
  kind: `${owner.type === 'Org' ? 'org' : 'repo'}, hooks ${hooks}`,
  spec: { owner, count: 1, hooks, ssm: true, ...jobs, ...AGENT_TIMING },
});

/** A reusable runner with no machine evidence at all (no hooks, no SSM agent). */
const noEvidence = (owner: TwinOwner): FleetGroup => ({
  kind: `${owner.type === 'Org' ? 'org' : 'repo'}, no hooks, no SSM`,
  spec: { owner, count: 1, hooks: 'none', ssm: false, ...AGENT_TIMING },
});

/** An ephemeral JIT runner whose instance shuts itself down after its job (the usual setup). */
const ephemeralSelfTerminating = (owner: TwinOwner, count: number): FleetGroup => ({
  kind: `${owner.type === 'Org' ? 'org' : 'repo'} ephemeral`,
  spec: { owner, count, jit: true, hooks: 'proven', onExit: 'terminate', ...jobs, ...AGENT_TIMING },
});

/** An ephemeral runner whose instance stays up after its job: orphan-cleanup's to find. */
const ephemeralLeftBehind = (owner: TwinOwner): FleetGroup => ({
  kind: 'org ephemeral, stays up',
  spec: { owner, count: 1, ephemeral: true, hooks: 'proven', onExit: 'idle', ...jobs, ...AGENT_TIMING },
});

/**
 * An instance whose runner never registered (a failed boot). Its SSM agent runs: the probe
 * sees no Runner.Worker, so orphan-cleanup reclaims it once its boot time is over. (Without
 * any machine evidence it would be held MAX_JOB_DURATION_MINUTES, longer than the demo.)
 */
const failedBoot = (owner: TwinOwner): FleetGroup => ({
  kind: 'never registered, SSM',
  spec: { owner, count: 1, register: false, hooks: 'none', ssm: true },
});

/** Spreads `count` jobs over `[fromMs, toMs)` with durations cycling through `durations`. */
function wave(count: number, fromMs: number, toMs: number, durations: number[], owners: string[]): PlannedJob[] {
  return Array.from({ length: count }, (_, i) => ({
    atMs: Math.round(fromMs + ((toMs - fromMs) * i) / count),
    durationMs: durations[i % durations.length]!,
    owner: owners[i % owners.length]!,
  }));
}

/**
 * The README demo: 10 runners with mixed machine evidence (hooks, hooks and SSM, probe
 * only, none), a first wave that keeps the job-taking ones busy, a quiet spell with a
 * trickle of short repo jobs (the reaper reclaims the idle runners, and meets the three
 * forced races: two on runners with hooks, one on a probe-only runner), then a second
 * wave bigger than what is left (scale-up launches ephemeral runners), then quiet until
 * everything is reclaimed. About 80 s.
 */
export function fullWorkload(): DemoWorkload {
  return {
    name: 'full',
    fleet: [
      reusable(ORG_OWNER, 2),
      reusable(REPO_OWNER, 2, true),
      probeOnly(ORG_OWNER, 'overridden'),
      probeOnly(REPO_OWNER, 'none'),
      noEvidence(ORG_OWNER),
      ephemeralSelfTerminating(ORG_OWNER, 1),
      ephemeralLeftBehind(ORG_OWNER),
      failedBoot(ORG_OWNER),
    ],
    jobs: [
      ...wave(7, 1_000, 3_000, [6_000, 10_000, 8_000, 12_000], [DEMO_ORG, DEMO_REPO]),
      ...wave(5, 15_000, 35_000, [3_000], [DEMO_REPO]),
      ...wave(7, 36_000, 40_000, [8_000, 5_000, 12_000], [DEMO_REPO, DEMO_ORG, DEMO_ORG]),
    ],
    races: [
      { kind: 'after-get', on: 'hooks', durationMs: 12_000 },
      { kind: 'before-delete', on: 'hooks', durationMs: 15_000 },
      { kind: 'before-delete', on: 'probe', durationMs: 12_000 },
    ],
    schedule: {
      scaleDownEveryMs: 5_000,
      orphanCleanupEveryMs: 5_000,
      idleConfirmationSeconds: 8,
      settleSeconds: 2,
      scaleUpAfterMs: 2_000,
      deadlineMs: 150_000,
    },
  };
}

/** The test's size: 7 runners (hooks, hooks and SSM, probe only, none, a failed boot the probe reaches), 4 jobs, the three races; about a minute. */
export function smallWorkload(): DemoWorkload {
  return {
    name: 'small',
    fleet: [reusable(ORG_OWNER, 2), reusable(REPO_OWNER, 1, true), probeOnly(ORG_OWNER, 'overridden'), noEvidence(ORG_OWNER), ephemeralLeftBehind(ORG_OWNER), failedBoot(ORG_OWNER)],
    jobs: wave(4, 500, 2_000, [3_000, 4_000], [DEMO_ORG, DEMO_REPO]),
    races: [
      { kind: 'after-get', on: 'hooks', durationMs: 4_000 },
      { kind: 'before-delete', on: 'hooks', durationMs: 4_000 },
      { kind: 'before-delete', on: 'probe', durationMs: 4_000 },
    ],
    schedule: {
      scaleDownEveryMs: 3_000,
      orphanCleanupEveryMs: 3_000,
      idleConfirmationSeconds: 3,
      settleSeconds: 2,
      scaleUpAfterMs: 2_000,
      deadlineMs: 90_000,
    },
  };
}

export function runnerCount(workload: DemoWorkload): number {
  return workload.fleet.reduce((n, g) => n + (g.spec.count ?? 1), 0);
}
