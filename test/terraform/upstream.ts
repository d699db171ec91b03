/**
 * Fixtures around the stub of the github-aws-runners module's outputs
 * (test/terraform/fixtures/upstream-stub): stage it with the module tree, write a root
 * configuration of module blocks for moto, apply, read outputs.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { motoProvider } from './harness';
import { stageModule } from './stage';
import { terraform, terraformOk } from './terraform';

export const STUB_DIR = join('test', 'terraform', 'fixtures', 'upstream-stub');

/** Stages the module tree (root, modules, examples, zips) plus the stub. */
export async function stageWithStub(): Promise<string> {
  const staged = await stageModule();
  cpSync(join(REPO_ROOT, STUB_DIR), join(staged, STUB_DIR), { recursive: true });
  return staged;
}

/** The moto provider, with KMS too (customer-managed keys). */
export function motoProviderWithKms(motoUrl: string): Record<string, unknown> {
  const provider = motoProvider(motoUrl) as { endpoints: Record<string, string> };
  return { ...provider, endpoints: { ...provider.endpoints, kms: motoUrl } };
}

export interface Configuration {
  dir: string;
  init(): Promise<void>;
  apply(vars?: Record<string, unknown>): Promise<void>;
  /** `terraform plan`; resolves with exit code and output (never rejects on a failed plan). */
  plan(vars?: Record<string, unknown>): Promise<{ code: number; output: string }>;
  output<T>(name: string): Promise<T>;
  destroy(vars?: Record<string, unknown>): Promise<void>;
}

function varArgs(vars: Record<string, unknown>): string[] {
  return Object.entries(vars).flatMap(([k, v]) => ['-var', `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`]);
}

/**
 * Writes `main.tf.json` into `<staged>/configurations/<name>`: the moto provider and the
 * given blocks (module sources relative to `staged`, e.g. `examples/x`), plus `variable`
 * blocks for `variables` (so plans can change them with -var).
 */
export function writeConfiguration(
  staged: string,
  name: string,
  motoUrl: string,
  blocks: { module?: Record<string, Record<string, unknown>>; output?: Record<string, unknown>; resource?: Record<string, unknown> },
  variables: Record<string, { type: string; default?: unknown }> = {},
): Configuration {
  const dir = join(staged, 'configurations', name);
  mkdirSync(dir, { recursive: true });
  const rel = (p: string) => relative(dir, join(staged, p));
  const modules = Object.fromEntries(
    Object.entries(blocks.module ?? {}).map(([name, body]) => [name, { ...body, source: rel(String(body.source)) }]),
  );
  const config = {
    terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '>= 5.50.0, < 6.0.0' } } },
    provider: { aws: motoProviderWithKms(motoUrl) },
    ...(Object.keys(variables).length ? { variable: variables } : {}),
    ...(Object.keys(modules).length ? { module: modules } : {}),
    ...(blocks.resource ? { resource: blocks.resource } : {}),
    ...(blocks.output ? { output: blocks.output } : {}),
  };
  writeFileSync(join(dir, 'main.tf.json'), `${JSON.stringify(config, null, 2)}\n`);
  return {
    dir,
    init: async () => {
      await terraformOk(dir, ['init', '-input=false']);
    },
    apply: async (vars = {}) => {
      await terraformOk(dir, ['apply', '-auto-approve', '-input=false', ...varArgs(vars)]);
    },
    plan: async (vars = {}) => {
      const result = await terraform(dir, ['plan', '-input=false', '-detailed-exitcode', ...varArgs(vars)]);
      return { code: result.code, output: `${result.stdout}\n${result.stderr}` };
    },
    output: async <T>(name: string) => JSON.parse(await terraformOk(dir, ['output', '-json', name])) as T,
    destroy: async (vars = {}) => {
      await terraformOk(dir, ['destroy', '-auto-approve', '-input=false', '-refresh=false', ...varArgs(vars)]);
    },
  };
}

