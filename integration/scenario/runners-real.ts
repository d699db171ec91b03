/**
 * Real actions/runner processes on this machine, one per emulated instance: a copy of the
 * unpacked runner release per runner, started with its JIT config, the module's job hooks
 * installed, and an IMDS stand-in so the hooks tag the instance standing for the machine.
 * The processes start with a clean environment: none of the hosted job's GITHUB_*, RUNNER_*
 * or ACTIONS_* variables leak into them.
 *
 * With the hooks from the user-data snippet, each instance also boots as a runner instance
 * does: the snippet's boot check (modules/runner-hooks/scripts/check-hooks.sh, started the
 * way the snippet starts it) runs for that instance, before its runner. It waits for that
 * runner copy's Runner.Listener, reads that copy's effective .env, and tags the instance
 * `ghr:job-hooks` through the instance's IMDS stand-in, as on EC2. What differs from an
 * instance, and why: the two machine-specific paths of the check's configuration (this
 * copy's .env instead of the one the snippet wrote to, since every runner here needs a
 * directory of its own; a log file under the report directory, since /var/log is not
 * writable here); everything else (the accepted digests, the contract version, the wait)
 * is as Terraform rendered it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLive } from './aws';
import { startImdsStandIn, type ImdsStandIn } from './imds';
import type { Instances, RunnerEvidence, RunnerHost, RunnerProcess } from './ports';

/** The boot check the module's user-data snippet starts: its script and its configuration. */
export interface BootCheck {
  script: string;
  config: string;
}

export interface RealRunnerOptions {
  /** The unpacked actions/runner release (config.sh, run.sh, bin/). */
  runnerDir: string;
  /**
   * Where the job hooks come from: `dir` holds job-started.sh and job-completed.sh, set as
   * ACTIONS_RUNNER_HOOK_* in each runner's environment; `runner-env-file` means the
   * module's user-data snippet installed them and named them in `<runnerDir>/.env`, which
   * actions/runner's listener loads at start (src/Runner.Listener/Program.cs,
   * LoadAndSetEnv, checked at v2.336.0), as on a real runner instance, and each instance
   * runs the snippet's boot check (`bootCheck`, see `bootCheckOf`).
   */
  hooks: { from: 'dir'; dir: string } | { from: 'runner-env-file'; bootCheck: BootCheck };
  /** Scratch space: one runner copy per instance, and their logs under report/. */
  workDir: string;
  awsRegion: string;
  awsEndpointUrl?: string;
}

class RealRunner implements RunnerProcess {
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(
    readonly instanceId: string,
    private readonly child: ChildProcess,
    private readonly imds: ImdsStandIn,
    private readonly check?: StartedCheck,
  ) {
    this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exit.then(() => {
      this.exited = true;
    });
  }

  running(): boolean {
    return !this.exited;
  }

  async stop(): Promise<void> {
    if (!this.exited && this.child.pid) {
      // run.sh starts Runner.Listener, which starts Runner.Worker: signal the whole group.
      signalGroup(this.child.pid, 'SIGTERM');
      const stopped = await Promise.race([this.exit.then(() => true), delay(15_000).then(() => false)]);
      if (!stopped) signalGroup(this.child.pid, 'SIGKILL');
      await Promise.race([this.exit, delay(5_000)]);
    }
    // A check still waiting for a listener that never came would wait out its bound.
    if (this.check) stopCheck(this.check);
    await this.imds.close();
  }

  bootCheckVerdict(): string | undefined {
    return this.check ? lastVerdict(this.check.logFile) : undefined;
  }
}

export class RealRunnerHost implements RunnerHost {
  private readonly processes: RealRunner[] = [];
  readonly evidence: RunnerEvidence;

