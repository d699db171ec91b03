/**
 * The numbers `npm start` ends with, computed from a demo run: what happened to the jobs,
 * which runners were reclaimed and by whom, idle runner-minutes, races the reaper caught,
 * and the API calls it made.
 */
import type { DemoResult } from '../demo/run-demo';

export interface DemoReport {
  workload: string;
  githubModel: string;
  durationSeconds: number;
  jobs: {
    total: number;
    completed: number;
    killed: number;
    cancelledByDeregistration: number;
    pending: number;
    requeued: number;
  };
  runners: {
    launched: number;
    reclaimedByScaleDown: number;
    reclaimedByOrphanCleanup: number;
    /** Ephemeral instances that shut themselves down after their job. */
    selfTerminated: number;
    stillRunning: number;
  };
  idleRunnerMinutes: number;
  busyRunnerMinutes: number;
  /** Kept-because-of-a-race outcomes by reason, over all runs. */
  racesCaught: Record<string, number>;
  forcedRaces: { kind: string; jobId: string; instanceId: string; keptFor: string[]; jobFate: string }[];
  reaperRuns: { scaleDown: number; orphanCleanup: number; failed: number };
  githubCalls: { total: number; byEndpoint: Record<string, number> };
  awsCalls: { total: number; byAction: Record<string, number> };
  failures: string[];
  /** True when no job was harmed and nothing failed. */
  ok: boolean;
}

export function buildReport(result: DemoResult): DemoReport {
  const { ledger } = result;
  const scaleDown = new Set(result.reclaimed.scaleDown);
  const orphan = new Set(result.reclaimed.orphanCleanup);
  const lanes = result.timeline.lanes;
  const terminated = lanes.filter((l) => l.segments[l.segments.length - 1]?.state === 'terminated');
  const selfTerminated = terminated.filter((l) => !scaleDown.has(l.instanceId) && !orphan.has(l.instanceId)).length;

  const racesCaught: Record<string, number> = {};
  for (const r of result.runs) {
    for (const o of r.run.outcomes) {
      if (o.result === 'kept' && o.reason.startsWith('race-')) racesCaught[o.reason] = (racesCaught[o.reason] ?? 0) + 1;
    }
  }
  const killed = ledger.jobs.killedByTermination;
  const cancelled = ledger.jobs.cancelledByDeregistration;
  const failures = [...result.failures];
  if (killed > 0) failures.unshift(`${killed} jobs killed by termination`);
  if (cancelled > 0) failures.unshift(`${cancelled} jobs cancelled by deregistration`);
  if (result.interrupted) failures.unshift('interrupted');

  return {
    workload: result.workload,
    githubModel: result.githubModel,
    durationSeconds: Math.round((result.endedAt - result.startedAt) / 100) / 10,
    jobs: {
      total: ledger.jobs.total,
      completed: ledger.jobs.completed,
      killed,
      cancelledByDeregistration: cancelled,
      pending: ledger.jobs.pending,
      requeued: ledger.jobs.requeued,
    },
    runners: {
      launched: lanes.length,
      reclaimedByScaleDown: scaleDown.size,
      reclaimedByOrphanCleanup: orphan.size,
      selfTerminated,
      stillRunning: lanes.length - terminated.length,
    },
    idleRunnerMinutes: round2(ledger.instances.idleMs / 60_000),
    busyRunnerMinutes: round2(ledger.instances.busyMs / 60_000),
    racesCaught,
    forcedRaces: result.races.map((r) => ({ kind: r.kind, jobId: r.jobId, instanceId: r.instanceId, keptFor: r.keptFor, jobFate: r.fate ?? 'unknown' })),
    reaperRuns: {
      scaleDown: result.runs.filter((r) => r.fn === 'scale-down').length,
      orphanCleanup: result.runs.filter((r) => r.fn === 'orphan-cleanup').length,
      failed: result.runs.filter((r) => r.run.error).length,
    },
    githubCalls: { total: sum(result.githubCalls), byEndpoint: sorted(result.githubCalls) },
    awsCalls: { total: sum(result.awsCalls), byAction: sorted(result.awsCalls) },
    failures,
    ok: failures.length === 0,
  };
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
