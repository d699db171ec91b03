/**
 * The Actions side of the twin: registered runners, the job queue and the switches that
 * model what GitHub may do (see /work/shared/notes/github-runner-facts.md).
 *
 * Time-dependent readings (busy flag lag, online/offline) are computed from the world
 * clock when asked, so no timers run inside the twin.
 */
import { randomBytes } from 'node:crypto';
import type { OutcomeLedger } from '../ledger/ledger';
import type { WorldClock } from './clock';

export interface TwinOwner {
  type: 'Org' | 'Repo';
  /** `org` or `owner/repo`. */
  owner: string;
}

export function ownerKeyOf(o: TwinOwner): string {
  return `${o.type}:${o.owner}`;
}

export interface DispatcherSwitches {
  /** World ms from assignment until `busy` reads true (GitHub lags 25-60+ s for reusable runners). */
  busyFlagDelayMs: number;
  /**
   * DELETE of a runner holding a job: '422' refuses (atomic guard, the ADR), '500' refuses
   * the 2021 way, '204-if-flag-idle' deletes it while the busy flag still reads false.
   */
  deleteWhileAssigned: '422' | '500' | '204-if-flag-idle';
  /** After a forced delete: the job is cancelled (pessimistic default) or continues. */
  afterForcedDelete: 'cancelled' | 'continues';
  /** GET of a force-deleted runner whose job still runs: 404, or the runner reading busy. */
  getAfterDelete: '404' | 'busy';
  /** A job assigned but not yet picked up when its runner is force-deleted: same fate as a running one, or back to the queue. */
  assignedOnForcedDelete: 'same' | 'requeue';
  /** A runner is offline once its agent has not polled for this long (world ms). */
  offlineAfterMs: number;
}

export const DEFAULT_SWITCHES: DispatcherSwitches = {
  busyFlagDelayMs: 0,
  deleteWhileAssigned: '422',
  afterForcedDelete: 'cancelled',
  getAfterDelete: '404',
  assignedOnForcedDelete: 'same',
  offlineAfterMs: 60_000,
};

export type JobPhase = 'queued' | 'assigned' | 'running' | 'completed' | 'cancelled' | 'killed';

export interface TwinJob {
  id: string;
  labels: string[];
  /** How long the job runs once started (world ms); the agent honours it. */
  durationMs: number;
  /** Restricts the job to runners of this owner (`org` also matches its repos' runners). */
  owner?: string;
  /** Pins the job to one runner (a test forcing a job onto a given runner). */
  pinnedRunnerId?: number;
  phase: JobPhase;
  runnerId?: number;
  queuedAt: number;
  assignedAt?: number;
  startedAt?: number;
  endedAt?: number;
}

export interface TwinRunner {
  id: number;
  name: string;
  owner: TwinOwner;
  labels: string[];
  os: string;
  ephemeral: boolean;
  /** The EC2 instance the runner lives on, when an agent said so (for the ledger). */
  instanceId?: string;
  /** JIT runners exist from generate-jitconfig on but are offline until an agent connects. */
  connected: boolean;
  lastPollAt?: number;
  /** Removed by DELETE. */
  deleted: boolean;
  deletedAt?: number;
  /** An ephemeral registration consumed at assignment: absent from list and GET. */
  consumed: boolean;
  /** The job assigned to or running on the runner. */
  jobId?: string;
  /** Test override of the busy flag (GitHub sometimes reads false mid-job). */
  busyOverride?: boolean;
}

/** What an agent learns from one poll of its runner's long poll. */
export interface PollResult {
  /** False once the registration is gone (deleted): the listener exits. */
  registered: boolean;
  /** A job newly assigned to this runner, to start now. */
  job?: TwinJob;
  /** The runner's current job was cancelled (deregistered under it). */
  cancelledJobId?: string;
}

export type DispatcherEvent =
  | { kind: 'job'; at: number; job: TwinJob }
  | { kind: 'runner-registered' | 'runner-deleted' | 'runner-consumed'; at: number; runner: TwinRunner };

