/**
 * `runner-reaper plan`, the imperative shell: read the configuration, read the fleet
 * through read-only ports, run both decision cores, print. Every write the functions would
 * make is only described.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Ec2Adapter } from '../adapters/ec2';
import { ssmCredentials, type CredentialSource } from '../adapters/github-credentials';
import { GitHubRunners } from '../adapters/github-runners';
import type { GitHubTiming } from '../adapters/ports';
import type { Config } from '../config/schema';
import type { ProbeAvailability } from '../core';
import { createGitHubClients } from '../handlers/github-clients';
import { createSsmProbe } from '../handlers/runtime';
import { readSnapshot } from '../handlers/snapshot';
import { awsFailure } from './aws-errors';
import { CONFIG_VARIABLES, flagOf, parsePlanArgs, readFunctionEnvironment, resolveConfig, type PlanArgs, type ResolvedConfig } from './configuration';
import { CliFailure, EXIT, type ExitCode } from './exit-codes';
import { makePlan, type Plan } from './plan';
import { readOnlyEc2, readOnlyGitHub, readOnlyProbe, refuseAwsWrites, refuseGitHubWrites, type PlanPorts } from './read-only';
import { renderText, toJson, type PlanContext } from './render';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The process environment (AWS_REGION/AWS_PROFILE are set here from --region/--profile). */
  env: Record<string, string | undefined>;
  now: () => Date;
}

/** What the plan reads through, built once the configuration is known. */
export interface PlanReaders {
  ports: PlanPorts;
  /** The GitHub App's credentials from SSM (GetParameter), read before anything else of GitHub's. */
  githubCredentials: CredentialSource;
  githubRequests: () => number;
  /** How the plan's GitHub client paces its requests: the functions' own (createGitHubClients). */
  githubTiming: GitHubTiming;
}

/** Everything that reaches AWS or GitHub, replaceable in tests. */
export interface PlanDeps {
  /** The AWS region the SDK resolves (flag, environment or profile); throws when there is none. */
  region(): Promise<string>;
  /** Resolves the AWS credentials the SDK would use; throws CredentialsProviderError when there are none. */
  awsCredentials(): Promise<unknown>;
  lambda(): LambdaClient;
  readers(config: Config, io: CliIo): PlanReaders;
}

/**
 * The real readers: the functions' own adapters and client builders (createGitHubClients,
 * createSsmProbe), each behind the three read-only layers of read-only.ts.
 */
export function planReaders(config: Config, io: CliIo): PlanReaders {
  const githubCredentials = ssmCredentials(config.githubApp);
  const clients = createGitHubClients(config, {
    credentials: githubCredentials,
    warn: (message) => io.stderr(`runner-reaper plan: GitHub: ${message}\n`),
  });
  const github = new GitHubRunners(async (owner) => refuseGitHubWrites(await clients.forOwner(owner)), {
    forget: (owner) => clients.forget(owner),
    timing: clients.timing,
  });
  // Only onlineInstances (DescribeInstanceInformation) is kept of the probe, and its SSM
  // client refuses SendCommand anyway.
  const probe = createSsmProbe(config, refuseAwsWrites(new SSMClient({})));
  return {
    ports: {
      ec2: readOnlyEc2(new Ec2Adapter(refuseAwsWrites(new EC2Client({})))),
      github: readOnlyGitHub(github),
      ...(probe ? { probe: readOnlyProbe(probe) } : {}),
    },
    githubCredentials,
    githubRequests: () => clients.stats.requests,
    githubTiming: clients.timing,
  };
}

export const realDeps: PlanDeps = {
  region: () => new EC2Client({}).config.region(),
  awsCredentials: () => new EC2Client({}).config.credentials(),
  lambda: () => refuseAwsWrites(new LambdaClient({})),
  readers: planReaders,
};

export const PLAN_HELP = `Usage: runner-reaper plan [--function NAME] [--region REGION] [--profile PROFILE] [--json] [--VARIABLE VALUE ...]

Shows what runner-reaper's two functions would do to the fleet now, and next, without
changing anything: it reads EC2, SSM (the GitHub App's parameters, the CA bundle if one is
configured and, when the probe is on, which instances are online) and GitHub's runner
listings, runs both decision cores and prints one row per instance and a summary. It
never probes: SendCommand runs a command on the instances.

Configuration: the functions' environment variables, validated as the functions do. They
come from this shell's environment, or with --function NAME from a deployed function
(lambda:GetFunctionConfiguration). Any of them can be given as a flag on top:
${CONFIG_VARIABLES.map((v) => `  --${flagOf(v).padEnd(44)}${v}`).join('\n')}

AWS: --region and --profile set AWS_REGION and AWS_PROFILE; otherwise the SDK's usual chain.
Output: a table and a summary; --json prints one JSON document instead (docs/plan.md).
Exit codes: 0 read completely; 2 bad flags or configuration; 3 AWS or GitHub could not be
read (credentials missing or refused, unreachable, a runner listing failed); 1 a bug.
`;

