/**
 * Applies the runner-reaper module against moto, for the end-to-end and upgrade tests
 * (and for anyone who wants a deployed reaper to run against the GitHub twin):
 *
 *   const deployed = await applyModuleAgainstMoto(moto.url, { environment: 'gh-ci', ... });
 *   deployed.outputs.scale_down.function_name;  // every root module output
 *   await deployed.destroy();                   // terraform destroy, then removes the temp dirs
 *
 * The module is staged into a temp dir (with the built zips, or placeholders when
 * `npm run build` has not run) and wrapped by a generated fixture that configures the aws
 * provider for moto and passes `vars` through unchanged.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stageModule, tempDir } from './stage';
import { terraformOk } from './terraform';

export const MOTO_REGION = 'us-east-1';
export const MOTO_ACCOUNT_ID = '123456789012';

export interface FunctionOutputs {
  function_name: string;
  function_arn: string;
  role_name: string;
  role_arn: string;
  log_group_name: string;
  schedule_rule_name: string;
  policy_json: string;
}

export interface ReaperOutputs {
  prefix: string;
  scale_down: FunctionOutputs;
  orphan_cleanup: FunctionOutputs;
  runner_hooks: {
    job_started_script: string;
    job_completed_script: string;
    user_data: string;
    instance_policy_json: string;
    github_aws_runners: { runner_hook_job_started: string; runner_hook_job_completed: string };
  };
  probe_document_name: string | null;
}

export interface DeployedReaper {
  outputs: ReaperOutputs;
  /** The fixture directory (state, plan files). */
  fixtureDir: string;
  /** The staged module directory (with lambda/dist zips). */
  moduleDir: string;
  destroy(): Promise<void>;
}

/** Variables that make a valid module call; callers override what they test. */
export const DEFAULT_VARS: Record<string, unknown> = {
  environment: 'gh-ci',
  github_app: {
    id_parameter: '/github-action-runners/gh-ci/app/github_app_id',
    key_base64_parameter: '/github-action-runners/gh-ci/app/github_app_key_base64',
  },
};

/** The provider block that sends every AWS call the module makes to moto. */
export function motoProvider(motoUrl: string): Record<string, unknown> {
  const services = ['cloudwatch', 'cloudwatchlogs', 'ec2', 'events', 'iam', 'lambda', 'ssm', 'sts'];
  return {
    region: MOTO_REGION,
    access_key: 'test',
    secret_key: 'test',
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    endpoints: Object.fromEntries(services.map((s) => [s, motoUrl])),
  };
}

/**
 * Writes the fixture: provider for moto, `module "reaper"` from `moduleDir` with `vars`,
 * and one output `reaper` holding all the module's outputs. JSON syntax, so any variable
 * value passes through as is.
 */
export function writeFixture(fixtureDir: string, moduleDir: string, motoUrl: string, vars: Record<string, unknown>): void {
  mkdirSync(fixtureDir, { recursive: true });
  const source = relative(fixtureDir, moduleDir);
  const config = {
    terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '>= 5.50.0, < 6.0.0' } } },
    provider: { aws: motoProvider(motoUrl) },
    module: { reaper: { source: source.startsWith('.') ? source : `./${source}`, ...vars } },
    output: { reaper: { value: '${module.reaper}' } },
  };
  writeFileSync(join(fixtureDir, 'main.tf.json'), `${JSON.stringify(config, null, 2)}\n`);
}

export async function readOutputs(fixtureDir: string): Promise<ReaperOutputs> {
  const raw = await terraformOk(fixtureDir, ['output', '-json', 'reaper']);
  return JSON.parse(raw) as ReaperOutputs;
}

/** Stages the working tree's module (or `options.moduleDir`), applies it against moto. */
export async function applyModuleAgainstMoto(
  motoUrl: string,
  vars: Record<string, unknown> = {},
  options: { moduleDir?: string } = {},
): Promise<DeployedReaper> {
  const moduleDir = options.moduleDir ?? (await stageModule());
  const fixtureDir = tempDir('fixture');
  writeFixture(fixtureDir, moduleDir, motoUrl, { ...DEFAULT_VARS, ...vars });
  await terraformOk(fixtureDir, ['init', '-input=false']);
  await terraformOk(fixtureDir, ['apply', '-auto-approve', '-input=false']);
  const outputs = await readOutputs(fixtureDir);
  return {
    outputs,
    fixtureDir,
    moduleDir,
    async destroy() {
      // No refresh: the state is what this harness just applied, and refreshing costs a provider start.
      await terraformOk(fixtureDir, ['destroy', '-auto-approve', '-input=false', '-refresh=false']);
      rmSync(fixtureDir, { recursive: true, force: true });
      if (!options.moduleDir) rmSync(moduleDir, { recursive: true, force: true });
    },
  };
}
