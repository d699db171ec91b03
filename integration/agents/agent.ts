/**
 * A simulated runner on one EC2 instance: the Listener (registers, long-polls for jobs)
 * and the Worker (runs a job for its duration), plus the job hooks of the tag contract
 * (ghr:job while a job runs), written to moto through the real AWS SDK.
 *
 * It drives the one RunnerMachine model (integration/machine): the Listener's start, each
 * Worker's start and end. Given a LocalMachine, that model is made real: the runner's files
 * and a real Runner.Worker process, which the SSM twin's probe reads.
 *
 * Hooks, as installed on the machine (`hooks`):
 * - `proven` (or `true`): the installer checked the runner's .env and tagged the boot
 *   marker `ghr:job-hooks` (the fleet writes it at launch); the hooks tag `ghr:job` etc.;
 * - `overridden`: our hook lines were replaced by a later .env line: no marker, no tags;
 * - `none` (or `false`): no hooks at all.
 *
 * It dies with its instance: `die()` (called by the fleet's watcher, or by the agent's own
 * check before it reports a job done) records a job it held as killed.
 */
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { TAG } from '../../lambda/src/core/tags';
import type { OutcomeLedger } from '../ledger/ledger';
import type { LocalMachine } from '../machine/local-machine';
import { RunnerMachine, type HookInstall } from '../machine/runner-machine';
import type { WorldClock } from '../twin/clock';
import type { JobDispatcher, TwinJob, TwinRunner } from '../twin/dispatcher';

export type AgentRegistration =
  | { kind: 'token'; token: string; name: string; labels?: string[]; ephemeral?: boolean }
  | { kind: 'jit'; encodedJitConfig: string };

export interface AgentOptions {
  instanceId: string;
  dispatcher: JobDispatcher;
  clock: WorldClock;
  ec2: EC2Client;
  registration: AgentRegistration;
  ledger?: OutcomeLedger;
  /** World ms between polls of the long poll (default 1 s). */
  pollIntervalMs?: number;
  /** How the job hooks are installed (default `proven`; `true` = proven, `false` = none). */
  hooks?: boolean | HookInstall;
  /** The instance's SSM agent runs and is registered (default false). */
  ssm?: boolean;
  /** The machine made real (its model is the agent's); without it, the model alone. */
  localMachine?: LocalMachine;
  /**
   * World ms of the job's "Set up job" step between the Worker's start and the job-started
   * hook (default 2 s): the Worker prepares the job and downloads its actions first, and only
   * then runs the hook (actions/runner v2.336.0, src/Runner.Worker/JobExtension.cs,
   * InitializeJob: PrepareActionsAsync, then the hook as the first pre-job step). So the
   * `ghr:job` tag lags the Runner.Worker process (what the probe sees) by this plus
   * `hookDelayMs`; jobs with many actions to download take far longer than the default.
   */
  setUpMs?: number;
  /** World ms a hook script takes to write its tags (IMDS + CreateTags; default 1 s), for the started and the completed hook. */
  hookDelayMs?: number;
  /** What the instance does when the runner process exits: stay up (default) or terminate itself. */
  onExit?: 'idle' | 'terminate';
}

export type AgentState = 'created' | 'idle' | 'busy' | 'exited' | 'dead';

export class RunnerAgent {
  readonly instanceId: string;
  state: AgentState = 'created';
  runner?: TwinRunner;
  currentJobId?: string;
  /** Why the runner process ended (`deregistered`, `ephemeral-done`, `stopped`, `instance-gone`, or an error). */
  exitReason?: string;
  jobsRun = 0;
  hookFailures = 0;
  /** Resolves when the agent's loop has ended. */
  readonly done: Promise<void>;

  /** What is true on the machine (the model both worlds drive). */
  readonly machine: RunnerMachine;
  readonly localMachine?: LocalMachine;
  private readonly opts: Required<Omit<AgentOptions, 'ledger' | 'hooks' | 'ssm' | 'localMachine'>> & { ledger?: OutcomeLedger; hooks: HookInstall };
  private finish!: () => void;
  private stopped = false;

