/**
 * The fuzz's own model of the fleet: the ground truth the invariants are judged against,
 * kept independently of the code under test. It knows which machines really run a job
 * (the Runner.Worker the probe would see), which tags each machine carries (the EC2
 * store), and what GitHub really knows (registrations, who is busy, and when GitHub's
 * busy flag will show it).
 *
 * The rules of this world (and why they are the ones the design must survive):
 * - A job is only ever assigned to a registered, online, idle runner of a running machine.
 *   The Worker exists from the assignment on; GitHub's busy flag shows it after a lag of up
 *   to 90 s (github-runner-facts.md: 25-60+ s).
 * - A machine with the `ghr:job-hooks` marker runs its hooks: `ghr:job` and
 *   `ghr:job-started-at` are written within SETTLE_SECONDS of the assignment (the settle is
 *   sized for that, docs/design.md), and the completed hook removes `ghr:job` within the
 *   same bound after the job ends, unless the runner crashed (then `ghr:job` stays: stale).
 * - Jobs end before MAX_JOB_DURATION_MINUTES.
 * - An ephemeral runner's registration may be consumed when it takes its job.
 * - People may add or remove `ghr:bypass-removal=true` between runs and during a settle.
 * - Time only moves between runs and in the executors' settle (a virtual clock): every
 *   world event lands at one of those moments, so what a run reads before its settle is one
 *   consistent picture, apart from the races the fuzz injects on purpose (a job assigned
 *   as a DELETE arrives).
 */
import { TAG } from '../../src/core/tags';
import type { OwnerRef } from '../../src/core/types';
import { keyed, type Gen } from './random';

export const ENVIRONMENT = 'ci';
export const FOREIGN_ENVIRONMENT = 'prod';
export const APPLICATION = 'github-action-runner';

export interface OwnerSpec {
  ref: OwnerRef;
  /** The REST path prefix: `orgs/acme` or `repos/acme/app`. */
  path: string;
}

export const OWNERS: readonly OwnerSpec[] = [
  { ref: { type: 'Org', owner: 'acme' }, path: 'orgs/acme' },
  { ref: { type: 'Repo', owner: 'acme/app' }, path: 'repos/acme/app' },
  { ref: { type: 'Org', owner: 'beta' }, path: 'orgs/beta' },
];

export interface Job {
  id: string;
  runnerId: number;
  instanceId: string;
  assignedAt: number;
  endsAt: number;
  /** GitHub's busy flag shows the job from assignedAt + lagMs. */
  lagMs: number;
  /** The hooks tag the job this long after the assignment (and untag it this long after its end). */
  hookDelayMs: number;
  /** The runner dies at the end of the job: no completed hook, `ghr:job` stays. */
  crashes: boolean;
}

export interface Machine {
  id: string;
  state: string;
  launchTime: number;
  /** The EC2 tag store: what a well-formed DescribeInstances answer reports. */
  tags: Record<string, string>;
  platformDetails: string;
  /** Another deployment's instance (other environment or application): never ours to touch. */
  foreign: boolean;
  /** The hooks marker is present and the hooks run. */
  hooks: boolean;
  /** These hooks write an unreadable `ghr:job-started-at`. */
  brokenStartTimes: boolean;
  /** What Systems Manager knows of its agent. */
  ssm: 'online' | 'connection-lost' | 'windows' | 'absent';
  /** Termination protection: EC2 refuses any TerminateInstances call that names it. */
  protected: boolean;
  /** An IAM condition denies terminating it: EC2 answers UnauthorizedOperation for any call that names it. */
  iamDenied: boolean;
  ownerPath: string;
  /** Its runner is ephemeral (one job, then it exits). */
  ephemeral: boolean;
  /** The job the machine runs now (its Worker), if any. */
  job?: Job;
  lastJobEndedAt?: number;
  /** Which job wrote the current `ghr:job`, and when that job started (the model's record). */
  jobTag?: { jobId: string; startedAt: number };
  /** GitHub accepted a DELETE of this machine's runner while it held this job (a modelled GitHub fault). */
  acceptedBusyDelete?: { at: number; jobId: string };
  terminatedAt?: number;
}

export interface Runner {
  id: number;
  name: string;
  ownerPath: string;
  /** The machine this runner runs on; undefined for runners of no machine of this fleet. */
  instanceId?: string;
  offline: boolean;
  ephemeral: boolean;
  os: string;
  labels: string[];
}

interface Event {
  at: number;
  seq: number;
  what: string;
  apply: () => void;
}

/** What happened to a job the reaper (or GitHub because of the reaper) cut short. */
export interface KilledJob {
  job: Job;
  instanceId: string;
  at: number;
  how: 'terminated';
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

export class World {
  now: number;
  readonly machines = new Map<string, Machine>();
  /** GitHub's registrations per owner path. */
  readonly runners = new Map<string, Runner[]>();
  readonly killed: KilledJob[] = [];
  readonly trace: string[] = [];
  private events: Event[] = [];
  private seq = 0;
  private jobs = 0;
  private nextRunnerId = 5000;