export interface JobSpec {
  labels?: string[];
  durationMs?: number;
  owner?: string;
  runnerId?: number;
  id?: string;
}

export type DeleteOutcome =
  | { status: 204; forced: boolean }
  | { status: 404 }
  | { status: 422 | 500; message: string };

export class JobDispatcher {
  switches: DispatcherSwitches = { ...DEFAULT_SWITCHES };
  private readonly runners = new Map<number, TwinRunner>();
  private readonly jobs = new Map<string, TwinJob>();
  private readonly queue: string[] = [];
  private readonly registrationTokens = new Map<string, { owner: TwinOwner; expiresAt: number }>();
  private readonly jitConfigs = new Map<string, number>();
  private readonly listeners: ((e: DispatcherEvent) => void)[] = [];
  private nextRunnerId = 1;
  private nextJobId = 1;

  constructor(
    readonly clock: WorldClock,
    private readonly ledger?: OutcomeLedger,
  ) {}

  setSwitches(partial: Partial<DispatcherSwitches>): void {
    this.switches = { ...this.switches, ...partial };
  }

  onEvent(listener: (e: DispatcherEvent) => void): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------- registration
  createRegistrationToken(owner: TwinOwner, lifetimeMs = 3_600_000): { token: string; expiresAt: number } {
    const token = `AR${randomBytes(15).toString('hex').toUpperCase()}`;
    const expiresAt = this.clock.now() + lifetimeMs;
    this.registrationTokens.set(token, { owner, expiresAt });
    return { token, expiresAt };
  }

  /** config.sh with a registration token (reusable for its lifetime). Replaces a same-named runner. */
  registerRunner(args: {
    token: string;
    name: string;
    labels?: string[];
    ephemeral?: boolean;
    instanceId?: string;
    os?: string;
  }): TwinRunner {
    const reg = this.registrationTokens.get(args.token);
    if (!reg || reg.expiresAt <= this.clock.now()) throw new Error('registration token invalid or expired');
    const existing = this.visibleRunners(reg.owner).find((r) => r.name === args.name);
    if (existing) this.removeRunner(existing);
    const runner = this.addRunner(reg.owner, args.name, args.labels ?? [], !!args.ephemeral, args.os);
    runner.connected = true;
    if (args.instanceId) runner.instanceId = args.instanceId;
    return runner;
  }

  /** generate-jitconfig: an ephemeral runner, offline until an agent connects with the config. */
  generateJitConfig(owner: TwinOwner, name: string, labels: string[]): { runner: TwinRunner; encoded: string } | 'conflict' {
    if (this.visibleRunners(owner).some((r) => r.name === name)) return 'conflict';
    const runner = this.addRunner(owner, name, labels, true);
    const secret = randomBytes(12).toString('hex');
    const encoded = Buffer.from(JSON.stringify({ runnerId: runner.id, name, secret })).toString('base64');
    this.jitConfigs.set(encoded, runner.id);
    return { runner, encoded };
  }

  /** run.sh --jitconfig: connects the agent to its pre-created runner. */
  connectJit(encodedJitConfig: string, instanceId?: string): TwinRunner {
    const id = this.jitConfigs.get(encodedJitConfig);
    const runner = id === undefined ? undefined : this.runners.get(id);
    if (!runner || runner.deleted) throw new Error('JIT config unknown or its runner was deleted');
    this.jitConfigs.delete(encodedJitConfig);
    runner.connected = true;
    if (instanceId) runner.instanceId = instanceId;
    runner.lastPollAt = this.clock.now();
    this.tryAssign(runner);
    return runner;
  }

  // ---------------------------------------------------------------- REST views
  /** Runners GitHub lists for the owner (not deleted, not consumed), by id. */
  visibleRunners(owner: TwinOwner): TwinRunner[] {
    const key = ownerKeyOf(owner);
    return [...this.runners.values()].filter((r) => ownerKeyOf(r.owner) === key && isVisible(r));
  }

