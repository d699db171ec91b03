/**
 * A simulated runner on one in-memory instance, event-driven on the virtual clock. It
 * drives the one machine model both worlds share (integration/machine/runner-machine.ts):
 * the Listener starts when the runner registers, a Worker runs while a job runs, and the
 * probe answers from that. What the machine can report depends on its spec:
 * - hooks `proven`: at boot the hook installer tags `ghr:job-hooks=<contract version>`,
 *   then every job's hooks tag `ghr:job` / `ghr:job-started-at` on start and
 *   `ghr:last-job-completed-at` on end, a hook delay after the Worker starts / before it
 *   ends (the job-completed hook runs inside the job, also a cancelled one);
 * - hooks `overridden` or `none`: no marker and no hook tags;
 * - `ssm`: the SSM agent is online, so the in-memory probe (memory-probe.ts) can ask it.
 * It dies with its instance (the dispatcher then records its job as killed).
 *
 * Unlike integration/agents (which long-poll and write tags through the AWS SDK to moto),
 * it never polls: it hears about assignments and cancellations from the dispatcher's
 * events, which keeps tens of thousands of jobs cheap.
 */
import { HOOKS_CONTRACT_VERSION, TAG } from '../../lambda/src/core';
import type { OutcomeLedger } from '../ledger/ledger';
import { RunnerMachine, type MachineSpec } from '../machine/runner-machine';
import type { VirtualClock } from '../twin/clock';
import type { JobDispatcher, TwinJob } from '../twin/dispatcher';
import type { MemoryEc2 } from './memory-ec2';

export interface AgentWorld {
  clock: VirtualClock;
  dispatcher: JobDispatcher;
  ec2: MemoryEc2;
  ledger: OutcomeLedger;
  random: () => number;
}

/** Runs `fn` once the virtual clock has moved on by `ms`. */
export function after(clock: VirtualClock, ms: number, fn: () => void): void {
  void clock.sleep(ms).then(fn);
}

const between = (random: () => number, lo: number, hi: number) => lo + (hi - lo) * random();

/** Listener pickup: the long poll hands the job over within about a second; the Worker starts then. */
const PICKUP_MS: [number, number] = [200, 1000];
/** Hook scripts (IMDS + CreateTags) take 1-3 s in practice; sampled a bit wider. */
const HOOK_MS: [number, number] = [500, 3500];
/** A cancelled job's worker stops when the listener's next poll fails. */
const CANCEL_NOTICE_MS = 1000;

export class SimAgent {
  runnerId?: number;
  dead = false;
  readonly machine: RunnerMachine;
  private job?: { id: string; started: boolean };

  constructor(
    private readonly world: AgentWorld,
    readonly instanceId: string,
    spec: MachineSpec,
  ) {
    this.machine = new RunnerMachine(spec);
  }

  get holdsJob(): boolean {
    return this.job !== undefined;
  }

  /** Whether the SSM agent answers (the instance is alive and the machine runs one). */
  get ssmOnline(): boolean {
    return this.machine.spec.ssm && !this.dead;
  }

  /**
   * User data has configured the runner: the hook installer checks the effective hook
   * lines and, only when they call our hooks, writes the boot marker; then run.sh starts
   * the Listener.
   */
  booted(runnerId: number): void {
    if (this.dead) return;
    const { clock, ec2 } = this.world;
    if (this.machine.hooksRun) ec2.hookWrite(this.instanceId, { [TAG.jobHooks]: HOOKS_CONTRACT_VERSION });
    this.runnerId = runnerId;
    this.machine.listenerStarted(clock.now());
  }

  assigned(job: TwinJob): void {
    if (this.dead) return;
    const { clock, dispatcher, ledger, random } = this.world;
    const current = { id: job.id, started: false };
    this.job = current;
    after(clock, between(random, ...PICKUP_MS), () => {
      if (this.dead || this.job !== current || !dispatcher.isJobLive(job.id)) return;
      dispatcher.startJob(job.id);
      current.started = true;
      this.machine.workerStarted(clock.now());
      ledger.instanceBusy(this.instanceId, clock.now());
      if (this.machine.hooksRun) {
        after(clock, between(random, ...HOOK_MS), () => {
          if (this.dead || this.job !== current || !dispatcher.isJobLive(job.id)) return;
          const at = new Date(clock.now()).toISOString();
          this.world.ec2.hookWrite(this.instanceId, { [TAG.job]: `run-${job.id}/${job.id}`, [TAG.jobStartedAt]: at });
        });
      }
      after(clock, job.durationMs, () => this.finish(current));
    });
  }

  /** The dispatcher cancelled our job (runner deregistered under it). */
  cancelled(jobId: string): void {
    const current = this.job;
    if (this.dead || !current || current.id !== jobId) return;
    after(this.world.clock, CANCEL_NOTICE_MS, () => this.finish(current));
  }

  /** The instance is gone: a job it held is killed. */
  die(): void {
    if (this.dead) return;
    this.dead = true;
    const { dispatcher, ledger, clock } = this.world;
    if (this.runnerId !== undefined) dispatcher.runnerKilled(this.runnerId);
    ledger.instanceEnded(this.instanceId, clock.now());
  }

  private finish(current: { id: string; started: boolean }): void {
    if (this.dead || this.job !== current) return;
    const { clock, dispatcher, ledger, ec2, random } = this.world;
    const done = () => {
      if (this.dead || this.job !== current) return;
      this.job = undefined;
      if (current.started) this.machine.workerEnded(clock.now());
      // completeJob may hand this runner the next queued job at once (assigned() above).
      ledger.instanceIdle(this.instanceId, clock.now());
      if (dispatcher.isJobLive(current.id)) dispatcher.completeJob(current.id);
    };
    if (!this.machine.hooksRun || !current.started) return done();
    // The job-completed hook runs inside the job (the Worker still runs), also for a cancelled one.
    after(clock, between(random, ...HOOK_MS), () => {
      if (this.dead || this.job !== current) return;
      ec2.hookWrite(this.instanceId, { [TAG.lastJobCompletedAt]: new Date(clock.now()).toISOString() }, [TAG.job]);
      done();
    });
  }
}
