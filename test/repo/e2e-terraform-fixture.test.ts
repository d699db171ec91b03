// The end-to-end workflow applies .github/e2e/terraform to LocalStack only nightly or on
// demand; validating it here, offline, catches a renamed or mis-typed module input on
// every `npm test` instead.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeCliConfig } from '../../scripts/terraform/cli-config';
import { repoRoot } from './lib/repo-files';

interface Result {
  code: number;
  output: string;
}

function terraform(cwd: string, args: string[], cliConfig: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(
      'terraform',
      args,
      {
        cwd,
        env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

const fixture = readFileSync(join(repoRoot, '.github', 'e2e', 'terraform', 'main.tf'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'e2e-fixture-'));
let cliConfig = '';

/** The fixture, copied to `scratch` with its module sources pointing back at this repository. */
function writeFixture(text: string): void {
  const repo = relative(scratch, repoRoot);
  writeFileSync(join(scratch, 'main.tf'), text.replaceAll('source = "../../..', `source = "${repo}`));
}

beforeAll(async () => {
  cliConfig = writeCliConfig(join(scratch, 'terraformrc'));
  writeFixture(fixture);
  const init = await terraform(scratch, ['init', '-backend=false', '-no-color'], cliConfig);
  if (init.code !== 0) throw new Error(`terraform init failed:\n${init.output}`);
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the end-to-end Terraform fixture', () => {
  test('points at the root module', () => {
    expect(fixture).toContain('source = "../../.."');
  });

  test('is valid against the module as it is now', async () => {
    const result = await terraform(scratch, ['validate', '-no-color'], cliConfig);
    expect(result.output).toContain('Success! The configuration is valid.');
    expect(result.code).toBe(0);
  }, 120_000);

  test('a mis-typed module input fails validation (negative control)', async () => {
    const misTyped = fixture.replace('  enable_probe ', '  enable_prob ');
    expect(misTyped).not.toBe(fixture);
    writeFixture(misTyped);
    try {
      const result = await terraform(scratch, ['validate', '-no-color'], cliConfig);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('An argument named "enable_prob" is not expected here');
    } finally {
      writeFixture(fixture);
    }
  }, 120_000);
});
