/**
 * The local implementations of the scenario's ports: jobs queued in the twin's dispatcher
 * and simulated runner agents (integration/agents) on the emulated instances.
 */
import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { HOOKS_CONTRACT_VERSION, TAG } from '../../lambda/src/core/tags';
import { RunnerAgent } from '../agents';
import type { OutcomeLedger } from '../ledger';
import type { JobDispatcher, WorldClock } from '../twin';
import { isLive } from './aws';
import type { DispatchedJob, Instances, JobSource, JobState, RunnerEvidence, RunnerHost, RunnerProcess } from './ports';

export class TwinJobSource implements JobSource {
  constructor(private readonly dispatcher: JobDispatcher) {}

  async dispatch(args: { label: string; durationSeconds: number; correlationId: string }): Promise<DispatchedJob> {
    this.dispatcher.enqueue({ id: args.correlationId, labels: [args.label], durationMs: args.durationSeconds * 1000 });
    return { correlationId: args.correlationId };
  }

  async state(job: DispatchedJob): Promise<JobState> {
    const j = this.dispatcher.getJob(job.correlationId);
    if (!j) throw new Error(`no job ${job.correlationId} in the twin`);
    const runnerName = j.runnerId !== undefined ? this.dispatcher.runnerById(j.runnerId)?.name : undefined;
    const named = runnerName ? { runnerName } : {};
    switch (j.phase) {
      case 'queued':
      case 'assigned':
        // GitHub reports a job queued until a runner has started it.
        return { status: 'queued' };
      case 'running':
        return { status: 'in_progress', ...named };
      case 'completed':
        return { status: 'completed', conclusion: 'success', ...named };
      case 'cancelled':
        return { status: 'completed', conclusion: 'cancelled', ...named };
      case 'killed':
        // The machine died under the job: GitHub fails it after losing the runner.
        return { status: 'completed', conclusion: 'failure', ...named };
    }
  }

  async cancel(): Promise<void> {
    // Nothing outlives the twin: stopping the world ends its jobs.
  }
}

class AgentProcess implements RunnerProcess {
  constructor(readonly agent: RunnerAgent) {}

  get instanceId(): string {
    return this.agent.instanceId;
  }

  running(): boolean {
    return this.agent.state === 'idle' || this.agent.state === 'busy';
  }

  async stop(): Promise<void> {
    this.agent.stop();
  }
}

export interface AgentHostOptions {
  dispatcher: JobDispatcher;
  clock: WorldClock;
  ec2: EC2Client;
  ledger?: OutcomeLedger;
  /**
   * `installed` (default): the hooks as the module's user data installs them, proven: the
   * instance gets the boot marker `ghr:job-hooks` when its agent starts, as
   * integration/agents/fleet.ts writes it for proven installs (the real boot check,
   * modules/runner-hooks/scripts/check-hooks.sh, runs in the e2e workflow's world and in
   * test/terraform/hooks.test.ts). `env`: the hooks run, but nothing proved it: no marker.
   */
  hooks?: 'installed' | 'env';
  /** Must stay below the reaper's SETTLE_SECONDS (default 300 ms). */
  hookDelayMs?: number;
  pollIntervalMs?: number;
}

/** Simulated runners connecting with the JIT configs the twin generated. */
export class AgentRunnerHost implements RunnerHost {
  private readonly agents: AgentProcess[] = [];
  readonly evidence: RunnerEvidence;

  constructor(private readonly opts: AgentHostOptions) {
    this.evidence =
      (opts.hooks ?? 'installed') === 'installed'
        ? { source: 'hooks', how: 'simulated agents with proven hooks: each instance is marked ghr:job-hooks when its agent starts, as the boot check marks a real one' }
        : { source: 'none', how: 'simulated agents whose hooks run but were never proven (no ghr:job-hooks marker): the reaper has only GitHub\'s word' };
  }

  async start(instanceId: string, encodedJitConfig: string): Promise<RunnerProcess> {
    const { dispatcher, clock, ec2, ledger } = this.opts;
    ledger?.instanceLaunched(instanceId, clock.now());
    if (this.evidence.source === 'hooks') {
      await clock.track(ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.jobHooks, Value: HOOKS_CONTRACT_VERSION }] })));
    }
    const agent = new RunnerAgent({
      instanceId,
      dispatcher,
      clock,
      ec2,
      registration: { kind: 'jit', encodedJitConfig },
      ...(ledger ? { ledger } : {}),
      hookDelayMs: this.opts.hookDelayMs ?? 300,
      pollIntervalMs: this.opts.pollIntervalMs ?? 200,
    });
    agent.start();
    const process = new AgentProcess(agent);
    this.agents.push(process);
    return process;
  }

  async sweep(instances: Instances): Promise<void> {
    for (const { agent } of this.agents) {
      if (agent.alive && !isLive((await instances.describe(agent.instanceId)).state)) agent.die();
    }
  }

  async stopAll(): Promise<void> {
    for (const { agent } of this.agents) agent.stop();
  }
}

