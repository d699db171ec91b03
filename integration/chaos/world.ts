/**
 * One chaos world: the twin's JobDispatcher in-process, an in-memory EC2, an in-memory
 * probe, simulated runner machines, a seeded bursty workload and a simple scale-up, all on
 * one VirtualClock. Every API call takes a round trip on that clock (transport.ts).
 *
 * Why not HTTP and moto: a chaos setting needs thousands of reclaims and tens of thousands
 * of API operations, and there are a couple of dozen settings per `npm test`. Through the
 * HTTP twin and moto that takes hours; in-process it takes seconds. The state machine is
 * the same (the dispatcher is the twin's own), and the end-to-end suite (integration/test/e2e)
 * covers the real transports: Octokit over HTTP, the AWS SDK against moto, the built zips.
 */
import { RUNNER_APPLICATION, TAG, type EvidenceSource } from '../../lambda/src/core';
import { OutcomeLedger } from '../ledger/ledger';
import type { TruthInstance, WorldTruth } from '../strategies/types';
import { seededRandom } from '../twin/clock';
import { JobDispatcher, type TwinOwner } from '../twin/dispatcher';
import { SimAgent, after, type AgentWorld } from './agent';
import { ChaosClock } from './clock';
import { DispatcherGitHub } from './dispatcher-github';
import { evidenceOf, machineSpecFor, type FleetEvidence } from './fleet-evidence';
import { MemoryEc2 } from './memory-ec2';
import { MemoryProbe, type ProbeTarget } from './memory-probe';
import type { GitHubModel } from './models';
import type { JobLander } from './race-injector';
import { AWS_TRANSPORT, GITHUB_TRANSPORT, VirtualTransport } from './transport';

export const CHAOS_ENVIRONMENT = 'chaos';
export const CHAOS_OWNER: TwinOwner = { type: 'Org', owner: 'chaos-org' };
/** A fixed start so a seed replays exactly. */
export const CHAOS_START = Date.UTC(2026, 0, 5, 9, 0, 0);

export interface WorkloadSpec {
  /** World time simulated (ms). */
  durationMs: number;
  /** Scale-up never runs more instances than this. */
  maxFleet: number;
  /** Busy phases: [min, max] length (ms) and [min, max] arrivals per second. */
  burstMs: [number, number];
  burstRate: [number, number];
  /** Quiet phases, when idle runners pile up and get reclaimed. */
  quietMs: [number, number];
  quietRate: number;
  /** Job run time [min, max] (ms). */
  jobMs: [number, number];
}

export interface WorldOptions {
  seed: number;
  model: GitHubModel;
  /** What the machines can prove (hooks marker and tags, SSM agent online). */
  evidence: FleetEvidence;
  workload: WorkloadSpec;
}

const SCALE_UP_EVERY_MS = 10_000;
const RUNNING_AFTER_MS = 10_000;
/** The SSM agent registers a few seconds after the instance is running. */
const SSM_ONLINE_AFTER_MS = RUNNING_AFTER_MS + 5_000;
const REGISTER_AFTER_MS: [number, number] = [10_000, 30_000];

export class ChaosWorld implements JobLander, AgentWorld, WorldTruth {
  readonly clock = new ChaosClock(CHAOS_START);
  readonly ledger = new OutcomeLedger();
  readonly dispatcher: JobDispatcher;
  readonly ec2: MemoryEc2;
  readonly github: DispatcherGitHub;
  readonly probe: MemoryProbe;
  readonly random: () => number;
  /** What each instance launched could prove, for judging where a job died. */
  readonly evidenceByInstance = new Map<string, EvidenceSource>();
  private readonly workloadRandom: () => number;
  private readonly agents = new Map<string, SimAgent>();
  private readonly byRunner = new Map<number, SimAgent>();
  private readonly queued = new Set<string>();
  private booting = 0;
  private live = 0;
  private stopped = false;
  launched = 0;

  constructor(private readonly opts: WorldOptions) {
    this.random = seededRandom(opts.seed);
    this.workloadRandom = seededRandom(opts.seed ^ 0x9e3779b9);
    this.dispatcher = new JobDispatcher(this.clock, this.ledger);
    // Agents here do not poll; they stay online for as long as their instance lives.
    this.dispatcher.setSwitches({ ...opts.model.switches, offlineAfterMs: Number.MAX_SAFE_INTEGER });
    const transportRandom = seededRandom(opts.seed ^ 0x5bd1e995);
    this.ec2 = new MemoryEc2(
      () => this.clock.now(),
      (id) => this.instanceTerminated(id),
      new VirtualTransport(this.clock, transportRandom, AWS_TRANSPORT),
    );
    this.github = new DispatcherGitHub(this.dispatcher, new VirtualTransport(this.clock, transportRandom, GITHUB_TRANSPORT));
    this.probe = new MemoryProbe(
      this.clock,
      new VirtualTransport(this.clock, transportRandom, AWS_TRANSPORT),
      seededRandom(opts.seed ^ 0x27d4eb2f),
      (id) => this.probeTarget(id),
    );
    this.dispatcher.onEvent((e) => {
      if (e.kind !== 'job') return;
      const { job } = e;
      if (job.phase === 'queued') this.queued.add(job.id);
      else this.queued.delete(job.id);
      const agent = job.runnerId !== undefined ? this.byRunner.get(job.runnerId) : undefined;
      if (!agent) return;
      if (job.phase === 'assigned') agent.assigned(job);
      else if (job.phase === 'cancelled') agent.cancelled(job.id);
    });
  }

  get endsAt(): number {
    return CHAOS_START + this.opts.workload.durationMs;
  }

