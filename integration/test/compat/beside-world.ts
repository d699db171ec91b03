/**
 * The reaper as the beside-github-aws-runners examples deploy it, against a fleet shaped
 * like one the github-aws-runners module builds:
 *
 * - both examples applied by Terraform into moto, beside the stub of that module's outputs
 *   (test/terraform/upstream.ts `besideConfiguration`), through the stages dry-run then
 *   runner-reaper, with the GitHub twin's App in that module's SSM parameters and its
 *   `ghes_url` pointing at the twin behind `/api/v3` (integration/upstream/ghes-front.ts);
 * - the four deployed functions run from the zips Terraform deployed, with the
 *   configuration read back from moto; only endpoints and credentials are added
 *   (`fromDeployedFunction` refuses anything else), so every setting is the example's;
 * - runners launched as that module's scale-up and boot script tag them
 *   (integration/upstream/fleet.ts), each machine's hooks found by booting it with the user
 *   data that module would build from the launch template the example wired
 *   (integration/upstream/hook-proof.ts), the SSM twin in front of moto for the probe.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RunnerFleet, type LaunchedInstance } from '../../agents';
import { fromDeployedFunction, scheduledEvent, type RunningFunction } from '../../lambda-runtime';
import { OutcomeLedger } from '../../ledger';
import { MOTO_CREDENTIALS, MOTO_REGION, MotoServer, motoClientConfig, motoEc2 } from '../../moto';
import { SsmTwin } from '../../ssm-twin';
import { GitHubTwin, RealClock } from '../../twin';
import {
  launchUpstreamRunners,
  proveHookInstall,
  type HookProof,
  type UpstreamBootInputs,
  type UpstreamLaunch,
  type UpstreamRunnerType,
} from '../../upstream';
import { startGhesFront, type GhesFront } from '../../upstream/ghes-front';
import { ensureBuiltZips } from '../../../test/terraform/apply-e2e-world';
import { besideConfiguration, stageWithStub, type Configuration } from '../../../test/terraform/upstream';

export const ROOT_PREFIX = 'gh-compat';
export const MULTI_PREFIX = 'fleet';
export const RUNNER_TYPES = { 'linux-x64': 'linux', win: 'windows' } as const;
export const ORG = 'acme';

/** The team's settings, as they would give them to both modules (none differ from a default but the times). */
const TEAM_SETTINGS = { minimum_running_time_in_minutes: 0, runner_boot_time_in_minutes: 0 };

interface FunctionsOutput {
  scale_down: { function_name: string; schedule_rule_name: string };
  orphan_cleanup: { function_name: string; schedule_rule_name: string };
}

export interface Outcome {
  instanceId: string;
  result: string;
  reason: string;
  evidence?: string;
  /** Set when the run deregistered the instance's runner. */
  deregistered?: boolean;
}

/** One deployed function, run as its schedule rule runs it. */
export class Deployed {
  constructor(
    readonly name: string,
    private readonly running: RunningFunction,
    private readonly ruleArn: string,
  ) {}

  async run(): Promise<Outcome[]> {
    const before = this.running.jsonLogs().length;
    const invocation = await this.running.invoke(scheduledEvent(this.ruleArn));
    if (!invocation.ok) {
      throw new Error(`${this.name} failed: ${invocation.errorType}: ${invocation.errorMessage}\n${this.running.logs().slice(-30).join('\n')}`);
    }
    return this.running
      .jsonLogs()
      .slice(before)
      .filter((l) => typeof l.instanceId === 'string' && typeof l.result === 'string' && typeof l.reason === 'string')
      .map((l) => ({
        instanceId: l.instanceId as string,
        result: l.result as string,
        reason: l.reason as string,
        ...(typeof l.evidence === 'string' ? { evidence: l.evidence } : {}),
        ...(typeof l.deregistered === 'boolean' ? { deregistered: l.deregistered } : {}),
      }));
  }

  env(): Readonly<Record<string, string>> {
    return this.running.environment;
  }

  stop(): Promise<void> {
    return this.running.stop();
  }
}

export class BesideWorld {
  readonly ledger = new OutcomeLedger();
  readonly twin = new GitHubTwin({ clock: new RealClock(), ledger: this.ledger });
  readonly moto = new MotoServer();
  ec2!: EC2Client;
  lambda!: LambdaClient;
  fleet!: RunnerFleet;
  ssmTwin!: SsmTwin;
  ghes!: GhesFront;
  config!: Configuration;
  root!: { scaleDown: Deployed; orphanCleanup: Deployed };
  multi!: { scaleDown: Deployed; orphanCleanup: Deployed };
  /** The boot inputs of each runner type's launch template: `root`, or a multi-runner key. */
  readonly bootInputs = new Map<string, UpstreamBootInputs>();
  private staged = '';
  private machinesDir = '';
  private readonly started: Deployed[] = [];

  static async start(): Promise<BesideWorld> {
    const world = new BesideWorld();
    try {
      await world.init();
    } catch (error) {
      await world.stop();
      throw error;
    }
    return world;
  }