  constructor(
    readonly seed: number,
    start: number,
    readonly maxJobMs: number,
    readonly settleMs: number,
  ) {
    this.now = start;
  }

  log(line: string): void {
    this.trace.push(`${isoOf(this.now)} ${line}`);
  }

  // --- GitHub's side ------------------------------------------------------------------

  runnersOf(path: string): Runner[] {
    let list = this.runners.get(path);
    if (!list) {
      list = [];
      this.runners.set(path, list);
    }
    return list;
  }

  /** GitHub's listing order: by id. */
  listing(path: string): Runner[] {
    return [...this.runnersOf(path)].sort((a, b) => a.id - b.id);
  }

  findRunner(path: string, id: number): Runner | undefined {
    return this.runnersOf(path).find((r) => r.id === id);
  }

  addRunner(runner: Omit<Runner, 'id'> & { id?: number }): Runner {
    const full: Runner = { ...runner, id: runner.id ?? this.nextRunnerId++ };
    this.runnersOf(full.ownerPath).push(full);
    return full;
  }

  newRunnerId(): number {
    return this.nextRunnerId++;
  }

  removeRunner(path: string, id: number): Runner | undefined {
    const list = this.runnersOf(path);
    const index = list.findIndex((r) => r.id === id);
    if (index < 0) return undefined;
    const [removed] = list.splice(index, 1);
    return removed;
  }

  /** The registrations that claim a machine (the truth: by the machine they run on). */
  registrationsOf(instanceId: string): Runner[] {
    const machine = this.machines.get(instanceId);
    if (!machine) return [];
    return this.runnersOf(machine.ownerPath).filter((r) => r.instanceId === instanceId);
  }

  /** The runner truly holds a job now. */
  trulyBusy(runner: Runner): boolean {
    if (runner.instanceId === undefined) return false;
    return this.machines.get(runner.instanceId)?.job?.runnerId === runner.id;
  }

  /** What GitHub's busy flag says now (it lags the assignment). */
  reportedBusy(runner: Runner): boolean {
    if (runner.instanceId === undefined) return false;
    const job = this.machines.get(runner.instanceId)?.job;
    return job !== undefined && job.runnerId === runner.id && this.now >= job.assignedAt + job.lagMs;
  }

  // --- the machines --------------------------------------------------------------------

  running(machine: Machine): boolean {
    return machine.state === 'running';
  }

  /** A job may be handed to this runner now. */
  canTakeJob(runner: Runner): boolean {
    if (runner.instanceId === undefined || runner.offline) return false;
    const machine = this.machines.get(runner.instanceId);
    if (!machine || !this.running(machine) || machine.job || this.now < machine.launchTime) return false;
    return this.findRunner(runner.ownerPath, runner.id) !== undefined;
  }

  /** Hand a job to a runner now. Returns the job, or undefined when the runner cannot take one. */
  assignJob(runner: Runner, g: Gen, options: { lagMs?: number; reason: string; consumeEphemeral?: boolean }): Job | undefined {
    if (!this.canTakeJob(runner)) return undefined;
    const machine = this.machines.get(runner.instanceId!)!;
    const job: Job = {
      id: `${++this.jobs}/build`,
      runnerId: runner.id,
      instanceId: machine.id,
      assignedAt: this.now,
      endsAt: this.now + g.int(30_000, this.maxJobMs - 5 * 60_000),
      lagMs: options.lagMs ?? g.pick([0, g.int(0, 90_000), g.int(20_000, 90_000)]),
      hookDelayMs: g.int(0, Math.max(0, this.settleMs - 1)),
      crashes: g.chance(0.1),
    };
    machine.job = job;
    this.log(`job ${job.id} assigned to runner ${runner.id} on ${machine.id} (${options.reason}; GitHub shows it after ${job.lagMs} ms)`);
    if (runner.ephemeral && (options.consumeEphemeral ?? g.chance(0.5))) {
      // GitHub consumes an ephemeral runner's registration when it assigns the job.
      this.removeRunner(runner.ownerPath, runner.id);
      this.log(`runner ${runner.id} was ephemeral: its registration is consumed`);
    }
    if (machine.hooks) this.schedule(job.assignedAt + job.hookDelayMs, `job-started hook on ${machine.id}`, () => this.hookStarted(machine, job));
    this.schedule(job.endsAt, `job ${job.id} ends`, () => this.endJob(machine, job, g));
    return job;
  }

  private hookStarted(machine: Machine, job: Job): void {
    if (machine.job?.id !== job.id) return;
    machine.tags[TAG.job] = job.id;
    machine.tags[TAG.jobStartedAt] = machine.brokenStartTimes ? 'not-a-time' : isoOf(job.assignedAt);
    machine.jobTag = { jobId: job.id, startedAt: job.assignedAt };
  }

