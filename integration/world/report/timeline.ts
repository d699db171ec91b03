/**
 * The runner timeline the report draws: one lane per instance, split into segments of one
 * state. Built from periodic samples of the world (EC2 tags and states, agent states),
 * so it shows what an operator watching the fleet would have seen.
 */

/**
 * - idle: registered runner without a job;
 * - busy: a job runs on the instance;
 * - draining: deregistered by scale-down (`ghr:draining-since`), waiting for orphan-cleanup;
 * - unregistered: running without a registration (runner exited, or never registered);
 * - terminated: the instance is gone.
 */
export type LaneState = 'idle' | 'busy' | 'draining' | 'unregistered' | 'terminated';

export const LANE_STATES: readonly LaneState[] = ['idle', 'busy', 'draining', 'unregistered', 'terminated'];

export interface LaneSegment {
  from: number;
  to: number;
  state: LaneState;
  /** The runner was deregistered by scale-down (a busy segment with this set is a job that was spared). */
  deregistered: boolean;
}

export interface Lane {
  instanceId: string;
  /** e.g. `org`, `repo ephemeral`. */
  kind: string;
  /** The machine evidence the instance can give (`hooks`, `probe`, `none`). */
  evidence?: string;
  segments: LaneSegment[];
}

/** One invocation of a reaper function, drawn as a tick on the time axis. */
export interface ReaperRunMark {
  fn: 'scale-down' | 'orphan-cleanup';
  startedAt: number;
  endedAt: number;
  terminated: number;
  racesCaught: number;
  ok: boolean;
}

/** A moment worth pointing at on a lane (a forced race). */
export interface LaneMarker {
  instanceId: string;
  at: number;
  label: string;
}

export interface Timeline {
  start: number;
  end: number;
  lanes: Lane[];
  runs: ReaperRunMark[];
  markers: LaneMarker[];
}

export interface LaneSample {
  instanceId: string;
  kind: string;
  evidence?: string;
  state: LaneState;
  deregistered: boolean;
}

export class TimelineRecorder {
  private readonly lanes = new Map<string, Lane>();
  private readonly runs: ReaperRunMark[] = [];
  private readonly markers: LaneMarker[] = [];
  private last: number;

  constructor(private readonly start: number) {
    this.last = start;
  }

  /** Records the states seen at `at`; a lane's first sample opens it. Terminated lanes stay terminated. */
  observe(samples: LaneSample[], at: number): void {
    this.last = Math.max(this.last, at);
    for (const s of samples) {
      let lane = this.lanes.get(s.instanceId);
      if (!lane) {
        lane = { instanceId: s.instanceId, kind: s.kind, ...(s.evidence ? { evidence: s.evidence } : {}), segments: [] };
        this.lanes.set(s.instanceId, lane);
      }
      const open = lane.segments[lane.segments.length - 1];
      if (open?.state === 'terminated') {
        open.to = at;
        continue;
      }
      if (open && open.state === s.state && open.deregistered === s.deregistered) {
        open.to = at;
        continue;
      }
      if (open) open.to = at;
      lane.segments.push({ from: at, to: at, state: s.state, deregistered: s.deregistered });
    }
  }

  runFinished(mark: ReaperRunMark): void {
    this.runs.push({ ...mark });
  }

  mark(marker: LaneMarker): void {
    this.markers.push({ ...marker });
  }

  /** The timeline up to `end`: open segments are extended to it. */
  finish(end: number = this.last): Timeline {
    const lanes = [...this.lanes.values()].map((lane) => ({
      ...lane,
      segments: lane.segments.map((seg, i) => ({ ...seg, to: i === lane.segments.length - 1 ? Math.max(seg.to, end) : seg.to })),
    }));
    return { start: this.start, end, lanes, runs: this.runs.map((r) => ({ ...r })), markers: this.markers.map((m) => ({ ...m })) };
  }
}

/** Milliseconds a lane spent in `state` (terminated lanes stop counting). */
export function timeIn(lane: Lane, state: LaneState): number {
  return lane.segments.filter((s) => s.state === state).reduce((a, s) => a + (s.to - s.from), 0);
}
