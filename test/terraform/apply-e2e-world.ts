/**
 * The world around a reaper deployed by Terraform into moto: the GitHub twin the module's
 * `github_api_url` points at, the App credentials in the SSM parameters the module was told
 * to read, a runner fleet, the outcome ledger, and the deployed functions run from the
 * very zip Terraform uploaded with the configuration read back from moto.
 *
 * Unlike integration/world (which starts the zips with a configuration it writes itself),
 * nothing here sets a function's variables: whatever the module wired is what runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { RunnerFleet } from '../../integration/agents';
import { fromDeployedFunction, scheduledEvent, type InvokeResult, type RunningFunction } from '../../integration/lambda-runtime';
import { OutcomeLedger } from '../../integration/ledger';
import { motoEc2, motoSsm, putGitHubAppParameters } from '../../integration/moto';
import { GitHubTwin, RealClock, type TwinOwner } from '../../integration/twin';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { MOTO_REGION, type DeployedReaper, type FunctionOutputs } from './harness';
import { LAMBDA_ZIPS } from './stage';

const MOTO_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

/**
 * Builds lambda/dist when a zip is missing, so the harness stages (and Terraform deploys)
 * the real code rather than its placeholder.
 */
export function ensureBuiltZips(): void {
  const missing = LAMBDA_ZIPS.some((zip) => !existsSync(join(REPO_ROOT, 'lambda', 'dist', zip)));
  if (missing) execFileSync(process.execPath, [join(REPO_ROOT, 'lambda', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'pipe' });
}

/** The twin, its ledger and an org the App is installed on; start it before applying the module. */
export async function startTwin(org: string): Promise<{ twin: GitHubTwin; ledger: OutcomeLedger; owner: TwinOwner }> {
  const ledger = new OutcomeLedger();
  // Real time: the deployed functions run in their own processes on the wall clock.
  const twin = new GitHubTwin({ clock: new RealClock(), ledger });
  await twin.start();
  twin.install(org);
  return { twin, ledger, owner: { type: 'Org', owner: org } };
}

/** One outcome line a function logged (one per instance and run). */
export interface LoggedOutcome {
  instanceId: string;
  result: string;
  reason: string;
  /** The machine evidence the decision rested on (`hooks`, `probe`, `none`), when logged. */
  evidence?: string;
}

export interface DeployedRun {
  invocation: InvokeResult;
  outcomes: LoggedOutcome[];
}

/** A deployed function running locally, invoked the way its schedule rule would. */
export class DeployedFunction {
  constructor(
    readonly outputs: FunctionOutputs,
    readonly running: RunningFunction,
    private readonly ruleArn: string,
  ) {}

  /** Invokes with the scheduled event of the function's own rule; fails when the handler did not return. */
  async run(): Promise<DeployedRun> {
    const before = this.running.jsonLogs().length;
    const invocation = await this.running.invoke(scheduledEvent(this.ruleArn));
    if (!invocation.ok) {
      throw new Error(`${this.outputs.function_name} failed: ${invocation.errorType}: ${invocation.errorMessage}\n${this.running.logs().slice(-30).join('\n')}`);
    }
    const outcomes = this.running
      .jsonLogs()
      .slice(before)
      .filter((l) => typeof l.instanceId === 'string' && typeof l.result === 'string' && typeof l.reason === 'string')
      .map((l) => ({
        instanceId: l.instanceId as string,
        result: l.result as string,
        reason: l.reason as string,
        ...(typeof l.evidence === 'string' ? { evidence: l.evidence } : {}),
      }));
    return { invocation, outcomes };
  }
}

/** Everything a test needs around one applied module. */
export class DeployedWorld {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly lambda: LambdaClient;
  readonly fleet: RunnerFleet;
  private readonly started: RunningFunction[] = [];

  constructor(
    readonly motoUrl: string,
    readonly deployed: DeployedReaper,
    readonly twin: GitHubTwin,
    readonly ledger: OutcomeLedger,
    environment: string,
  ) {
    this.ec2 = motoEc2(motoUrl);
    this.ssm = motoSsm(motoUrl);
    this.lambda = new LambdaClient({
      region: MOTO_REGION,
      endpoint: motoUrl,
      credentials: { accessKeyId: MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
    });
    this.fleet = new RunnerFleet({ dispatcher: twin.dispatcher, clock: twin.clock, ec2: this.ec2, ledger, environment, watchIntervalMs: 0 });
  }

  /** Writes the twin App's id and key into the parameters the module was configured with. */
  async storeAppParameters(names: { appId: string; keyBase64: string }): Promise<void> {
    await putGitHubAppParameters(this.ssm, { appId: this.twin.appId, privateKeyBase64: this.twin.privateKeyBase64 }, names);
  }

  /**
   * Starts a deployed function from the zip Terraform uploaded (the staged module's copy;
   * fromDeployedFunction checks its sha256 against CodeSha256). Only the endpoint and
   * credentials are added: an IAM role stand-in, never configuration.
   */
  async startDeployed(which: 'scale_down' | 'orphan_cleanup', ruleArn: string): Promise<DeployedFunction> {
    const outputs = this.deployed.outputs[which];
    const zip = which === 'scale_down' ? 'scale-down.zip' : 'orphan-cleanup.zip';
    const running = await fromDeployedFunction({
      lambdaClient: this.lambda,
      functionName: outputs.function_name,
      zipPath: join(this.deployed.moduleDir, 'lambda', 'dist', zip),
      extraEnv: { AWS_ENDPOINT_URL: this.motoUrl, ...MOTO_CREDENTIALS },
    });
    this.started.push(running);
    return new DeployedFunction(outputs, running, ruleArn);
  }

  /** EC2 state name of an instance (`gone` when moto does not list it). */
  async stateOf(instanceId: string): Promise<string> {
    const out = await this.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])[0]?.State?.Name ?? 'gone';
  }

  async tagsOf(instanceId: string): Promise<Record<string, string>> {
    const out = await this.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }));
    const tags = (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])[0]?.Tags ?? [];
    return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
  }

  /** Whether the twin still lists the runner of an instance's agent. */
  isRegistered(instanceId: string): boolean {
    const id = this.fleet.agent(instanceId)?.runnerId;
    const runner = id === undefined ? undefined : this.twin.dispatcher.runnerById(id);
    return !!runner && !runner.deleted && !runner.consumed;
  }

  /** Stops the local function processes, the agents and the twin (Terraform state stays). */
  async stop(): Promise<void> {
    await this.fleet.stop();
    for (const fn of this.started) await fn.stop().catch(() => undefined);
    this.started.length = 0;
    await this.twin.stop();
    this.ec2.destroy();
    this.ssm.destroy();
    this.lambda.destroy();
  }
}

/** Polls `check` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
