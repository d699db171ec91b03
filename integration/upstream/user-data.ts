/**
 * A stand-in for the boot of a github-aws-runners runner instance, written by us from the
 * facts in ./facts.ts: it keeps the ORDER its Linux/macOS user data follows
 * (modules/runners/templates/user-data.sh and user-data-osx.sh at v7.11.0) and the way it
 * writes the hook scripts it is given, because that order is what decides whether a hook
 * installed by `userdata_post_install` survives:
 *
 *   1. `userdata_pre_install`;
 *   2. the runner is unpacked into /opt/actions-runner;
 *   3. `userdata_post_install`;
 *   4. for a non-empty `runner_hook_job_started` (and `_completed`): the script is written
 *      to /opt/actions-runner/hook_job_started.sh by a quoted here-document ended by a line
 *      `EOF`, and `ACTIONS_RUNNER_HOOK_JOB_STARTED=<that path>` is APPENDED to
 *      /opt/actions-runner/.env;
 *   5. the runner is configured and started; it reads .env then (see `effectiveRunnerEnv`).
 *
 * Its Windows user data (user-data.ps1) is PowerShell with no hook block, and with
 * `enable_userdata = false` (prebuilt AMIs) none of this runs: `renderUserData` says so.
 *
 * `bootInSandbox` runs the rendered script with bash in a temporary directory (every
 * `/opt/` and `/var/log/` path moved under it), so the .env a runner would read is the one
 * the real shell wrote, not one we assumed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOOK_PATHS, RUNNER_DIR, UPSTREAM_VERSION, type UpstreamRunnerOs } from './facts';

/** The inputs of that module that shape a runner's boot (variables.tf; per type in multi-runner). */
export interface UpstreamBootInputs {
  runnerOs: UpstreamRunnerOs;
  /** `enable_userdata` (default true); false for prebuilt AMIs. */
  enableUserdata?: boolean;
  userdataPreInstall?: string;
  userdataPostInstall?: string;
  runnerHookJobStarted?: string;
  runnerHookJobCompleted?: string;
}

export type RenderedUserData =
  | { kind: 'shell'; script: string }
  /** No shell user data runs on the instance: why. */
  | { kind: 'none'; reason: string };

const HEREDOC_END = 'EOF';

function hookBlock(path: string, envKey: string, script: string | undefined): string[] {
  if (!script) return [];
  return [`cat > ${path} <<'${HEREDOC_END}'`, script, HEREDOC_END, `echo ${envKey}=${path} >> ${HOOK_PATHS.envFile}`];
}

/** The user data a runner of these inputs boots with (see the file comment for the order). */
export function renderUserData(inputs: UpstreamBootInputs): RenderedUserData {
  if (inputs.enableUserdata === false) {
    return { kind: 'none', reason: 'enable_userdata = false (prebuilt AMI): the module passes no user data' };
  }
  if (inputs.runnerOs === 'windows') {
    return { kind: 'none', reason: `its Windows user data (${UPSTREAM_VERSION} user-data.ps1) is PowerShell and has no hook block` };
  }
  const lines = [
    '#!/bin/bash -e',
    `# Stand-in for the boot order of github-aws-runners ${UPSTREAM_VERSION} (${inputs.runnerOs}); see integration/upstream/user-data.ts.`,
    inputs.userdataPreInstall ?? '',
    '# the runner is unpacked here',
    `mkdir -p ${RUNNER_DIR}`,
    inputs.userdataPostInstall ?? '',
    ...hookBlock(HOOK_PATHS.jobStarted, 'ACTIONS_RUNNER_HOOK_JOB_STARTED', inputs.runnerHookJobStarted),
    ...hookBlock(HOOK_PATHS.jobCompleted, 'ACTIONS_RUNNER_HOOK_JOB_COMPLETED', inputs.runnerHookJobCompleted),
    '# config.sh and run.sh start here; the runner reads .env now',
    '',
  ];
  return { kind: 'shell', script: lines.join('\n') };
}

