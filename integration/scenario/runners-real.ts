/**
 * Real actions/runner processes on this machine, one per emulated instance: a copy of the
 * unpacked runner release per runner, started with its JIT config, the module's job hooks
 * installed, and an IMDS stand-in so the hooks tag the instance standing for the machine.
 * The processes start with a clean environment: none of the hosted job's GITHUB_*, RUNNER_*
 * or ACTIONS_* variables leak into them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLive } from './aws';
import { startImdsStandIn, type ImdsStandIn } from './imds';
import type { Instances, RunnerHost, RunnerProcess } from './ports';

export interface RealRunnerOptions {
  /** The unpacked actions/runner release (config.sh, run.sh, bin/). */
  runnerDir: string;
  /**
   * Where the job hooks come from: `dir` holds job-started.sh and job-completed.sh, set as
   * ACTIONS_RUNNER_HOOK_* in each runner's environment; `runner-env-file` means the
   * module's user-data snippet installed them and named them in `<runnerDir>/.env`, which
   * actions/runner's listener loads at start (src/Runner.Listener/Program.cs,
   * LoadAndSetEnv, checked at v2.336.0), as on a real runner instance.
   */
  hooks: { from: 'dir'; dir: string } | { from: 'runner-env-file' };
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
    await this.imds.close();
  }
}

export class RealRunnerHost implements RunnerHost {
  private readonly processes: RealRunner[] = [];

  constructor(private readonly opts: RealRunnerOptions) {}

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
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? dir,
      LANG: process.env.LANG ?? 'C.UTF-8',
      ...hookEnv,
      RUNNER_REAPER_IMDS_ENDPOINT: imds.url,
      AWS_REGION: awsRegion,
      AWS_DEFAULT_REGION: awsRegion,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...pickEnv(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']),
      ...(awsEndpointUrl ? { AWS_ENDPOINT_URL: awsEndpointUrl } : {}),
    };
    const log = openSync(join(logDir, `runner-${instanceId}.log`), 'a');
    const child = spawn(join(dir, 'run.sh'), ['--jitconfig', encodedJitConfig], {
      cwd: dir,
      env,
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    const runner = new RealRunner(instanceId, child, imds);
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
