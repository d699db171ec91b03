// Offline static checks: formatting, and init + validate of the root module, every
// submodule and every example, on a staged copy of the tree (nothing is written here).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { stageModule } from './stage';
import { terraform, terraformOk } from './terraform';

jest.setTimeout(120_000);

const subdirs = (dir: string) =>
  readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name))
    .sort();

const configurations = ['.', ...subdirs('modules'), ...subdirs('examples')];

let staged: string;
beforeAll(async () => {
  staged = await stageModule();
});
afterAll(() => rmSync(staged, { recursive: true, force: true }));

test('every Terraform file is formatted (terraform fmt -check -recursive)', async () => {
  const result = await terraform(staged, ['fmt', '-check', '-recursive', '-list=true']);
  expect({ code: result.code, unformatted: result.stdout.trim() }).toEqual({ code: 0, unformatted: '' });
});

test('the tree has the four examples and three modules the docs promise', () => {
  expect(configurations).toEqual(
    expect.arrayContaining([
      'modules/lambda',
      'modules/runner-hooks',
      'examples/basic',
      'examples/beside-github-aws-runners',
      'examples/repo-runners',
      'examples/enterprise-server',
    ]),
  );
});

test.each(configurations)('%s: terraform init and validate pass offline', async (dir) => {
  const cwd = join(staged, dir);
  await terraformOk(cwd, ['init', '-input=false', '-backend=false']);
  const out = await terraformOk(cwd, ['validate', '-json']);
  const report = JSON.parse(out) as { valid: boolean; error_count: number; diagnostics: unknown[] };
  expect({ valid: report.valid, errors: report.error_count, diagnostics: report.diagnostics }).toEqual({
    valid: true,
    errors: 0,
    diagnostics: [],
  });
});
