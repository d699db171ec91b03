/**
 * Runs the terraform binary for the tests: offline (the project's CLI config), no prompts,
 * no colour, and with the command's output in the error when it fails.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCliConfig } from '../../scripts/terraform/cli-config';

let cliConfigPath: string | undefined;

/** The environment every terraform call gets (the CLI config is written once per process). */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  cliConfigPath ??= writeCliConfig();
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfigPath,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    ...extra,
  };
}

export interface TerraformResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `terraform <args>` in `cwd`; resolves with the exit code (never rejects on non-zero). */
export function terraform(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<TerraformResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'terraform',
      [...args.slice(0, 1), ...(args[0] === 'fmt' ? [] : ['-no-color']), ...args.slice(1)],
      { cwd, env: terraformEnv(extraEnv), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Like `terraform`, but throws with the full output when the command fails. */
export async function terraformOk(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await terraform(cwd, args, extraEnv);
  if (result.code !== 0) {
    throw new Error(`terraform ${args.join(' ')} failed in ${cwd} (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Parses terraform test's closing "N passed, M failed" (after "Success!" or "Failure!"). */
export function parseTestVerdict(output: string): { passed: number; failed: number } | undefined {
  const match = /(\d+) passed, (\d+) failed/.exec(output);
  return match ? { passed: Number(match[1]), failed: Number(match[2]) } : undefined;
}

/** The number of `run` blocks in the .tftest.hcl files of `dir`. */
export function countTestRuns(dir: string): number {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.tftest.hcl'))
    .map((file) => (readFileSync(join(dir, file), 'utf8').match(/^run\s+"/gm) ?? []).length)
    .reduce((a, b) => a + b, 0);
}