  /** GET one runner; undefined = 404. */
  getRunner(owner: TwinOwner, id: number): TwinRunner | undefined {
    const r = this.runners.get(id);
    if (!r || ownerKeyOf(r.owner) !== ownerKeyOf(owner)) return undefined;
    if (isVisible(r)) return r;
    const ghostBusy = r.deleted && this.switches.getAfterDelete === 'busy' && this.activeJob(r) !== undefined;
    return ghostBusy ? r : undefined;
  }

  runnerById(id: number): TwinRunner | undefined {
    return this.runners.get(id);
  }

  allRunners(): TwinRunner[] {
    return [...this.runners.values()];
  }

  /** The `busy` flag as GitHub would report it now. */
  busyFlag(r: TwinRunner): boolean {
    if (r.busyOverride !== undefined) return r.busyOverride;
    const job = this.activeJob(r);
    if (!job) return false;
    if (r.deleted) return true; // only reachable with getAfterDelete 'busy'
    return this.clock.now() >= (job.assignedAt ?? 0) + this.switches.busyFlagDelayMs;
  }

  status(r: TwinRunner): 'online' | 'offline' {
    if (!r.connected || r.lastPollAt === undefined) return 'offline';
    return this.clock.now() - r.lastPollAt <= this.switches.offlineAfterMs ? 'online' : 'offline';
  }

  setBusyOverride(runnerId: number, value: boolean | undefined): void {
    const r = this.mustRunner(runnerId);
    if (value === undefined) delete r.busyOverride;
    else r.busyOverride = value;
  }

  /** DELETE of a runner, with the switches deciding what a runner holding a job gets. */
  deleteRunner(owner: TwinOwner, id: number): DeleteOutcome {
    const r = this.runners.get(id);
    if (!r || ownerKeyOf(r.owner) !== ownerKeyOf(owner) || !isVisible(r)) return { status: 404 };
    const job = this.activeJob(r);
    if (!job) {
      this.removeRunner(r);
      return { status: 204, forced: false };
    }
    const mode = this.switches.deleteWhileAssigned;
    if (mode === '500') return { status: 500, message: `Runner "${r.name}" may be actively running a job.` };
    if (mode === '422' || this.busyFlag(r)) {
      return { status: 422, message: `Runner "${r.name}" is currently running a job and cannot be deleted.` };
    }
    this.removeRunner(r);
    const notStarted = job.phase === 'assigned';
    if (notStarted && this.switches.assignedOnForcedDelete === 'requeue') {
      this.requeue(job, r);
    } else if (this.switches.afterForcedDelete === 'cancelled') {
      this.endJob(job, 'cancelled');
    }
    return { status: 204, forced: true };
  }

  // ---------------------------------------------------------------- jobs
  enqueue(spec: JobSpec = {}): TwinJob {
    const id = spec.id ?? `job-${this.nextJobId++}`;
    if (this.jobs.has(id)) throw new Error(`job ${id} exists`);
    const job: TwinJob = {
      id,
      labels: spec.labels ?? ['self-hosted'],
      durationMs: spec.durationMs ?? 60_000,
      phase: 'queued',
      queuedAt: this.clock.now(),
      ...(spec.owner ? { owner: spec.owner } : {}),
      ...(spec.runnerId !== undefined ? { pinnedRunnerId: spec.runnerId } : {}),
    };
    this.jobs.set(id, job);
    this.queue.push(id);
    this.ledger?.jobQueued(id, job.labels, job.queuedAt);
    this.emit({ kind: 'job', at: job.queuedAt, job });
    this.tryAssignJob(job);
    return job;
  }

  /**
   * Assigns a job to a given runner now, whatever its labels or online state: how a test
   * forces "a job lands on runner 7 right before the DELETE". The runner must be free.
   */
  assignNow(spec: JobSpec & { runnerId: number }): TwinJob {
    const r = this.mustRunner(spec.runnerId);
    if (!isVisible(r)) throw new Error(`runner ${r.id} is not registered`);
    if (this.activeJob(r)) throw new Error(`runner ${r.id} already holds a job`);
    const job = this.enqueue({ ...spec, labels: spec.labels ?? [] });
    if (job.phase === 'queued') this.assign(job, r);
    return job;
  }

