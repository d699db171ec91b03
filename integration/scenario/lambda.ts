/**
 * The two reaper functions, run the two ways the scenario supports: `artifact` (the zip in
 * a local Node process like the Lambda runtime, integration/lambda-runtime) and `invoke`
 * (the deployed function through the Lambda Invoke API, LocalStack running its code).
 */
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { fromDeployedFunction, scheduledEvent, type RunningFunction } from '../lambda-runtime';
import type { ReaperFunctions, ReaperInvocation } from './ports';

const ACCOUNT = '000000000000';

function event(region: string, rule: string) {
  return scheduledEvent(`arn:aws:events:${region}:${ACCOUNT}:rule/${rule}`);
}

function confirmationOf(vars: Record<string, string | undefined> | undefined): number {
  const raw = vars?.IDLE_CONFIRMATION_SECONDS;
  // The reaper's default when the variable is not set.
  return raw === undefined || raw === '' ? 60 : Number(raw);
}

/** Zips run locally; `after` runs after each invocation (e.g. the fleet's sweep). */
export class ArtifactFunctions implements ReaperFunctions {
  constructor(
    private readonly scaleDownFn: RunningFunction,
    private readonly orphanCleanupFn: RunningFunction,
    private readonly region: string,
    private readonly stopBoth = true,
  ) {}

  scaleDown(): Promise<ReaperInvocation> {
    return this.run(this.scaleDownFn, 'scale-down');
  }

  orphanCleanup(): Promise<ReaperInvocation> {
    return this.run(this.orphanCleanupFn, 'orphan-cleanup');
  }

  async idleConfirmationSeconds(): Promise<number> {
    return Math.max(confirmationOf(this.scaleDownFn.environment), confirmationOf(this.orphanCleanupFn.environment));
  }

  async stop(): Promise<void> {
    if (!this.stopBoth) return;
    await this.scaleDownFn.stop();
    await this.orphanCleanupFn.stop();
  }

  private async run(fn: RunningFunction, rule: string): Promise<ReaperInvocation> {
    const result = await fn.invoke(event(this.region, rule));
    return result.ok
      ? { ok: true, summary: result.result as ReaperInvocation['summary'] }
      : { ok: false, error: `${result.errorType}: ${result.errorMessage}` };
  }
}

/** The functions Terraform deployed, started locally from the same zips (their sha256 is checked). */
export async function deployedArtifactFunctions(args: {
  lambdaClient: LambdaClient;
  scaleDownName: string;
  orphanCleanupName: string;
  scaleDownZip: string;
  orphanCleanupZip: string;
  region: string;
  extraEnv: Record<string, string>;
}): Promise<ArtifactFunctions> {
  const start = (functionName: string, zipPath: string) =>
    fromDeployedFunction({ lambdaClient: args.lambdaClient, functionName, zipPath, extraEnv: args.extraEnv });
  const scaleDown = await start(args.scaleDownName, args.scaleDownZip);
  try {
    return new ArtifactFunctions(scaleDown, await start(args.orphanCleanupName, args.orphanCleanupZip), args.region);
  } catch (error) {
    await scaleDown.stop();
    throw error;
  }
}

/** The deployed functions, invoked through the Lambda API (RequestResponse). */
export class InvokedFunctions implements ReaperFunctions {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly scaleDownName: string,
    private readonly orphanCleanupName: string,
    private readonly region: string,
  ) {}

  scaleDown(): Promise<ReaperInvocation> {
    return this.invoke(this.scaleDownName, 'scale-down');
  }

  orphanCleanup(): Promise<ReaperInvocation> {
    return this.invoke(this.orphanCleanupName, 'orphan-cleanup');
  }

  async idleConfirmationSeconds(): Promise<number> {
    const read = async (name: string) =>
      confirmationOf((await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Environment?.Variables);
    return Math.max(await read(this.scaleDownName), await read(this.orphanCleanupName));
  }

  async stop(): Promise<void> {
    this.lambda.destroy();
  }

  private async invoke(functionName: string, rule: string): Promise<ReaperInvocation> {
    const out = await this.lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(event(this.region, rule))),
      }),
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      payload = text;
    }
    if (out.FunctionError) {
      const p = (payload ?? {}) as { errorType?: string; errorMessage?: string };
      return { ok: false, error: `${p.errorType ?? out.FunctionError}: ${p.errorMessage ?? text}` };
    }
    return { ok: true, summary: payload as ReaperInvocation['summary'] };
  }
}
