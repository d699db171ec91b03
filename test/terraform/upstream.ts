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