export interface BesideOptions {
  /** `stage` default of the configuration (each plan/apply may pass `-var stage=...`). */
  stage?: string;
  /** The GitHub App both stubs store (as that module's `github_app` values). */
  app?: { id: string; keyBase64: string };
  /** Prefixes of the root module and the multi-runner deployments. */
  rootPrefix?: string;
  multiPrefix?: string;
  /** multi_runner_config keys and their runner_os. */
  runnerTypes?: Record<string, 'linux' | 'windows' | 'osx'>;
  /** Extra arguments of each example call (e.g. the idle_config, times). */
  rootArgs?: Record<string, unknown>;
  multiArgs?: Record<string, unknown>;
  /** Extra arguments of the multi-runner stub (its ghes_url, ...). */
  multiStubArgs?: Record<string, unknown>;
  /** Extra arguments of the root stub (that module's inputs: idle_config, ghes_url, ...). */
  rootStubArgs?: Record<string, unknown>;
  /** The team's own userdata_post_install / runner_hook_job_started on the root fleet (to show an override). */
  rootTeam?: { userdata_post_install?: string; runner_hook_job_started?: string };
}

/**
 * Both examples beside their stubs, wired exactly as the examples' READMEs say: the stub's
 * outputs into the example, the example's outputs back into the stub's inputs, one KMS key
 * for that module's SSM parameters. Outputs: `root_stub`, `root_example`, `multi_stub`,
 * `multi_example`, `kms_key_arn`.
 */
export function besideConfiguration(staged: string, name: string, motoUrl: string, opts: BesideOptions = {}): Configuration {
  const rootPrefix = opts.rootPrefix ?? 'gh-compat';
  const multiPrefix = opts.multiPrefix ?? 'fleet';
  const app = opts.app ?? { id: '4711', keyBase64: 'a2V5' };
  const types = opts.runnerTypes ?? { 'linux-x64': 'linux', win: 'windows' };
  const rootPostInstall = opts.rootTeam?.userdata_post_install
    ? `\${join("\\n", [${JSON.stringify(opts.rootTeam.userdata_post_install)}, module.root_example.github_runner_inputs.userdata_post_install])}`
    : '${module.root_example.github_runner_inputs.userdata_post_install}';
  return writeConfiguration(
    staged,
    name,
    motoUrl,
    {
      resource: { aws_kms_key: { ssm: { description: "the key given to that module's kms_key_arn" } } },
      module: {
        root_stub: {
          source: STUB_DIR,
          prefix: rootPrefix,
          github_app: { id: app.id, key_base64: app.keyBase64 },
          kms_key_arn: '${aws_kms_key.ssm.arn}',
          scale_down_schedule_expression: '${module.root_example.github_runner_inputs.scale_down_schedule_expression}',
          runner_hook_job_started:
            opts.rootTeam?.runner_hook_job_started ?? '${module.root_example.github_runner_inputs.runner_hook_job_started}',
          runner_hook_job_completed: '${module.root_example.github_runner_inputs.runner_hook_job_completed}',
          userdata_post_install: rootPostInstall,
          enable_ssm_on_runners: '${module.root_example.github_runner_inputs.enable_ssm_on_runners}',
          runner_iam_role_managed_policy_arns: '${module.root_example.github_runner_inputs.runner_iam_role_managed_policy_arns}',
          ...(opts.rootStubArgs ?? {}),
        },
        root_example: {
          source: 'examples/beside-github-aws-runners',
          stage: '${var.stage}',
          github_runner_prefix: rootPrefix,
          github_runner: '${module.root_stub}',
          ssm_kms_key_arn: '${aws_kms_key.ssm.arn}',
          ...(opts.rootArgs ?? {}),
        },
        multi_stub: {
          source: `${STUB_DIR}/modules/multi-runner`,
          prefix: multiPrefix,
          github_app: { id: app.id, key_base64: app.keyBase64 },
          multi_runner_config: `\${{ for key, os in var.runner_types : key => { runner_config = merge({ runner_os = os }, module.multi_example.runner_config[key], { userdata_post_install = module.multi_example.userdata_post_install[key] }) } }}`,
          ...(opts.multiStubArgs ?? {}),
        },
        multi_example: {
          source: 'examples/beside-github-aws-runners-multi-runner',
          stage: '${var.stage}',
          github_runner_prefix: multiPrefix,
          runner_types: '${var.runner_types}',
          github_runner: '${module.multi_stub}',
          ...(opts.multiArgs ?? {}),
        },
      },
      output: {
        root_stub: { value: '${module.root_stub}' },
        root_example: { value: '${module.root_example}' },
        multi_stub: { value: '${module.multi_stub}' },
        multi_example: { value: '${module.multi_example}' },
        kms_key_arn: { value: '${aws_kms_key.ssm.arn}' },
      },
    },
    {
      stage: { type: 'string', default: opts.stage ?? 'dry-run' },
      runner_types: { type: 'map(string)', default: types },
    },
  );
}
