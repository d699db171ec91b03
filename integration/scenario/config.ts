/**
 * The scenario's configuration, read from the environment the e2e workflow sets
 * (.github/workflows/e2e.yml; documented in docs/e2e-in-a-fork.md). The same scenario runs
 * against the real world (GitHub, LocalStack, actions/runner processes, Lambda Invoke) and
 * the local one (the twin, moto, simulated agents, the zips run locally).
 */
import { readFileSync } from 'node:fs';

export interface ScenarioConfig {
  github: 'real' | 'twin';
  aws: 'localstack' | 'moto';
  runners: 'real' | 'agents';
  lambda: 'invoke' | 'artifact';
  app?: { appId: string; privateKeyPem: string; installationId?: number };
  owner: string;
  repo: string;
  scope: 'repo' | 'org';
  apiUrl: string;
  label: string;
  environment: string;
  jobWorkflow: string;
  jobRef: string;
  jobDurationSeconds: number;
  runnerDir?: string;
  /**
   * How the runners get the module's job hooks, and so which machine evidence they give:
   * `installed` (default): as the module's user-data snippet installs them, proven by its
   * boot check (real runners: the snippet already wrote them into `<runnerDir>/.env`, and
   * each instance runs the snippet's boot check; agents: the marker a proven install gets),
   * so `hooks` evidence; `env`: the hooks run but nothing proves it (real runners: set as
   * ACTIONS_RUNNER_HOOK_* to the scripts in `hooksDir`), so `none`.
   */
  hooks: 'env' | 'installed';
  hooksDir?: string;
  workDir: string;
  terraformOutputs?: TerraformOutputs;
  awsEndpointUrl?: string;
  awsRegion: string;
  /** Upper bounds for the waits (seconds); the defaults suit the real world. */
  timeouts: ScenarioTimeouts;
  /**
   * The whole scenario's bound (seconds): every wait ends by then, so a slow run still
   * writes its report and cleans up before its workflow step's timeout kills it.
   */
  deadlineSeconds: number;
}

export interface ScenarioTimeouts {
  /** For a runner to come online, and for the dispatched job to be picked up. */
  pickUp: number;
  /** For the idle instance to be reclaimed by repeated scale-down runs. */
  reclaim: number;
  /** Extra time, beyond its duration, for the busy job to finish. */
  jobSlack: number;
}

/** The parts of `terraform output -json` of .github/e2e/terraform the scenario reads. */
export interface TerraformOutputs {
  environment: string;
  scaleDownFunction: string;
  orphanCleanupFunction: string;
  githubAppParameters: { id_parameter: string; key_base64_parameter: string; installation_id_parameter?: string | null };
  /** The runner hooks' user-data snippet (output runner_hooks_user_data), when the fixture has one. */
  runnerHooksUserData?: string;
}

export class ScenarioConfigError extends Error {
  override readonly name = 'ScenarioConfigError';
}

type Env = Record<string, string | undefined>;

/** The real world's waits. Their sum (with the job's duration) is far above the deadline: each is a bound, not a plan. */
export const REAL_TIMEOUTS: ScenarioTimeouts = { pickUp: 300, reclaim: 300, jobSlack: 300 };
/** 20 minutes: a normal real run takes 10 to 15 (docs/e2e-in-a-fork.md). */
export const REAL_DEADLINE_SECONDS = 1200;