/**
 * The environment the runner's Listener sets from its .env: each non-empty line is split at
 * its first `=` (a line without one, or starting with one, is skipped), keys are taken as
 * written, a later line for the same key replaces an earlier one, and an empty value
 * removes the variable (actions/runner v2.336.0 src/Runner.Listener/Program.cs
 * `LoadAndSetEnv`, which calls Environment.SetEnvironmentVariable(key, null) then).
 */
export function effectiveRunnerEnv(envFileText: string): Record<string, string> {
  const env: Record<string, string> = {};
  // File.ReadAllLines ends a line at \r\n, \n or \r.
  for (const line of envFileText.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1);
    if (value === '') delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A booted runner machine in a temporary directory. */
export interface SandboxedRunner {
  /** The directory standing in for `/` of the instance (only `/opt/...` lives there). */
  root: string;
  /** The runner's .env as the boot left it ('' when none was written). */
  envFile: string;
  /** What the Listener will set from it. */
  env: Record<string, string>;
  /** The hook scripts the runner will call, as paths inside the sandbox (absent: none). */
  hooks: { jobStarted?: string; jobCompleted?: string };
  /** The boot's output, for failure messages. */
  log: string;
  remove(): void;
}

/** The parts of the instance's file system that live in the sandbox. */
const SANDBOXED = ['/opt/', '/var/log/'] as const;

/** Where a path of the instance lives in the sandbox. */
export function inSandbox(root: string, instancePath: string): string {
  return SANDBOXED.some((prefix) => instancePath.startsWith(prefix)) ? join(root, instancePath) : instancePath;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { env, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Runs the rendered user data with bash (as that module's `#!/bin/bash -e` does) with
 * every `/opt/` and `/var/log/` path moved into a fresh temporary directory and `bootEnv`
 * added to its environment (e.g. where IMDS and AWS are), then reads what the runner
 * would: its .env and the hook scripts it names. Throws when the boot script fails.
 */
export async function bootInSandbox(
  userData: RenderedUserData,
  bootEnv: NodeJS.ProcessEnv = {},
): Promise<SandboxedRunner | { kind: 'none'; reason: string }> {
  if (userData.kind === 'none') return userData;
  const root = mkdtempSync(join(tmpdir(), 'upstream-runner-'));
  mkdirSync(join(root, 'var', 'log'), { recursive: true });
  const script = SANDBOXED.reduce((text, prefix) => text.replaceAll(prefix, `${root}${prefix}`), userData.script);
  const scriptPath = join(root, 'user-data.sh');
  writeFileSync(scriptPath, script);
  const result = await run('bash', ['-e', scriptPath], { PATH: process.env.PATH, HOME: root, ...bootEnv }, root);
  if (result.code !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`the user data stand-in failed (exit ${result.code}):\n${result.output}`);
  }
  const envPath = inSandbox(root, HOOK_PATHS.envFile);
  const envFile = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '';
  const env = effectiveRunnerEnv(envFile);
  const hook = (key: string) => {
    const path = env[key];
    return path === undefined ? undefined : path;
  };
  const jobStarted = hook('ACTIONS_RUNNER_HOOK_JOB_STARTED');
  const jobCompleted = hook('ACTIONS_RUNNER_HOOK_JOB_COMPLETED');
  return {
    root,
    envFile,
    env,
    hooks: { ...(jobStarted ? { jobStarted } : {}), ...(jobCompleted ? { jobCompleted } : {}) },
    log: result.output,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Runs one hook the way the runner runs a `.sh` hook: with bash, `--noprofile --norc -e -o
 * pipefail` (actions/runner v2.336.0 src/Runner.Worker/Handlers/ScriptHandlerHelpers.cs and
 * src/Runner.Common/HostContext.cs `GetDefaultShellForScript`), plus the job's variables.
 */
export function runHook(path: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return run('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', path], env);
}
