/**
 * The `npm start` demo workload: which runners exist at the start, which jobs arrive when,
 * and which deliberate races the twin forces. Plain data, so the start script and its test
 * run the same story at two sizes.
 *
 * Times are real milliseconds from the start of the demo: the built Lambdas run in their
 * own processes on real time, so the world runs on real time too (shortened by
 * configuration: jobs of seconds, idle confirmation of seconds, a schedule of seconds).
 */
import type { LaunchSpec } from '../agents';
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
 */
export interface PlannedRace {
  kind: 'after-get' | 'before-delete';
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

const agentTiming = { pollIntervalMs: 500, hookDelayMs: 300 } as const;

const reusable = (owner: TwinOwner, count: number): FleetGroup => ({
  kind: owner.type === 'Org' ? 'org' : 'repo',
  spec: { owner, count, hooks: true, ...agentTiming },
});

/** An ephemeral JIT runner whose instance shuts itself down after its job (the usual setup). */
const ephemeralSelfTerminating = (owner: TwinOwner, count: number): FleetGroup => ({
  kind: `${owner.type === 'Org' ? 'org' : 'repo'} ephemeral`,
  spec: { owner, count, jit: true, hooks: true, onExit: 'terminate', ...agentTiming },
});

/** An ephemeral runner whose instance stays up after its job: orphan-cleanup's to find. */
const ephemeralLeftBehind = (owner: TwinOwner): FleetGroup => ({
  kind: 'org ephemeral, stays up',
  spec: { owner, count: 1, ephemeral: true, hooks: true, onExit: 'idle', ...agentTiming },
});

/** An instance whose runner never registered (a failed boot). */
const failedBoot = (owner: TwinOwner): FleetGroup => ({
  kind: 'never registered',
  spec: { owner, count: 1, register: false },
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
 * The README demo: 8 runners, a first wave that keeps them all busy, a quiet spell with a
 * trickle of short repo jobs (the reaper reclaims the idle runners, and meets the two
 * forced races), then a second wave bigger than what is left (scale-up launches ephemeral
 * runners), then quiet until everything is reclaimed. About 80 s.
 */
export function fullWorkload(): DemoWorkload {
  return {
    name: 'full',
    fleet: [
      reusable(ORG_OWNER, 3),
      reusable(REPO_OWNER, 2),
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
      { kind: 'after-get', durationMs: 12_000 },
      { kind: 'before-delete', durationMs: 15_000 },
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

/** The test's size: 4 runners, 4 jobs, both races; well under a minute. */
export function smallWorkload(): DemoWorkload {
  return {
    name: 'small',
    fleet: [reusable(ORG_OWNER, 2), reusable(REPO_OWNER, 1), ephemeralLeftBehind(ORG_OWNER)],
    jobs: wave(4, 500, 2_000, [3_000, 4_000], [DEMO_ORG, DEMO_REPO]),
    races: [
      { kind: 'after-get', durationMs: 4_000 },
      { kind: 'before-delete', durationMs: 4_000 },
    ],
    schedule: {
      scaleDownEveryMs: 3_000,
      orphanCleanupEveryMs: 3_000,
      idleConfirmationSeconds: 3,
      settleSeconds: 1,
      scaleUpAfterMs: 2_000,
      deadlineMs: 90_000,
    },
  };
}

export function runnerCount(workload: DemoWorkload): number {
  return workload.fleet.reduce((n, g) => n + (g.spec.count ?? 1), 0);
}