  getJob(id: string): TwinJob | undefined {
    return this.jobs.get(id);
  }

  allJobs(): TwinJob[] {
    return [...this.jobs.values()];
  }

  jobsIn(phase: JobPhase): TwinJob[] {
    return this.allJobs().filter((j) => j.phase === phase);
  }

  /** The listener's long poll: marks the runner online and hands over news. */
  poll(runnerId: number): PollResult {
    const r = this.runners.get(runnerId);
    if (!r) return { registered: false };
    r.lastPollAt = this.clock.now();
    const job = this.currentJob(r);
    if (r.deleted) {
      // The listener's poll fails with RunnerNotFound; a continuing job's worker runs on.
      return { registered: false, ...(job?.phase === 'cancelled' ? { cancelledJobId: job.id } : {}) };
    }
    this.tryAssign(r);
    const assigned = this.currentJob(r);
    if (assigned?.phase === 'assigned') return { registered: true, job: assigned };
    return { registered: true };
  }

  /** Whether the job may still run (not cancelled, not killed). */
  isJobLive(jobId: string): boolean {
    const j = this.jobs.get(jobId);
    return !!j && (j.phase === 'assigned' || j.phase === 'running');
  }

  startJob(jobId: string): TwinJob {
    const job = this.mustJob(jobId);
    if (job.phase !== 'assigned') return job;
    job.phase = 'running';
    job.startedAt = this.clock.now();
    const r = job.runnerId !== undefined ? this.runners.get(job.runnerId) : undefined;
    this.ledger?.jobStarted(job.id, job.startedAt, r?.instanceId);
    this.emit({ kind: 'job', at: job.startedAt, job });
    return job;
  }

  completeJob(jobId: string): TwinJob {
    const job = this.mustJob(jobId);
    if (job.phase === 'assigned' || job.phase === 'running') this.endJob(job, 'completed');
    return job;
  }

  /** The runner's machine died (instance terminated): its job, assigned or running, is killed. */
  runnerKilled(runnerId: number): TwinJob | undefined {
    const r = this.runners.get(runnerId);
    if (!r) return undefined;
    r.connected = false;
    const job = this.currentJob(r);
    if (job && (job.phase === 'assigned' || job.phase === 'running')) {
      this.endJob(job, 'killed');
      return job;
    }
    return undefined;
  }

  /** The agent stopped (runner process exited): it stops polling and goes offline. */
  runnerStopped(runnerId: number): void {
    const r = this.runners.get(runnerId);
    if (r) r.connected = false;
  }

  // ---------------------------------------------------------------- internals
  private addRunner(owner: TwinOwner, name: string, labels: string[], ephemeral: boolean, os = 'Linux'): TwinRunner {
    const runner: TwinRunner = {
      id: this.nextRunnerId++,
      name,
      owner: { ...owner },
      labels: [...new Set(['self-hosted', os, 'X64', ...labels])],
      os,
      ephemeral,
      connected: false,
      deleted: false,
      consumed: false,
    };
    this.runners.set(runner.id, runner);
    this.emit({ kind: 'runner-registered', at: this.clock.now(), runner });
    return runner;
  }

  private removeRunner(r: TwinRunner): void {
    r.deleted = true;
    r.deletedAt = this.clock.now();
    this.emit({ kind: 'runner-deleted', at: r.deletedAt, runner: r });
  }

  /** GitHub has handed the runner a job that has not ended (whatever its lagging busy flag says). */
  holdsJob(r: TwinRunner): boolean {
    return this.activeJob(r) !== undefined;
  }

  private currentJob(r: TwinRunner): TwinJob | undefined {
    return r.jobId ? this.jobs.get(r.jobId) : undefined;
  }