  constructor(opts: AgentOptions) {
    this.instanceId = opts.instanceId;
    const { hooks, ssm, localMachine, ...rest } = opts;
    const install = hookInstall(hooks);
    this.opts = { pollIntervalMs: 1000, setUpMs: 2000, hookDelayMs: 1000, onExit: 'idle', ...rest, hooks: install };
    if (localMachine) {
      if (localMachine.model.spec.hooks !== install || localMachine.model.spec.ssm !== !!ssm) {
        throw new Error(`${opts.instanceId}: the local machine's spec does not match the agent's hooks/ssm`);
      }
      this.localMachine = localMachine;
      this.machine = localMachine.model;
    } else {
      this.machine = new RunnerMachine({ hooks: install, ssm: !!ssm });
    }
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get runnerId(): number | undefined {
    return this.runner?.id;
  }

  get alive(): boolean {
    return this.state !== 'dead';
  }

  /** Registers (config.sh / JIT) and starts the poll loop. */
  start(): TwinRunner {
    const { dispatcher, registration: reg } = this.opts;
    this.runner =
      reg.kind === 'token'
        ? dispatcher.registerRunner({ token: reg.token, name: reg.name, labels: reg.labels ?? [], ephemeral: !!reg.ephemeral, instanceId: this.instanceId })
        : dispatcher.connectJit(reg.encodedJitConfig, this.instanceId);
    this.state = 'idle';
    const at = this.opts.clock.now();
    if (this.localMachine) this.localMachine.listenerStarted(at);
    else this.machine.listenerStarted(at);
    void this.loop();
    return this.runner;
  }

  /** The runner process stops (SIGTERM, no job running): it no longer polls. */
  stop(): void {
    this.stopped = true;
  }

  /** The instance is gone: whatever job the runner held is killed. */
  die(at: number = this.opts.clock.now()): void {
    if (this.state === 'dead') return;
    const wasRunning = this.state !== 'exited';
    this.state = 'dead';
    this.exitReason ??= 'instance-gone';
    if (wasRunning && this.runner) this.opts.dispatcher.runnerKilled(this.runner.id);
    if (this.currentJobId) this.opts.ledger?.instanceIdle(this.instanceId, at);
    this.opts.ledger?.instanceEnded(this.instanceId, at);
    this.stopped = true;
    // The machine goes with its instance: its Worker (if any) dies, the SSM agent goes offline.
    if (this.localMachine) void this.localMachine.destroy();
  }

  private async loop(): Promise<void> {
    const { dispatcher, clock, pollIntervalMs } = this.opts;
    try {
      while (!this.stopped && this.runner) {
        const news = dispatcher.poll(this.runner.id);
        if (news.job) {
          await this.runJob(news.job);
          if (this.isDead()) return;
          if (this.runner.ephemeral) return this.exit('ephemeral-done');
          if (this.runner.deleted) return this.exit('deregistered');
        } else if (!news.registered) {
          return this.exit('deregistered');
        }
        await clock.sleep(pollIntervalMs);
      }
      if (!this.isDead()) this.exit('stopped');
    } catch (err) {
      if (!this.isDead()) this.exit(`error: ${(err as Error).message}`);
    } finally {
      this.finish();
    }
  }

  private isDead(): boolean {
    return this.state === 'dead';
  }

  private async runJob(job: TwinJob): Promise<void> {
    const { dispatcher, clock, ledger, pollIntervalMs } = this.opts;
    this.state = 'busy';
    this.currentJobId = job.id;
    dispatcher.startJob(job.id);
    ledger?.instanceBusy(this.instanceId, clock.now());
    const endAt = clock.now() + job.durationMs;
    await this.workerStarted();
    if (this.isDead()) return;

    // "Set up job" runs in the Worker before any hook: the Worker process is there (the
    // probe sees it), the hook's tag comes only after the set-up and the hook's own calls.
    await clock.sleep(this.opts.setUpMs);
    if (this.isDead()) return;
    if (this.hooksRun) {
      await clock.sleep(this.opts.hookDelayMs);
      if (this.isDead()) return;
      if (dispatcher.isJobLive(job.id)) {
        await this.tag([
          { Key: TAG.job, Value: `run-${job.id}/${job.id}` },
          { Key: TAG.jobStartedAt, Value: new Date(clock.now()).toISOString() },
        ]);
      }
    }
    // The worker runs; the listener keeps polling (which keeps the runner online).
    while (!this.isDead() && dispatcher.isJobLive(job.id) && clock.now() < endAt) {
      await clock.sleep(Math.min(pollIntervalMs, endAt - clock.now()));
      if (this.isDead()) return;
      if (this.runner) dispatcher.poll(this.runner.id);
    }
    if (this.isDead()) return;
    if (this.hooksRun) {
      // The job-completed hook runs inside the job (in the Worker), also for a cancelled one.
      await clock.sleep(this.opts.hookDelayMs);
      if (this.isDead()) return;
      await this.untagJob();
    }
    await this.workerEnded();
    if (this.isDead()) return;
    if (dispatcher.isJobLive(job.id)) {
      // A machine that was terminated meanwhile cannot report the job done.
      if (!(await this.instanceStillRunning())) return this.die();
      if (this.isDead()) return;
      dispatcher.completeJob(job.id);
      this.jobsRun++;
    }
    this.currentJobId = undefined;
    this.state = 'idle';
    ledger?.instanceIdle(this.instanceId, clock.now());
  }

  /** Whether the hook scripts really run (only a proven install calls ours). */
  private get hooksRun(): boolean {
    return this.machine.hooksRun;
  }

  private async workerStarted(): Promise<void> {
    const at = this.opts.clock.now();
    if (this.localMachine) await this.opts.clock.track(this.localMachine.workerStarted(at));
    else this.machine.workerStarted(at);
  }

  private async workerEnded(): Promise<void> {
    const at = this.opts.clock.now();
    if (this.localMachine) await this.opts.clock.track(this.localMachine.workerEnded(at));
    else this.machine.workerEnded(at);
  }

  private async tag(tags: { Key: string; Value: string }[]): Promise<void> {
    try {
      await this.opts.clock.track(this.opts.ec2.send(new CreateTagsCommand({ Resources: [this.instanceId], Tags: tags })));
    } catch {
      this.hookFailures++;
    }
  }

  private async untagJob(): Promise<void> {
    const { ec2, clock } = this.opts;
    try {
      await clock.track(ec2.send(new DeleteTagsCommand({ Resources: [this.instanceId], Tags: [{ Key: TAG.job }] })));
      await clock.track(
        ec2.send(
          new CreateTagsCommand({
            Resources: [this.instanceId],
            Tags: [{ Key: TAG.lastJobCompletedAt, Value: new Date(clock.now()).toISOString() }],
          }),
        ),
      );
    } catch {
      this.hookFailures++;
    }
  }

  private async instanceStillRunning(): Promise<boolean> {
    const state = await instanceState(this.opts.ec2, this.opts.clock, this.instanceId);
    return state === 'running' || state === 'pending' || state === 'unknown';
  }

  private exit(reason: string): void {
    this.exitReason = reason;
    this.state = 'exited';
    if (this.runner) this.opts.dispatcher.runnerStopped(this.runner.id);
    if (this.opts.onExit === 'terminate') {
      void this.opts.clock
        .track(this.opts.ec2.send(new TerminateInstancesCommand({ InstanceIds: [this.instanceId] })))
        .catch(() => undefined);
    }
  }
}

/** `true`/`false` of older callers, or an install kind; undefined = proven. */
export function hookInstall(hooks: boolean | HookInstall | undefined): HookInstall {
  if (hooks === undefined || hooks === true) return 'proven';
  if (hooks === false) return 'none';
  return hooks;
}

/** The instance's state in EC2 (`gone` when moto no longer knows it, `unknown` on a read error). */
export async function instanceState(ec2: EC2Client, clock: WorldClock, instanceId: string): Promise<string> {
  try {
    const out = await clock.track(ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
    const inst = (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])[0];
    return inst?.State?.Name ?? 'gone';
  } catch (err) {
    return /InvalidInstanceID/.test(String((err as Error).name ?? err)) ? 'gone' : 'unknown';
  }
}