function pick<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim() || fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ScenarioConfigError(`${name}=${JSON.stringify(raw)}: expected one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ScenarioConfigError(`${name} is required`);
  return value;
}

function seconds(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ScenarioConfigError(`${name}=${JSON.stringify(raw)}: expected whole seconds, 1 or more`);
  return Number(raw);
}

export function readTerraformOutputs(path: string): TerraformOutputs {
  let raw: Record<string, { value?: unknown }>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { value?: unknown }>;
  } catch (error) {
    throw new ScenarioConfigError(`SCENARIO_TERRAFORM_OUTPUTS: cannot read ${path} (${(error as Error).message})`);
  }
  const value = (key: string): unknown => raw[key]?.value;
  const fn = (key: string): string => {
    const name = (value(key) as { function_name?: unknown } | undefined)?.function_name;
    if (typeof name !== 'string' || !name) throw new ScenarioConfigError(`${path}: output ${key}.function_name is missing`);
    return name;
  };
  const params = value('github_app_parameters') as TerraformOutputs['githubAppParameters'] | undefined;
  if (!params?.id_parameter || !params.key_base64_parameter) {
    throw new ScenarioConfigError(`${path}: output github_app_parameters is missing`);
  }
  const environment = value('environment');
  if (typeof environment !== 'string') throw new ScenarioConfigError(`${path}: output environment is missing`);
  const userData = value('runner_hooks_user_data');
  return {
    environment,
    scaleDownFunction: fn('scale_down'),
    orphanCleanupFunction: fn('orphan_cleanup'),
    githubAppParameters: params,
    ...(typeof userData === 'string' && userData ? { runnerHooksUserData: userData } : {}),
  };
}

/** Where real runners come from, and their hooks. */
function realRunners(env: Env, hooks: ScenarioConfig['hooks'], outputs: TerraformOutputs | undefined): { runnerDir: string; hooksDir?: string } {
  const runnerDir = required(env, 'SCENARIO_RUNNER_DIR');
  if (hooks === 'env') return { runnerDir, hooksDir: required(env, 'SCENARIO_HOOKS_DIR') };
  if (!outputs?.runnerHooksUserData) {
    throw new ScenarioConfigError(
      'SCENARIO_HOOKS=installed needs SCENARIO_TERRAFORM_OUTPUTS with output runner_hooks_user_data (the snippet whose boot check each instance runs); or SCENARIO_HOOKS=env with SCENARIO_HOOKS_DIR (hooks without the marker: no machine evidence)',
    );
  }
  return { runnerDir };
}

/** Reads and checks the scenario's environment; throws ScenarioConfigError naming the variable. */
export function scenarioConfigFromEnv(env: Env = process.env): ScenarioConfig {
  const github = pick(env, 'SCENARIO_GITHUB', ['real', 'twin'] as const, 'twin');
  const aws = pick(env, 'SCENARIO_AWS', ['localstack', 'moto'] as const, 'moto');
  const runners = pick(env, 'SCENARIO_RUNNERS', ['real', 'agents'] as const, github === 'real' ? 'real' : 'agents');
  const lambda = pick(env, 'SCENARIO_LAMBDA', ['invoke', 'artifact'] as const, 'artifact');
  if ((github === 'real') !== (runners === 'real')) {
    // Simulated agents live inside the twin; real runners speak GitHub's own protocol.
    throw new ScenarioConfigError(`SCENARIO_RUNNERS=${runners} cannot run with SCENARIO_GITHUB=${github}: use real with real, agents with twin`);
  }
  const outputsPath = env.SCENARIO_TERRAFORM_OUTPUTS?.trim();
  const terraformOutputs = outputsPath ? readTerraformOutputs(outputsPath) : undefined;
  if (lambda === 'invoke' && !terraformOutputs) {
    throw new ScenarioConfigError('SCENARIO_LAMBDA=invoke needs SCENARIO_TERRAFORM_OUTPUTS (the deployed function names)');
  }
  if (aws === 'localstack' && !env.AWS_ENDPOINT_URL?.trim()) throw new ScenarioConfigError('AWS_ENDPOINT_URL is required with SCENARIO_AWS=localstack');

  const real = github === 'real';
  const installation = env.SCENARIO_GITHUB_APP_INSTALLATION_ID?.trim();
  if (installation && !/^\d+$/.test(installation)) throw new ScenarioConfigError('SCENARIO_GITHUB_APP_INSTALLATION_ID must be a number or empty');
  const scope = pick(env, 'SCENARIO_RUNNER_SCOPE', ['repo', 'org'] as const, 'repo');
  const hooks = pick(env, 'SCENARIO_HOOKS', ['env', 'installed'] as const, 'installed');
  const label = env.SCENARIO_RUNNER_LABEL?.trim() || `reaper-scenario-${Date.now().toString(36)}`;
  return {
    github,
    aws,
    runners,
    lambda,
    ...(real
      ? {
          app: {
            appId: required(env, 'SCENARIO_GITHUB_APP_ID'),
            privateKeyPem: required(env, 'SCENARIO_GITHUB_APP_PRIVATE_KEY'),
            ...(installation ? { installationId: Number(installation) } : {}),
          },
        }
      : {}),
    owner: real ? required(env, 'SCENARIO_GITHUB_OWNER') : env.SCENARIO_GITHUB_OWNER?.trim() || 'my-org',
    repo: real ? required(env, 'SCENARIO_GITHUB_REPO') : env.SCENARIO_GITHUB_REPO?.trim() || 'app',
    scope,
    apiUrl: env.SCENARIO_GITHUB_API_URL?.trim() || 'https://api.github.com',
    label,
    environment: terraformOutputs?.environment ?? (env.SCENARIO_ENVIRONMENT?.trim() || label),
    jobWorkflow: env.SCENARIO_JOB_WORKFLOW?.trim() || 'e2e-job.yml',
    jobRef: env.SCENARIO_JOB_REF?.trim() || 'main',
    jobDurationSeconds: seconds(env, 'SCENARIO_JOB_DURATION_SECONDS', real ? 180 : 20),
    hooks,
    ...(runners === 'real' ? realRunners(env, hooks, terraformOutputs) : {}),
    workDir: env.SCENARIO_WORK_DIR?.trim() || '.scenario',
    ...(terraformOutputs ? { terraformOutputs } : {}),
    ...(env.AWS_ENDPOINT_URL?.trim() ? { awsEndpointUrl: env.AWS_ENDPOINT_URL.trim() } : {}),
    awsRegion: env.AWS_REGION?.trim() || 'us-east-1',
    timeouts: real ? REAL_TIMEOUTS : { pickUp: 30, reclaim: 60, jobSlack: 30 },
    deadlineSeconds: seconds(env, 'SCENARIO_DEADLINE_SECONDS', real ? REAL_DEADLINE_SECONDS : 300),
  };
}