  private async init(): Promise<void> {
    ensureBuiltZips();
    await this.moto.start();
    this.ec2 = motoEc2(this.moto.url);
    this.lambda = new LambdaClient(motoClientConfig(this.moto.url));
    await this.twin.start();
    this.twin.install(ORG);
    this.ghes = await startGhesFront(this.twin.url);
    this.machinesDir = mkdtempSync(join(tmpdir(), 'runner-reaper-compat-machines-'));
    this.fleet = new RunnerFleet({ dispatcher: this.twin.dispatcher, clock: this.twin.clock, ec2: this.ec2, ledger: this.ledger, watchIntervalMs: 0, machinesDir: this.machinesDir });
    this.ssmTwin = new SsmTwin({ motoUrl: this.moto.url, machines: { get: (id) => this.fleet.machine(id), all: () => this.fleet.machines.values() } });
    await this.ssmTwin.start();

    this.staged = await stageWithStub();
    const app = { id: String(this.twin.appId), keyBase64: this.twin.privateKeyBase64 };
    const shared = { ...TEAM_SETTINGS, ghes_url: this.ghes.url };
    this.config = besideConfiguration(this.staged, 'compat', this.moto.url, {
      app,
      rootPrefix: ROOT_PREFIX,
      multiPrefix: MULTI_PREFIX,
      runnerTypes: { ...RUNNER_TYPES },
      rootArgs: shared,
      rootStubArgs: shared,
      multiArgs: shared,
      multiStubArgs: { ghes_url: this.ghes.url },
    });
    await this.config.init();
    // As the guide says: one apply per stage.
    await this.config.apply({ stage: 'dry-run' });
    await this.config.apply({ stage: 'runner-reaper' });

    const rootStub = await this.config.output<{ runners: { launch_template_name: string } }>('root_stub');
    const multiStub = await this.config.output<{ runners_map: Record<string, { launch_template_name: string }> }>('multi_stub');
    this.bootInputs.set('root', await this.readBootInputs(rootStub.runners.launch_template_name));
    for (const [key, runner] of Object.entries(multiStub.runners_map)) this.bootInputs.set(key, await this.readBootInputs(runner.launch_template_name));

    const rootExample = await this.config.output<{ runner_reaper: FunctionsOutput }>('root_example');
    const multiExample = await this.config.output<{ runner_reaper: FunctionsOutput }>('multi_example');
    this.root = { scaleDown: await this.deploy(rootExample.runner_reaper.scale_down, 'scale-down'), orphanCleanup: await this.deploy(rootExample.runner_reaper.orphan_cleanup, 'orphan-cleanup') };
    this.multi = { scaleDown: await this.deploy(multiExample.runner_reaper.scale_down, 'scale-down'), orphanCleanup: await this.deploy(multiExample.runner_reaper.orphan_cleanup, 'orphan-cleanup') };
  }

  /** The boot inputs that module would get from this launch template (the stub keeps them as its user data). */
  private async readBootInputs(launchTemplateName: string): Promise<UpstreamBootInputs> {
    const out = await this.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: launchTemplateName, Versions: ['$Latest'] }));
    const data = out.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData;
    if (!data) return { runnerOs: 'linux', enableUserdata: false };
    return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as UpstreamBootInputs;
  }

  private async deploy(fn: { function_name: string; schedule_rule_name: string }, zip: 'scale-down' | 'orphan-cleanup'): Promise<Deployed> {
    const running = await fromDeployedFunction({
      lambdaClient: this.lambda,
      functionName: fn.function_name,
      zipPath: join(this.staged, 'lambda', 'dist', `${zip}.zip`),
      extraEnv: {
        AWS_ENDPOINT_URL: this.moto.url,
        AWS_ENDPOINT_URL_SSM: this.ssmTwin.url,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      },
    });
    const deployed = new Deployed(fn.function_name, running, `arn:aws:events:${MOTO_REGION}:123456789012:rule/${fn.schedule_rule_name}`);
    this.started.push(deployed);
    return deployed;
  }

  /** What booting a runner of this type with these inputs gives (see hook-proof.ts). */
  prove(inputs: UpstreamBootInputs, environment: string): Promise<HookProof> {
    return proveHookInstall(inputs, {
      ec2: this.ec2,
      aws: { endpoint: this.moto.url, region: MOTO_REGION, ...MOTO_CREDENTIALS },
      environment,
    });
  }

  /** Launches runners whose machines got `proof.install` at boot. */
  launch(type: UpstreamRunnerType, proof: HookProof, launch: Omit<UpstreamLaunch, 'hooks'> & { ssm?: boolean }): Promise<LaunchedInstance[]> {
    return launchUpstreamRunners(this.fleet, this.ec2, type, { ...launch, hooks: proof.install, hookDelayMs: 300, pollIntervalMs: 200 });
  }

  async stateOf(instanceId: string): Promise<string> {
    const out = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0]?.State?.Name ?? 'gone';
  }

  async stop(): Promise<void> {
    await this.fleet?.close().catch(() => undefined);
    for (const fn of this.started) await fn.stop().catch(() => undefined);
    await this.ssmTwin?.stop().catch(() => undefined);
    await this.ghes?.stop().catch(() => undefined);
    await this.twin.stop().catch(() => undefined);
    this.ec2?.destroy();
    this.lambda?.destroy();
    if (this.staged) rmSync(this.staged, { recursive: true, force: true });
    if (this.machinesDir) rmSync(this.machinesDir, { recursive: true, force: true });
    await this.moto.stop().catch(() => undefined);
  }
}