  constructor(private readonly opts: RealRunnerOptions) {
    this.evidence =
      opts.hooks.from === 'runner-env-file'
        ? { source: 'hooks', how: "the user-data snippet's hooks in the runner's .env, and its boot check run for each instance on that instance's runner copy" }
        : { source: 'none', how: 'hooks set in the runner\'s environment: they run, but no boot check can prove it (it reads the .env), so no instance carries ghr:job-hooks' };
  }

  bootCheckVerdict(instanceId: string): string | undefined {
    return this.processes.find((p) => p.instanceId === instanceId)?.bootCheckVerdict();
  }

  async start(instanceId: string, encodedJitConfig: string): Promise<RunnerProcess> {
    const { runnerDir, hooks, workDir, awsRegion, awsEndpointUrl } = this.opts;
    const hookEnv: Record<string, string> =
      hooks.from === 'dir'
        ? { ACTIONS_RUNNER_HOOK_JOB_STARTED: join(hooks.dir, 'job-started.sh'), ACTIONS_RUNNER_HOOK_JOB_COMPLETED: join(hooks.dir, 'job-completed.sh') }
        : (checkInstalledHooks(runnerDir), {});
    const dir = join(workDir, 'runners', instanceId);
    const logDir = join(workDir, 'report');
    mkdirSync(join(workDir, 'runners'), { recursive: true });
    mkdirSync(logDir, { recursive: true });
    // A runner keeps its identity in its directory: every runner needs its own copy.
    const copy = spawnSync('cp', ['-a', runnerDir, dir], { encoding: 'utf8' });
    if (copy.status !== 0) throw new Error(`copying ${runnerDir} to ${dir} failed: ${copy.stderr}`);

    const imds = await startImdsStandIn(instanceId, awsRegion);
    // What the instance's own processes see: its IMDS, and AWS (LocalStack or moto).
    const machineEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? dir,
      LANG: process.env.LANG ?? 'C.UTF-8',
      RUNNER_REAPER_IMDS_ENDPOINT: imds.url,
      AWS_REGION: awsRegion,
      AWS_DEFAULT_REGION: awsRegion,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...pickEnv(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']),
      ...(awsEndpointUrl ? { AWS_ENDPOINT_URL: awsEndpointUrl } : {}),
    };
    let check: StartedCheck | undefined;
    try {
      // As on an instance: the user data starts the check in the background, then the runner starts.
      if (hooks.from === 'runner-env-file') check = await startBootCheck(hooks.bootCheck, { instanceId, runnerCopy: dir, workDir, logDir, env: machineEnv });
    } catch (error) {
      await imds.close();
      throw error;
    }
    const env = { ...machineEnv, ...hookEnv };
    const log = openSync(join(logDir, `runner-${instanceId}.log`), 'a');
    const child = spawn(join(dir, 'run.sh'), ['--jitconfig', encodedJitConfig], {
      cwd: dir,
      env,
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    const runner = new RealRunner(instanceId, child, imds, check);
    this.processes.push(runner);
    return runner;
  }

  async sweep(instances: Instances): Promise<void> {
    for (const p of this.processes) {
      if (p.running() && !isLive((await instances.describe(p.instanceId)).state)) await p.stop();
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}

/**
 * Fails before any runner starts when the user-data snippet did not leave both hooks in
 * the runner's .env, installed and executable (each runner copy inherits that .env).
 */
export function checkInstalledHooks(runnerDir: string): { started: string; completed: string } {
  const envFile = join(runnerDir, '.env');
  if (!existsSync(envFile)) throw new Error(`SCENARIO_HOOKS=installed, but ${envFile} does not exist: run the module's user-data snippet first`);
  const vars = new Map(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)
      .filter(([key]) => key.length > 0),
  );
  const hook = (name: string): string => {
    const path = vars.get(name);
    if (!path) throw new Error(`${envFile} does not set ${name}: the user-data snippet did not install the hooks`);
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new Error(`${name}=${path} in ${envFile} is not an executable file`);
    }
    return path;
  };
  return { started: hook('ACTIONS_RUNNER_HOOK_JOB_STARTED'), completed: hook('ACTIONS_RUNNER_HOOK_JOB_COMPLETED') };
}

/**
 * Finds the boot check in the module's user-data snippet: the line that starts it,
 * `sh '<check-hooks.sh>' --background '<check-hooks.conf>'` (modules/runner-hooks/main.tf).
 */
export function bootCheckOf(userData: string): BootCheck {
  const match = /^sh '([^']+)' --background '([^']+)'/m.exec(userData);
  if (!match) throw new Error("the runner hooks' user data starts no boot check (no line `sh '<check-hooks.sh>' --background '<config>'`)");
  return { script: match[1]!, config: match[2]! };
}

interface StartedCheck {
  script: string;
  logFile: string;
  /** The backgrounded check's pid (its own session and process group, via setsid). */
  pid?: number;
}

/** The settings of the check's configuration that name this machine's paths. */
const MACHINE_PATH_SETTINGS = ['RUNNER_ENV_FILE', 'LOG_FILE'] as const;

/**
 * Writes the instance's check configuration (Terraform's, with this copy's .env and a log
 * file of its own) and starts the check the way the user data does; resolves once it runs
 * in the background.
 */
async function startBootCheck(
  check: BootCheck,
  machine: { instanceId: string; runnerCopy: string; workDir: string; logDir: string; env: Record<string, string> },
): Promise<StartedCheck> {
  let rendered: string;
  try {
    rendered = readFileSync(check.config, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the boot check's configuration ${check.config} (run the module's user-data snippet first): ${(error as Error).message}`);
  }
  const logFile = join(machine.logDir, `hook-check-${machine.instanceId}.log`);
  const values: Record<(typeof MACHINE_PATH_SETTINGS)[number], string> = { RUNNER_ENV_FILE: join(machine.runnerCopy, '.env'), LOG_FILE: logFile };
  const lines = rendered.split('\n');
  for (const key of MACHINE_PATH_SETTINGS) {
    const at = lines.findIndex((line) => line.startsWith(`${key}=`));
    if (at < 0) throw new Error(`the boot check's configuration ${check.config} sets no ${key}`);
    if (values[key].includes("'")) throw new Error(`${key} would be ${values[key]}: a path with a single quote cannot go in the check's configuration`);
    lines[at] = `${key}='${values[key]}'`;
  }
  const config = join(machine.workDir, 'runners', `${machine.instanceId}.check-hooks.conf`);
  writeFileSync(config, lines.join('\n'));
  const started = spawnSync('sh', [check.script, '--background', config], { env: machine.env, encoding: 'utf8', timeout: 30_000 });
  if (started.status !== 0) throw new Error(`the boot check did not start for ${machine.instanceId} (exit ${started.status}): ${started.stderr || started.stdout}`);
  const pid = /\(pid (\d+)\)/.exec(started.stdout)?.[1];
  return { script: check.script, logFile, ...(pid ? { pid: Number(pid) } : {}) };
}

/** Ends a check that still runs (its process group), never another process that took its pid. */
function stopCheck(check: StartedCheck): void {
  if (check.pid === undefined) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${check.pid}/cmdline`, 'utf8');
  } catch {
    return; // Ended on its own.
  }
  if (cmdline.split('\0').includes(check.script)) signalGroup(check.pid, 'SIGTERM');
}

/** The check's verdict (its `verified` / `not verified` line), else what it said last. */
function lastVerdict(logFile: string): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.trim().length > 0);
  } catch {
    return undefined;
  }
  const latest = (pattern: RegExp) => [...lines].reverse().find((line) => pattern.test(line));
  const verdict = latest(/hook check: (verified|not verified)/);
  if (verdict) return verdict;
  const said = latest(/^runner-reaper hook check: /) ?? lines.at(-1);
  return said === undefined ? undefined : `no verdict yet; last: ${said}`;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function pickEnv(names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value) out[name] = value;
  }
  return out;
}

/** A bound that never keeps the process alive by itself. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
