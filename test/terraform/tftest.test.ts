// Runs the plan-level `terraform test` files (mock AWS provider) and reads their verdict.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { stageModule } from './stage';
import { countTestRuns, parseTestVerdict, terraform, terraformOk } from './terraform';

jest.setTimeout(240_000);

const TEST_DIR = join('test', 'terraform', 'tftest');

let staged: string;
beforeAll(async () => {
  staged = await stageModule();
  await terraformOk(staged, ['init', '-input=false', '-backend=false']);
});
afterAll(() => rmSync(staged, { recursive: true, force: true }));

test('terraform test: every plan-level assertion passes', async () => {
  const result = await terraform(staged, ['test', `-test-directory=${TEST_DIR}`]);
  const verdict = parseTestVerdict(result.stdout);
  if (verdict) process.stdout.write(`terraform test: ${verdict.passed} passed, ${verdict.failed} failed\n`);
  const failures = result.stdout
    .split('\n')
    .filter((line) => /\.\.\. fail|Error:/.test(line))
    .join('\n');
  expect({ exit: result.code, verdict, failures }).toEqual({
    exit: 0,
    verdict: { passed: countTestRuns(join(REPO_ROOT, TEST_DIR)), failed: 0 },
    failures: '',
  });
});

test('the verdict parser reads both success and failure lines', () => {
  expect(parseTestVerdict('Success! 9 passed, 0 failed.')).toEqual({ passed: 9, failed: 0 });
  expect(parseTestVerdict('Failure! 7 passed, 2 failed.')).toEqual({ passed: 7, failed: 2 });
  expect(parseTestVerdict('nothing ran')).toBeUndefined();
});