function selectAws(args: PlanArgs, env: CliIo['env']): void {
  if (args.region !== undefined) env.AWS_REGION = args.region;
  if (args.profile !== undefined) env.AWS_PROFILE = args.profile;
}

async function requireAws(deps: PlanDeps): Promise<void> {
  try {
    await deps.region();
  } catch {
    throw new CliFailure(EXIT.badConfiguration, 'No AWS region: pass --region, or set AWS_REGION (or a region in the AWS profile).');
  }
  try {
    await deps.awsCredentials();
  } catch (error) {
    throw awsFailure(error, 'read anything');
  }
}

async function requireGitHubCredentials(credentials: CredentialSource): Promise<void> {
  try {
    await credentials();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliFailure(EXIT.unreadable, `Cannot read the GitHub App's credentials: ${message}`);
  }
}

/**
 * What the plan says about the probe: what readSnapshot read from SSM (the same read a run
 * makes), or why SSM was not asked.
 */
export function probeContext(config: Config, probe: ProbeAvailability): PlanContext['probe'] {
  if (probe.enabled) return probe.error ? { state: 'error', error: probe.error } : { state: 'read', online: probe.online.size };
  if (!config.probe) return { state: 'off', why: 'PROBE_DOCUMENT_NAME unset' };
  return { state: 'off', why: `JOB_EVIDENCE=${config.jobEvidence}: only JOB_EVIDENCE=auto probes` };
}

/** What was not read completely: each makes the plan end with EXIT.unreadable. */
export function problemsOf(result: Plan, context: PlanContext): string[] {
  const problems = result.summary.owners
    .filter((o) => !o.ok)
    .map((o) => `the runner listing of ${o.owner.type}:${o.owner.owner} failed (${o.error}); a run keeps its instances (github-unavailable)`);
  if (context.probe.state === 'error') problems.push(`SSM could not say which instances are online (${context.probe.error}); a run would probe none of them`);
  return problems;
}

/** The configuration, from the shell or from a deployed function; AWS checked on the way. */
async function configure(args: PlanArgs, io: CliIo, deps: PlanDeps): Promise<ResolvedConfig> {
  const flags = Object.keys(args.overrides).length > 0 ? ' and flags' : '';
  const { functionName } = args;
  if (functionName === undefined) {
    // Bad configuration stops the plan before any AWS call, as it stops the functions.
    const resolved = resolveConfig(io.env, args.overrides, `the environment${flags}`);
    await requireAws(deps);
    return resolved;
  }
  await requireAws(deps);
  const functionEnv = await readFunctionEnvironment(deps.lambda(), functionName);
  return resolveConfig(functionEnv, args.overrides, `function ${functionName}${flags}`);
}

async function plan(argv: readonly string[], io: CliIo, deps: PlanDeps): Promise<{ exitCode: ExitCode; output: string; problems: string[] }> {
  const args = parsePlanArgs(argv);
  if (args.help) return { exitCode: EXIT.ok, output: PLAN_HELP, problems: [] };
  selectAws(args, io.env);
  const { config, source } = await configure(args, io, deps);
  const readers = deps.readers(config, io);
  await requireGitHubCredentials(readers.githubCredentials);

  let read;
  try {
    read = await readSnapshot(readers.ports, config, io.now());
  } catch (error) {
    throw awsFailure(error, 'list the runner instances (ec2:DescribeInstances)');
  }
  const result = makePlan(read.snapshot, read.malformed);
  const context: PlanContext = { source, githubRequests: readers.githubRequests(), probe: probeContext(config, read.snapshot.probe) };

  const problems = problemsOf(result, context);
  const exitCode = problems.length > 0 ? EXIT.unreadable : EXIT.ok;
  const output = args.json ? `${JSON.stringify(toJson(result, context, exitCode), null, 2)}\n` : renderText(result, context);
  return { exitCode, output, problems };
}

export async function runPlan(argv: readonly string[], io: CliIo, deps: PlanDeps = realDeps): Promise<ExitCode> {
  try {
    const { exitCode, output, problems } = await plan(argv, io, deps);
    io.stdout(output);
    for (const problem of problems) io.stderr(`runner-reaper plan: incomplete: ${problem}\n`);
    return exitCode;
  } catch (error) {
    const failure =
      error instanceof CliFailure
        ? error
        : new CliFailure(EXIT.internal, `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    io.stderr(`runner-reaper plan: ${failure.message}\n`);
    if (argv.includes('--json')) {
      io.stdout(`${JSON.stringify({ version: 1, readOnly: true, exitCode: failure.exitCode, error: failure.message }, null, 2)}\n`);
    }
    return failure.exitCode;
  }
}
