/**
 * The outcome ledger: what happened to every job and every runner instance.
 *
 * The race tests and `npm start` judge the reaper by this record, not by what the reaper
 * logged: a job whose instance was terminated under it is `killed-by-termination`, a job
 * whose runner GitHub dropped while it ran is `cancelled-by-deregistration`.
 */
export type JobFate =
  | 'pending'
  | 'completed'
  | 'killed-by-termination'
  | 'cancelled-by-deregistration';

export interface JobRecord {
  jobId: string;
  labels: string[];
  queuedAt: number;
  fate: JobFate;
  /** Times the job went back to the queue because its runner vanished before it started. */
  requeues: number;
  runnerId?: number;
  instanceId?: string;
  assignedAt?: number;
  startedAt?: number;
  endedAt?: number;
}

export interface InstanceRecord {
  instanceId: string;
  launchedAt: number;
  endedAt?: number;
  busyMs: number;
  /** Set while a job runs on the instance. */
  busySince?: number;
  jobs: number;
}

export interface InstanceSummary {
  instanceId: string;
  lifetimeMs: number;
  busyMs: number;
  idleMs: number;
  jobs: number;
  ended: boolean;
}

/** One change of an instance's state, for timelines (`npm start` draws them). */
export interface InstanceStateChange {
  instanceId: string;
  at: number;
  state: 'idle' | 'busy' | 'ended';
}

export interface LedgerSummary {
  jobs: {
    total: number;
    pending: number;
    completed: number;
    killedByTermination: number;
    cancelledByDeregistration: number;
    /** Requeue events (a job can be requeued and still complete later). */
    requeued: number;
  };
  instances: {
    count: number;
    ended: number;
    busyMs: number;
    idleMs: number;
    lifetimeMs: number;
  };
  perInstance: InstanceSummary[];
}

export class OutcomeLedger {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly changes: InstanceStateChange[] = [];

  // --- jobs ---
  jobQueued(jobId: string, labels: string[], at: number): void {
    this.jobs.set(jobId, { jobId, labels: [...labels], queuedAt: at, fate: 'pending', requeues: 0 });
  }

  jobAssigned(jobId: string, runnerId: number, at: number, instanceId?: string): void {
    const job = this.job(jobId);
    job.runnerId = runnerId;
    job.assignedAt = at;
    if (instanceId) job.instanceId = instanceId;
  }

  jobStarted(jobId: string, at: number, instanceId?: string): void {
    const job = this.job(jobId);
    job.startedAt = at;
    if (instanceId) job.instanceId = instanceId;
  }

  jobRequeued(jobId: string): void {
    const job = this.job(jobId);
    job.requeues++;
    delete job.runnerId;
    delete job.assignedAt;
    delete job.instanceId;
  }

  /** Records the end of a job. The first final fate wins (a killed job stays killed). */
  jobEnded(jobId: string, fate: Exclude<JobFate, 'pending'>, at: number): void {
    const job = this.job(jobId);
    if (job.fate !== 'pending') return;
    job.fate = fate;
    job.endedAt = at;
  }

  // --- instances ---
  instanceLaunched(instanceId: string, at: number): void {
    if (!this.instances.has(instanceId)) {
      this.instances.set(instanceId, { instanceId, launchedAt: at, busyMs: 0, jobs: 0 });
      this.changes.push({ instanceId, at, state: 'idle' });
    }
  }

  instanceBusy(instanceId: string, at: number): void {
    const rec = this.instance(instanceId, at);
    if (rec.busySince === undefined && rec.endedAt === undefined) {
      rec.busySince = at;
      rec.jobs++;
      this.changes.push({ instanceId, at, state: 'busy' });
    }
  }

  instanceIdle(instanceId: string, at: number): void {
    const rec = this.instance(instanceId, at);
    if (rec.busySince !== undefined) {
      rec.busyMs += Math.max(0, at - rec.busySince);
      delete rec.busySince;
      if (rec.endedAt === undefined) this.changes.push({ instanceId, at, state: 'idle' });
    }
  }

  instanceEnded(instanceId: string, at: number): void {
    const rec = this.instance(instanceId, at);
    if (rec.endedAt !== undefined) return;
    if (rec.busySince !== undefined) {
      rec.busyMs += Math.max(0, at - rec.busySince);
      delete rec.busySince;
    }
    rec.endedAt = at;
    this.changes.push({ instanceId, at, state: 'ended' });
  }

  // --- reading ---
  getJob(jobId: string): JobRecord | undefined {
    const job = this.jobs.get(jobId);
    return job ? { ...job, labels: [...job.labels] } : undefined;
  }

  allJobs(): JobRecord[] {
    return [...this.jobs.values()].map((j) => ({ ...j, labels: [...j.labels] }));
  }

  jobsWithFate(fate: JobFate): JobRecord[] {
    return this.allJobs().filter((j) => j.fate === fate);
  }

  /** Jobs the reaper harmed: killed by termination or cancelled by deregistration. */
  harmedJobs(): JobRecord[] {
    return this.allJobs().filter(
      (j) => j.fate === 'killed-by-termination' || j.fate === 'cancelled-by-deregistration',
    );
  }

  getInstance(instanceId: string): InstanceRecord | undefined {
    const rec = this.instances.get(instanceId);
    return rec ? { ...rec } : undefined;
  }

  /** Every instance state change in the order recorded (idle on launch, busy, idle, ended). */
  timeline(): InstanceStateChange[] {
    return this.changes.map((c) => ({ ...c }));
  }

  /** Totals at world time `now` (open busy/idle intervals are counted up to `now`). */
  summary(now: number): LedgerSummary {
    const perInstance = [...this.instances.values()].map((rec) => instanceSummary(rec, now));
    const jobs = [...this.jobs.values()];
    const count = (fate: JobFate) => jobs.filter((j) => j.fate === fate).length;
    const sum = (pick: (s: InstanceSummary) => number) => perInstance.reduce((a, s) => a + pick(s), 0);
    return {
      jobs: {
        total: jobs.length,
        pending: count('pending'),
        completed: count('completed'),
        killedByTermination: count('killed-by-termination'),
        cancelledByDeregistration: count('cancelled-by-deregistration'),
        requeued: jobs.reduce((a, j) => a + j.requeues, 0),
      },
      instances: {
        count: perInstance.length,
        ended: perInstance.filter((s) => s.ended).length,
        busyMs: sum((s) => s.busyMs),
        idleMs: sum((s) => s.idleMs),
        lifetimeMs: sum((s) => s.lifetimeMs),
      },
      perInstance,
    };
  }

  private job(jobId: string): JobRecord {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`ledger: unknown job ${jobId}`);
    return job;
  }

  private instance(instanceId: string, at: number): InstanceRecord {
    this.instanceLaunched(instanceId, at);
    return this.instances.get(instanceId)!;
  }
}

function instanceSummary(rec: InstanceRecord, now: number): InstanceSummary {
  const end = rec.endedAt ?? now;
  const lifetimeMs = Math.max(0, end - rec.launchedAt);
  const openBusy = rec.busySince !== undefined ? Math.max(0, end - rec.busySince) : 0;
  const busyMs = Math.min(lifetimeMs, rec.busyMs + openBusy);
  return {
    instanceId: rec.instanceId,
    lifetimeMs,
    busyMs,
    idleMs: lifetimeMs - busyMs,
    jobs: rec.jobs,
    ended: rec.endedAt !== undefined,
  };
}
