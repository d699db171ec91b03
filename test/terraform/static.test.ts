// Offline static checks: formatting, and init + validate of the root module, every
// submodule and every example, on a staged copy of the tree (nothing is written here).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { stageModule } from './stage';
import { countTestRuns, parseTestVerdict, terraform, terraformOk } from './terraform';

jest.setTimeout(300_000);

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

interface Checked {
  validate: { valid: boolean; error_count: number; diagnostics: unknown[] };
  /** terraform test's verdict and the expected number of runs, when the dir has tests/. */
  planTests?: { exit: number; verdict: ReturnType<typeof parseTestVerdict>; expectedRuns: number };
}

/** init + validate (+ terraform test for examples with tests/) of one configuration. */
async function check(dir: string): Promise<Checked> {
  const cwd = join(staged, dir);
  await terraformOk(cwd, ['init', '-input=false', '-backend=false']);
  const validate = JSON.parse(await terraformOk(cwd, ['validate', '-json'])) as Checked['validate'];
  const tests = join(cwd, 'tests');
  if (!existsSync(tests)) return { validate };
  const result = await terraform(cwd, ['test']);
  return {
    validate,
    planTests: { exit: result.code, verdict: parseTestVerdict(result.stdout), expectedRuns: countTestRuns(tests) },
  };
}

// Two configurations at a time: each terraform call is mostly the provider starting up,
// and two in parallel cut the wall time on two cores. Every check starts in beforeAll and
// each test awaits its own result.
const checks = new Map<string, Promise<Checked>>();

beforeAll(() => {
  const queue = configurations.map((dir) => {
    let settle!: { resolve: (value: Checked) => void; reject: (reason: unknown) => void };
    const promise = new Promise<Checked>((resolve, reject) => {
      settle = { resolve, reject };
    });
    promise.catch(() => undefined); // reported by the dir's own test
    checks.set(dir, promise);
    return { dir, settle };
  });
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      await check(next.dir).then(next.settle.resolve, next.settle.reject);
    }
  };
  void Promise.all([lane(), lane()]);
});

test.each(configurations)('%s: terraform init and validate pass offline (and its plan tests, if any)', async (dir) => {
  const checked = await checks.get(dir);
  expect({
    valid: checked?.validate.valid,
    errors: checked?.validate.error_count,
    diagnostics: checked?.validate.diagnostics,
  }).toEqual({ valid: true, errors: 0, diagnostics: [] });
  if (checked?.planTests) {
    // Examples carry plan-level tests (tests/*.tftest.hcl, mocked provider): they plan as written.
    expect({ exit: checked.planTests.exit, verdict: checked.planTests.verdict }).toEqual({
      exit: 0,
      verdict: { passed: checked.planTests.expectedRuns, failed: 0 },
    });
  }
});

test('every example has plan tests', () => {
  for (const example of subdirs('examples')) {
    expect({ example, runs: countTestRuns(join(REPO_ROOT, example, 'tests')) > 0 }).toEqual({ example, runs: true });
  }
});