  /** Schedules the whole workload (from its own random stream, so every strategy sees the same arrivals) and scale-up. */
  start(): void {
    const w = this.opts.workload;
    const r = this.workloadRandom;
    const between = (lo: number, hi: number) => lo + (hi - lo) * r();
    let t = 0;
    let busy = true;
    while (t < w.durationMs) {
      const phaseEnd = Math.min(w.durationMs, t + (busy ? between(...w.burstMs) : between(...w.quietMs)));
      const rate = busy ? between(...w.burstRate) : w.quietRate;
      // Poisson arrivals: exponential gaps.
      for (t += -Math.log(1 - r()) * (1000 / rate); t < phaseEnd; t += -Math.log(1 - r()) * (1000 / rate)) {
        const durationMs = between(...w.jobMs);
        after(this.clock, t, () => {
          if (!this.stopped) this.dispatcher.enqueue({ durationMs, owner: CHAOS_OWNER.owner });
        });
      }
      t = phaseEnd;
      busy = !busy;
    }
    void this.scaleUpLoop();
  }

  stop(): void {
    this.stopped = true;
  }

  /** JobLander: a job lands on the runner right now, if it could take one. */
  landOn(runnerId: number): boolean {
    const runner = this.dispatcher.runnerById(runnerId);
    const agent = this.byRunner.get(runnerId);
    if (!runner || runner.deleted || runner.consumed || !agent || agent.dead || agent.holdsJob) return false;
    if (runner.jobId && this.dispatcher.isJobLive(runner.jobId)) return false;
    const r = this.random;
    const [lo, hi] = this.opts.workload.jobMs;
    this.dispatcher.assignNow({ runnerId, durationMs: lo + (hi - lo) * r(), owner: CHAOS_OWNER.owner });
    return true;
  }

  // ------------------------------------------------------------ WorldTruth (the oracle's view)
  liveInstances(): TruthInstance[] {
    const out: TruthInstance[] = [];
    for (const [id, agent] of this.agents) {
      if (agent.dead || !this.ec2.isAlive(id)) continue;
      const runner = agent.runnerId !== undefined ? this.dispatcher.runnerById(agent.runnerId) : undefined;
      const registered = !!runner && !runner.deleted && !runner.consumed;
      const jobLive = !!runner?.jobId && this.dispatcher.isJobLive(runner.jobId);
      out.push({
        instanceId: id,
        launchedAt: this.ec2.launchTimeOf(id)!,
        registered,
        busy: agent.holdsJob || jobLive,
      });
    }
    return out;
  }

  reclaimNow(instanceId: string): boolean {
    const agent = this.agents.get(instanceId);
    if (!agent || agent.dead || agent.holdsJob) return false;
    const runner = agent.runnerId !== undefined ? this.dispatcher.runnerById(agent.runnerId) : undefined;
    if (runner && !runner.deleted && !runner.consumed) {
      // Idle at this instant, so GitHub's DELETE cannot catch a job: deregister, then terminate, with no time between.
      const answer = this.dispatcher.deleteRunner(CHAOS_OWNER, runner.id);
      if (answer.status !== 204 || answer.forced) return false;
    }
    this.ec2.terminateNow(instanceId);
    return true;
  }

  private probeTarget(id: string): ProbeTarget | undefined {
    const agent = this.agents.get(id);
    if (!agent) return undefined;
    const launchedAt = this.ec2.launchTimeOf(id) ?? Number.POSITIVE_INFINITY;
    return {
      machine: agent.machine,
      online: agent.ssmOnline && this.ec2.isAlive(id) && this.clock.now() >= launchedAt + SSM_ONLINE_AFTER_MS,
    };
  }

  private async scaleUpLoop(): Promise<void> {
    while (!this.stopped) {
      await this.clock.sleep(SCALE_UP_EVERY_MS);
      if (this.stopped) return;
      const want = Math.min(this.queued.size - this.booting, this.opts.workload.maxFleet - this.live);
      for (let i = 0; i < want; i++) this.launch();
    }
  }

  private launch(): void {
    const id = this.ec2.launch({
      [TAG.application]: RUNNER_APPLICATION,
      [TAG.environment]: CHAOS_ENVIRONMENT,
      [TAG.owner]: CHAOS_OWNER.owner,
      [TAG.type]: CHAOS_OWNER.type,
    });
    const spec = machineSpecFor(this.opts.evidence, this.launched);
    this.evidenceByInstance.set(id, evidenceOf(spec));
    this.launched++;
    this.live++;
    this.booting++;
    this.ledger.instanceLaunched(id, this.clock.now());
    const agent = new SimAgent(this, id, spec);
    this.agents.set(id, agent);
    after(this.clock, RUNNING_AFTER_MS, () => {
      if (this.ec2.stateOf(id) === 'pending') this.ec2.setState(id, 'running');
    });
    const [lo, hi] = REGISTER_AFTER_MS;
    after(this.clock, RUNNING_AFTER_MS + lo + (hi - lo) * this.random(), () => {
      this.booting--;
      if (agent.dead) return;
      // config.sh + run.sh: registered under the instance id, then the first poll.
      const { token } = this.dispatcher.createRegistrationToken(CHAOS_OWNER);
      const runner = this.dispatcher.registerRunner({ token, name: id, instanceId: id });
      agent.booted(runner.id);
      this.byRunner.set(runner.id, agent);
      this.dispatcher.poll(runner.id);
    });
  }

  private instanceTerminated(id: string): void {
    const agent = this.agents.get(id);
    if (!agent || agent.dead) return;
    this.live--;
    agent.die();
  }
}
