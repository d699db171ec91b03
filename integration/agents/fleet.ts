/**
 * A runner fleet on moto: launches EC2 instances with the github-aws-runners tags (as
 * scale-up would), starts one RunnerAgent per instance, and watches EC2 so agents die
 * with their instances.
 *
 * With `machinesDir`, every agent's machine is made real (a LocalMachine: the runner's
 * files and a real Runner.Worker process in a namespace of its own), so the SSM twin can
 * run the real probe on it; `machine(id)` finds it. Proven hook installs get the boot
 * marker `ghr:job-hooks` right after launch, as the hook installer writes it at boot.
 */
import { CreateTagsCommand, DescribeInstancesCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { HOOKS_CONTRACT_VERSION, RUNNER_APPLICATION, TAG } from '../../lambda/src/core/tags';
import { LocalMachine } from '../machine/local-machine';
import type { HookInstall } from '../machine/runner-machine';
import type { OutcomeLedger } from '../ledger/ledger';
import type { WorldClock } from '../twin/clock';
import type { JobDispatcher, TwinOwner } from '../twin/dispatcher';
import { RunnerAgent, hookInstall } from './agent';

export interface FleetOptions {
  dispatcher: JobDispatcher;
  clock: WorldClock;
  ec2: EC2Client;
  ledger?: OutcomeLedger;
  /** `ghr:environment` of launched instances (default `gh-ci`). */
  environment?: string;
  /** World ms between EC2 sweeps of the watcher (default 5 s). 0 = no watcher (call `sweep`). */
  watchIntervalMs?: number;
  /** Make every agent's machine real, below this directory (default: the model only). */
  machinesDir?: string;
}

export interface LaunchSpec {
  count?: number;
  owner: TwinOwner;
  /** Runner name = prefix + instance id (default: the instance id). */
  namePrefix?: string;
  labels?: string[];
  ephemeral?: boolean;
  /** Register with generate-jitconfig and tag `ghr:github_runner_id` (implies ephemeral). */
  jit?: boolean;
  /** False: launch the instance but never register a runner (a failed boot; with `ssm`, its machine still answers the probe). */
  register?: boolean;
  /** How the job hooks are installed (default `proven`; `true` = proven, `false` = none). */
  hooks?: boolean | HookInstall;
  /** The instances are SSM-managed: the probe can reach them (needs the fleet's `machinesDir`). */
  ssm?: boolean;
  /** The job's "Set up job" before the job-started hook (RunnerAgent's `setUpMs`). */
  setUpMs?: number;
  /** The hook scripts' own time to tag (RunnerAgent's `hookDelayMs`). */
  hookDelayMs?: number;
  pollIntervalMs?: number;
  onExit?: 'idle' | 'terminate';
  /** More tags on the instance (e.g. `ghr:bypass-removal`). */
  extraTags?: Record<string, string>;
  /** Overrides of the standard tags (e.g. a missing `ghr:Owner` via `null`). */
  tagOverrides?: Record<string, string | null>;
  imageId?: string;
  instanceType?: string;
}

export interface LaunchedInstance {
  instanceId: string;
  /** Absent when `register: false`. */
  agent?: RunnerAgent;
}

export class RunnerFleet {
  readonly agents = new Map<string, RunnerAgent>();
  readonly machines = new Map<string, LocalMachine>();
  readonly instances: string[] = [];
  private stopped = false;
  private watching = false;
  private readonly environment: string;
  private readonly watchIntervalMs: number;

  constructor(private readonly opts: FleetOptions) {
    this.environment = opts.environment ?? 'gh-ci';
    this.watchIntervalMs = opts.watchIntervalMs ?? 5000;
  }

  /** Launches instances in moto and starts their agents. */
  async launch(spec: LaunchSpec): Promise<LaunchedInstance[]> {
    const { ec2, clock, dispatcher, ledger } = this.opts;
    const count = spec.count ?? 1;
    const tags: Record<string, string | null> = {
      [TAG.application]: RUNNER_APPLICATION,
      [TAG.environment]: this.environment,
      [TAG.owner]: spec.owner.owner,
      [TAG.type]: spec.owner.type,
      ...(spec.extraTags ?? {}),
      ...(spec.tagOverrides ?? {}),
    };
    const Tags = Object.entries(tags)
      .filter((e): e is [string, string] => e[1] !== null)
      .map(([Key, Value]) => ({ Key, Value }));
    const out = await clock.track(
      ec2.send(
        new RunInstancesCommand({
          ImageId: spec.imageId ?? 'ami-0123456789abcdef0',
          InstanceType: (spec.instanceType ?? 'm5.large') as never,
          MinCount: count,
          MaxCount: count,
          TagSpecifications: [{ ResourceType: 'instance', Tags }],
        }),
      ),
    );
    const ids = (out.Instances ?? []).map((i) => i.InstanceId!).filter(Boolean);
    const hooks = hookInstall(spec.hooks);
    if (spec.ssm && !this.opts.machinesDir) throw new Error('ssm: true needs a fleet with machinesDir (the probe runs on real local machines)');
    if (hooks === 'proven' && spec.register !== false && ids.length > 0) {
      // The hook installer's boot marker: it has checked that the runner calls our hooks.
      await clock.track(ec2.send(new CreateTagsCommand({ Resources: ids, Tags: [{ Key: TAG.jobHooks, Value: HOOKS_CONTRACT_VERSION }] })));
    }
    const launched: LaunchedInstance[] = [];
    const regToken = spec.jit ? undefined : dispatcher.createRegistrationToken(spec.owner).token;
    for (const instanceId of ids) {
      this.instances.push(instanceId);
      ledger?.instanceLaunched(instanceId, clock.now());
      let localMachine: LocalMachine | undefined;
      if (this.opts.machinesDir) {
        localMachine = new LocalMachine({ instanceId, spec: { hooks, ssm: !!spec.ssm }, baseDir: this.opts.machinesDir });
        this.machines.set(instanceId, localMachine);
        await clock.track(localMachine.boot());
      }
      if (spec.register === false) {
        // A failed runner install: the machine (and its SSM agent) runs, the runner never started.
        launched.push({ instanceId });
        continue;
      }
      const name = `${spec.namePrefix ?? ''}${instanceId}`;
      let registration: ConstructorParameters<typeof RunnerAgent>[0]['registration'];
      if (spec.jit) {
        const made = dispatcher.generateJitConfig(spec.owner, name, spec.labels ?? ['self-hosted']);
        if (made === 'conflict') throw new Error(`runner name ${name} taken`);
        await clock.track(
          ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.githubRunnerId, Value: String(made.runner.id) }] })),
        );
        registration = { kind: 'jit', encodedJitConfig: made.encoded };
      } else {
        registration = { kind: 'token', token: regToken!, name, labels: spec.labels ?? [], ephemeral: !!spec.ephemeral };
      }
      const agent = new RunnerAgent({
        instanceId,
        dispatcher,
        clock,
        ec2,
        registration,
        ...(ledger ? { ledger } : {}),
        hooks,
        ssm: !!spec.ssm,
        ...(localMachine ? { localMachine } : {}),
        ...(spec.setUpMs !== undefined ? { setUpMs: spec.setUpMs } : {}),
        ...(spec.hookDelayMs !== undefined ? { hookDelayMs: spec.hookDelayMs } : {}),
        ...(spec.pollIntervalMs !== undefined ? { pollIntervalMs: spec.pollIntervalMs } : {}),
        ...(spec.onExit ? { onExit: spec.onExit } : {}),
      });
      this.agents.set(instanceId, agent);
      agent.start();
      launched.push({ instanceId, agent });
    }
    this.ensureWatcher();
    return launched;
  }

  agent(instanceId: string): RunnerAgent | undefined {
    return this.agents.get(instanceId);
  }

  /** The real machine of an instance (fleets with `machinesDir`), alive or ended. */
  machine(instanceId: string): LocalMachine | undefined {
    return this.machines.get(instanceId);
  }

  /**
   * Reads EC2 once and kills the agents whose instance is shutting down, terminated,
   * stopped or gone. Call it right after a reaper run for an exact picture.
   */
  async sweep(): Promise<string[]> {
    const { ec2, clock, ledger } = this.opts;
    const live = this.instances.filter((id) => {
      const a = this.agents.get(id);
      return a ? a.alive : ledger?.getInstance(id)?.endedAt === undefined;
    });
    if (live.length === 0) return [];
    const states = new Map<string, string>();
    for (let i = 0; i < live.length; i += 500) {
      const chunk = live.slice(i, i + 500);
      let token: string | undefined;
      do {
        const out = await clock.track(
          ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: chunk }], NextToken: token })),
        );
        for (const inst of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          states.set(inst.InstanceId!, inst.State?.Name ?? 'unknown');
        }
        token = out.NextToken;
      } while (token);
    }
    const died: string[] = [];
    const now = clock.now();
    for (const id of live) {
      const state = states.get(id) ?? 'gone';
      if (state === 'pending' || state === 'running') continue;
      died.push(id);
      const agent = this.agents.get(id);
      if (agent) agent.die(now);
      else {
        ledger?.instanceEnded(id, now);
        // An agent's machine goes with its agent; one without an agent goes here.
        void this.machines.get(id)?.destroy();
      }
    }
    return died;
  }

  /** Stops the watcher and every agent's poll loop (instances stay as they are). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const a of this.agents.values()) a.stop();
  }

  /** Stops the fleet and ends every real machine (their Runner.Worker processes too). */
  async close(): Promise<void> {
    await this.stop();
    await Promise.all([...this.machines.values()].map((m) => m.destroy()));
  }

  private ensureWatcher(): void {
    if (this.watching || this.watchIntervalMs <= 0) return;
    this.watching = true;
    void (async () => {
      while (!this.stopped) {
        await this.opts.clock.sleep(this.watchIntervalMs);
        if (this.stopped) break;
        await this.sweep().catch(() => undefined);
      }
    })();
  }
}