  private endJob(machine: Machine, job: Job, g: Gen): void {
    if (machine.job?.id !== job.id) return;
    machine.job = undefined;
    machine.lastJobEndedAt = this.now;
    const runner = this.findRunner(machine.ownerPath, job.runnerId);
    this.log(`job ${job.id} on ${machine.id} ends${job.crashes ? ' and the runner crashes' : ''}`);
    if (job.crashes) {
      if (runner) runner.offline = true;
      return;
    }
    if (machine.hooks) {
      this.schedule(this.now + job.hookDelayMs, `job-completed hook on ${machine.id}`, () => {
        if (machine.jobTag?.jobId !== job.id) return;
        delete machine.tags[TAG.job];
        machine.tags[TAG.lastJobCompletedAt] = isoOf(job.endsAt);
        machine.jobTag = undefined;
      });
    }
    if (runner?.ephemeral ?? machine.ephemeral) {
      // The ephemeral runner exits after its job; github-aws-runners' instance may stop itself.
      if (runner) this.removeRunner(runner.ownerPath, runner.id);
      if (g.chance(0.3)) {
        machine.state = 'shutting-down';
        this.schedule(this.now + 60_000, `${machine.id} terminated itself`, () => (machine.state = 'terminated'));
      }
    }
  }

  /** The reaper (through EC2) terminates a machine now. */
  terminate(machine: Machine): void {
    if (machine.state === 'terminated' || machine.state === 'shutting-down') return;
    if (machine.job) {
      this.killed.push({ job: machine.job, instanceId: machine.id, at: this.now, how: 'terminated' });
      machine.job = undefined;
    }
    machine.state = 'shutting-down';
    machine.terminatedAt = this.now;
    for (const runner of this.registrationsOf(machine.id)) runner.offline = true;
    this.schedule(this.now + 30_000, `${machine.id} terminated`, () => (machine.state = 'terminated'));
  }

  // --- the clock -----------------------------------------------------------------------

  schedule(at: number, what: string, apply: () => void): void {
    this.events.push({ at, seq: this.seq++, what, apply });
  }

  /** Move the clock to `to`, applying every event due by then, in order. */
  advance(to: number): void {
    for (;;) {
      this.events.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.events[0];
      if (!next || next.at > to) break;
      this.events.shift();
      this.now = Math.max(this.now, next.at);
      next.apply();
    }
    this.now = Math.max(this.now, to);
  }

  /**
   * What happens between two runs: jobs handed to idle runners, people adding or removing
   * the bypass tag.
   */
  planActivity(g: Gen, from: number, to: number, jobRate: number): void {
    for (const list of this.runners.values()) {
      for (const runner of list) {
        if (runner.instanceId === undefined || !g.chance(jobRate)) continue;
        const at = g.int(from, to);
        const jobGen = keyed(this.seed, 'job', runner.id, at);
        this.schedule(at, `a job for runner ${runner.id}`, () => this.assignJob(runner, jobGen, { reason: 'between runs' }));
      }
    }
    for (const machine of this.machines.values()) {
      if (machine.foreign) continue;
      if (g.chance(0.01)) this.schedule(g.int(from, to), `bypass on ${machine.id}`, () => (machine.tags[TAG.bypassRemoval] = 'true'));
      if (machine.tags[TAG.bypassRemoval] !== undefined && g.chance(0.3)) {
        this.schedule(g.int(from, to), `bypass off ${machine.id}`, () => delete machine.tags[TAG.bypassRemoval]);
      }
    }
  }

  /** During a settle a person may set the bypass tag on a machine (that may be being reclaimed). */
  /** Returns how many machines get the bypass tag during the settle. */
  planSettleActivity(g: Gen, rate: number, from: number, to: number): number {
    let planned = 0;
    for (const machine of this.machines.values()) {
      if (machine.foreign || !g.chance(rate)) continue;
      this.schedule(g.int(from, to), `bypass on ${machine.id} during the settle`, () => (machine.tags[TAG.bypassRemoval] = 'true'));
      planned++;
    }
    return planned;
  }

  // --- what the oracle asks --------------------------------------------------------------

  /**
   * `ghr:job` on this machine is live evidence: it was written by a job that still runs,
   * or by one that started less than MAX_JOB_DURATION_MINUTES ago (nobody can tell a
   * crashed hook from a long job before that). A tag the model did not write (set at the
   * start of the case) counts from its readable `ghr:job-started-at`, else from the start.
   */
  liveJobTag(machine: Machine, caseStart: number): boolean {
    if (machine.tags[TAG.job] === undefined) return false;
    if (machine.job && machine.jobTag?.jobId === machine.job.id) return true;
    const started = machine.jobTag?.startedAt ?? caseStart;
    return this.now - started < this.maxJobMs;
  }
}

/** A bypass value as people write it: `true`, any case, any surrounding blanks. */
export function bypassValue(value: string | undefined): boolean {
  return value !== undefined && /^\s*true\s*$/i.test(value);
}
