// Runs the plan-level `terraform test` files (mock AWS provider) and reads their verdict.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { stageModule } from './stage';
import { terraform, terraformOk } from './terraform';

jest.setTimeout(240_000);

const TEST_DIR = join('test', 'terraform', 'tftest');

/** The number of `run` blocks in the .tftest.hcl files: all of them must pass. */
function countRuns(): number {
  const dir = join(REPO_ROOT, TEST_DIR);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.tftest.hcl'))
    .map((file) => (readFileSync(join(dir, file), 'utf8').match(/^run\s+"/gm) ?? []).length)
    .reduce((a, b) => a + b, 0);
}

/** Parses terraform test's closing "N passed, M failed" (with or without "Success!"). */
export function parseVerdict(output: string): { passed: number; failed: number } | undefined {
  const match = /(\d+) passed, (\d+) failed/.exec(output);
  return match ? { passed: Number(match[1]), failed: Number(match[2]) } : undefined;
}

let staged: string;
beforeAll(async () => {
  staged = await stageModule();
  await terraformOk(staged, ['init', '-input=false', '-backend=false']);
});
afterAll(() => rmSync(staged, { recursive: true, force: true }));

test('terraform test: every plan-level assertion passes', async () => {
  const result = await terraform(staged, ['test', `-test-directory=${TEST_DIR}`]);
  const verdict = parseVerdict(result.stdout);
  if (verdict) process.stdout.write(`terraform test: ${verdict.passed} passed, ${verdict.failed} failed\n`);
  const failures = result.stdout
    .split('\n')
    .filter((line) => /\.\.\. fail|Error:/.test(line))
    .join('\n');
  expect({ exit: result.code, verdict, failures }).toEqual({
    exit: 0,
    verdict: { passed: countRuns(), failed: 0 },
    failures: '',
  });
});

test('the verdict parser reads both success and failure lines', () => {
  expect(parseVerdict('Success! 9 passed, 0 failed.')).toEqual({ passed: 9, failed: 0 });
  expect(parseVerdict('Failure! 7 passed, 2 failed.')).toEqual({ passed: 7, failed: 2 });
  expect(parseVerdict('nothing ran')).toBeUndefined();
});
