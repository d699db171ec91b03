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
  forcedRaces: { kind: string; on: string; jobId: string; instanceId: string; keptFor: string[]; jobFate: string }[];
  reaperRuns: { scaleDown: number; orphanCleanup: number; failed: number };
  githubCalls: { total: number; byEndpoint: Record<string, number> };
  awsCalls: { total: number; byAction: Record<string, number> };
  /**
   * Machine evidence per instance: what each can prove (`hooks`, `probe`, `none`), what the
   * reaper's decisions said they used, and how each was reclaimed.
   */
  evidence: {
    counts: Record<'hooks' | 'probe' | 'none', number>;
    instances: { instanceId: string; kind: string; evidence: string; usedByReaper: string[]; jobsRun: number; end: string }[];
  };
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
    forcedRaces: result.races.map((r) => ({ kind: r.kind, on: r.on, jobId: r.jobId, instanceId: r.instanceId, keptFor: r.keptFor, jobFate: r.fate ?? 'unknown' })),
    reaperRuns: {
      scaleDown: result.runs.filter((r) => r.fn === 'scale-down').length,
      orphanCleanup: result.runs.filter((r) => r.fn === 'orphan-cleanup').length,
      failed: result.runs.filter((r) => r.run.error).length,
    },
    githubCalls: { total: sum(result.githubCalls), byEndpoint: sorted(result.githubCalls) },
    awsCalls: { total: sum(result.awsCalls), byAction: sorted(result.awsCalls) },
    evidence: {
      counts: {
        hooks: result.evidence.filter((e) => e.evidence === 'hooks').length,
        probe: result.evidence.filter((e) => e.evidence === 'probe').length,
        none: result.evidence.filter((e) => e.evidence === 'none').length,
      },
      instances: result.evidence.map((e) => {
        const lane = lanes.find((l) => l.instanceId === e.instanceId);
        const ended = lane?.segments[lane.segments.length - 1]?.state === 'terminated';
        const end = scaleDown.has(e.instanceId)
          ? 'reclaimed by scale-down'
          : orphan.has(e.instanceId)
            ? 'reclaimed by orphan-cleanup'
            : ended
              ? 'shut itself down'
              : 'still running';
        return { ...e, end };
      }),
    },
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