  private activeJob(r: TwinRunner): TwinJob | undefined {
    const j = this.currentJob(r);
    return j && (j.phase === 'assigned' || j.phase === 'running') ? j : undefined;
  }

  /**
   * Hands queued jobs (FIFO) to free matching runners. With `only`, just that runner is
   * considered: a poll then costs O(queue), not O(queue x runners), which matters for
   * fleets of thousands polling every second.
   */
  private tryAssign(only?: TwinRunner): void {
    if (this.queue.length === 0) return;
    const candidates = only ? [only] : [...this.runners.values()];
    for (const jobId of [...this.queue]) {
      const job = this.jobs.get(jobId);
      if (!job || job.phase !== 'queued') continue;
      const runner = candidates.find((r) => this.canTake(r, job));
      if (runner) this.assign(job, runner);
      if (only && runner) return;
    }
  }

  private tryAssignJob(job: TwinJob): void {
    const runner = [...this.runners.values()].find((r) => this.canTake(r, job));
    if (runner) this.assign(job, runner);
  }

  private canTake(r: TwinRunner, job: TwinJob): boolean {
    if (job.pinnedRunnerId !== undefined && job.pinnedRunnerId !== r.id) return false;
    if (!isVisible(r) || this.status(r) !== 'online' || this.activeJob(r)) return false;
    if (job.owner && !ownerServes(r.owner, job.owner)) return false;
    const have = new Set(r.labels.map((l) => l.toLowerCase()));
    return job.labels.every((l) => have.has(l.toLowerCase()));
  }

  private assign(job: TwinJob, r: TwinRunner): void {
    const idx = this.queue.indexOf(job.id);
    if (idx >= 0) this.queue.splice(idx, 1);
    job.phase = 'assigned';
    job.runnerId = r.id;
    job.assignedAt = this.clock.now();
    r.jobId = job.id;
    this.ledger?.jobAssigned(job.id, r.id, job.assignedAt, r.instanceId);
    this.emit({ kind: 'job', at: job.assignedAt, job });
    if (r.ephemeral) {
      r.consumed = true;
      this.emit({ kind: 'runner-consumed', at: job.assignedAt, runner: r });
    }
  }

  private requeue(job: TwinJob, r: TwinRunner): void {
    delete r.jobId;
    job.phase = 'queued';
    delete job.runnerId;
    delete job.assignedAt;
    this.queue.unshift(job.id);
    this.ledger?.jobRequeued(job.id);
    this.emit({ kind: 'job', at: this.clock.now(), job });
  }

  private endJob(job: TwinJob, phase: 'completed' | 'cancelled' | 'killed'): void {
    job.phase = phase;
    job.endedAt = this.clock.now();
    const r = job.runnerId !== undefined ? this.runners.get(job.runnerId) : undefined;
    // A cancelled or killed job stays on the runner record so the agent can learn its fate.
    if (r && phase === 'completed') delete r.jobId;
    const fate =
      phase === 'completed' ? 'completed' : phase === 'killed' ? 'killed-by-termination' : 'cancelled-by-deregistration';
    this.ledger?.jobEnded(job.id, fate, job.endedAt);
    this.emit({ kind: 'job', at: job.endedAt, job });
    if (r && phase === 'completed') this.tryAssign(r);
  }

  private mustRunner(id: number): TwinRunner {
    const r = this.runners.get(id);
    if (!r) throw new Error(`no runner ${id}`);
    return r;
  }

  private mustJob(id: string): TwinJob {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`no job ${id}`);
    return j;
  }

  private emit(e: DispatcherEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function isVisible(r: TwinRunner): boolean {
  return !r.deleted && !r.consumed;
}

/** An org's runners serve its repos' jobs; a repo's runners serve that repo only. */
function ownerServes(runnerOwner: TwinOwner, jobOwner: string): boolean {
  if (runnerOwner.type === 'Repo') return runnerOwner.owner === jobOwner;
  return jobOwner === runnerOwner.owner || jobOwner.startsWith(`${runnerOwner.owner}/`);
}
