/**
 * A runner machine made real on this host, for the SSM twin to probe: the RunnerMachine
 * model's state written where the runner writes it, and a real `Runner.Worker` process
 * while a job runs.
 *
 * Each machine is its own pid and mount namespace (`unshare`): inside it, its runner root
 * is mounted at `/opt/actions-runner` (github-aws-runners' Linux path, the probe's
 * default) and its process table holds only its own processes, so the probe script runs
 * there exactly as on an instance and sees its own Worker only. The namespace's first
 * process is a small shell that starts and stops the Worker when told on its stdin; when
 * that pipe closes (destroy, or this Node process dying), it exits and the kernel kills
 * everything left in the namespace: no Runner.Worker outlives its machine.
 *
 * What it writes (what the probe reads, modules/probe/scripts/README.md):
 * - `bin/Runner.Worker`: a copy of `sleep`, started as `<root>/bin/Runner.Worker infinity`
 *   (comm, argv[0] and /proc/<pid>/exe all name it, as for the real Worker);
 * - `_diag/Runner_<yyyyMMdd-HHmmss>-utc.log` when the Listener starts;
 * - `_diag/Worker_<yyyyMMdd-HHmmss>-utc.log` when a Worker starts, last written (mtime)
 *   when it ends;
 * - `.env` with the hook lines of the install (proven, overridden or none).
 * File times are the model's (world) times: use a clock that does not run ahead of wall
 * time (the world's RealClock), or the probe's own `now` would precede them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, appendFileSync, chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RunnerMachine, type MachineSpec } from './runner-machine';

/** Where the runner root is mounted inside every machine (the probe's default root). */
export const MACHINE_RUNNER_ROOT = '/opt/actions-runner';

/** The PATH a probe gets inside a machine (the SSM agent's environment is as bare). */
export const MACHINE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ScriptRun {
  /** Exit code; null when killed (timeout, or the machine went away). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunScriptOptions {
  /** Kill the script after this many ms (default 30 s). */
  timeoutMs?: number;
  /** Variables beside PATH and HOME (the SSM agent passes few). */
  env?: Record<string, string>;
}

const INIT_SCRIPT = `
set -e
mount -t tmpfs -o mode=755 runner-reaper-machine /opt
mkdir -p ${MACHINE_RUNNER_ROOT}
mount --bind "$MACHINE_HOST_ROOT" ${MACHINE_RUNNER_ROOT}
set +e
echo ready
worker=
while IFS= read -r command; do
  case $command in
    start)
      ${MACHINE_RUNNER_ROOT}/bin/Runner.Worker infinity </dev/null >/dev/null 2>&1 &
      worker=$!
      echo "started $worker" ;;
    stop)
      if [ -n "$worker" ]; then kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null; worker=; fi
      echo stopped ;;
    *) echo "unknown $command" ;;
  esac
done
`;

export interface LocalMachineOptions {
  instanceId: string;
  spec: MachineSpec;
  /** A directory of its own is made below it (`<baseDir>/<instanceId>`). */
  baseDir: string;
}

export class LocalMachine {
  readonly model: RunnerMachine;
  readonly instanceId: string;
  /** This machine's directory on the host. */
  readonly dir: string;
  /** The runner root on the host (mounted at MACHINE_RUNNER_ROOT inside). */
  readonly runnerRoot: string;
  private init?: ChildProcess;
  private initPid?: number;
  private lines: string[] = [];
  private waiters: ((line: string) => void)[] = [];
  private workerLog?: string;
  private scripts = 0;
  private destroyed = false;
  private readonly running = new Set<ChildProcess>();

  constructor(opts: LocalMachineOptions) {
    this.instanceId = opts.instanceId;
    this.model = new RunnerMachine(opts.spec);
    this.dir = join(opts.baseDir, opts.instanceId);
    this.runnerRoot = join(this.dir, 'actions-runner');
  }

  get alive(): boolean {
    return this.init !== undefined && !this.destroyed && this.init.exitCode === null && this.init.signalCode === null;
  }

  /** Lays out the runner root and starts the machine's namespace. */
  async boot(): Promise<void> {
    if (this.init) return;
    mkdirSync(join(this.runnerRoot, 'bin'), { recursive: true });
    mkdirSync(join(this.runnerRoot, '_diag'), { recursive: true });
    mkdirSync(join(this.dir, 'ssm'), { recursive: true });
    const worker = join(this.runnerRoot, 'bin', 'Runner.Worker');
    copyFileSync(sleepBinary(), worker);
    chmodSync(worker, 0o755);
    writeFileSync(join(this.runnerRoot, '.env'), envFile(this.model.spec));

    const child = spawn('unshare', [...namespaceFlags(), '--pid', '--fork', '--mount-proc', 'sh', '-c', INIT_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: MACHINE_PATH, MACHINE_HOST_ROOT: this.runnerRoot },
    });
    this.init = child;
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    let buffered = '';
    child.stdout!.on('data', (b: Buffer) => {
      buffered += b.toString();
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
    child.stdin!.on('error', () => undefined);
    const exited = new Promise<string>((resolve) => child.once('exit', (code) => resolve(`the machine's namespace exited (${code}): ${stderr.trim()}`)));
    const failed = new Promise<string>((resolve) => child.once('error', (err) => resolve(`unshare could not start: ${err.message}`)));
    const first = await Promise.race([this.nextLine(), exited, failed]);
    if (first !== 'ready') {
      this.init = undefined;
      throw new Error(`${this.instanceId}: ${first}. The local machines need Linux namespaces (util-linux unshare/nsenter; root, or unprivileged user namespaces)`);
    }
    this.initPid = namespaceInitPid(child.pid!);
  }

  /** The runner's Listener starts (at world ms `at`): its log appears in `_diag`. */
  listenerStarted(at: number): void {
    this.model.listenerStarted(at);
    if (this.destroyed) return;
    const file = join(this.runnerRoot, '_diag', `Runner_${logStamp(at)}-utc.log`);
    appendFileSync(file, `[${traceTime(at)} INFO Runner] Listening for Jobs (runner-reaper local machine ${this.instanceId})\n`);
    setMtime(file, at);
  }

  /** A job's Worker starts: a real Runner.Worker process and its log. */
  async workerStarted(at: number): Promise<void> {
    this.model.workerStarted(at);
    if (!this.alive) return;
    this.workerLog = join(this.runnerRoot, '_diag', `Worker_${logStamp(at)}-utc.log`);
    appendFileSync(this.workerLog, `[${traceTime(at)} INFO Worker] Job message received\n`);
    setMtime(this.workerLog, at);
    const answer = await this.command('start');
    if (!answer.startsWith('started ')) throw new Error(`${this.instanceId}: could not start Runner.Worker (${answer})`);
  }

  /** The Worker ends: its process exits, its log's last write is `at`. */
  async workerEnded(at: number): Promise<void> {
    this.model.workerEnded(at);
    if (!this.alive) return;
    await this.command('stop');
    if (this.workerLog) {
      appendFileSync(this.workerLog, `[${traceTime(at)} INFO Worker] Job completed\n`);
      setMtime(this.workerLog, at);
      this.workerLog = undefined;
    }
  }

  /**
   * Runs a shell script inside the machine (its namespaces, a bare environment, as the SSM
   * agent runs a document's commands: written to a file, run with `sh`).
   */
  runScript(script: string, opts: RunScriptOptions = {}): Promise<ScriptRun> {
    if (!this.alive || this.initPid === undefined) return Promise.reject(new Error(`${this.instanceId}: the machine is not running`));
    const file = join(this.dir, 'ssm', `script-${++this.scripts}.sh`);
    writeFileSync(file, script, { mode: 0o700 });
    const env = { PATH: MACHINE_PATH, HOME: '/root', ...(opts.env ?? {}) };
    const args = ['-t', String(this.initPid), ...enterFlags(), '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', file];
    return new Promise((resolve) => {
      const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.running.add(child);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, opts.timeoutMs ?? 30_000);
      const done = (code: number | null) => {
        clearTimeout(timer);
        this.running.delete(child);
        rmSync(file, { force: true });
        resolve({ code, stdout, stderr, timedOut });
      };
      child.once('error', (err) => {
        stderr += err.message;
        done(null);
      });
      child.once('close', (code) => done(code));
    });
  }

  /** Ends the machine: the namespace and everything in it (its Worker too), and its files. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const child of this.running) killGroup(child);
    const init = this.init;
    if (init && init.exitCode === null && init.signalCode === null) {
      const exited = new Promise<void>((resolve) => init.once('exit', () => resolve()));
      init.stdin!.end();
      const timer = setTimeout(() => init.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async command(command: string): Promise<string> {
    const reply = this.nextLine();
    this.init!.stdin!.write(`${command}\n`);
    // One exit listener per command, removed once the command is answered (a long-lived
    // machine answers many commands).
    let onExit: (() => void) | undefined;
    const gone = new Promise<string>((resolve) => {
      onExit = () => resolve('machine gone');
      this.init!.once('exit', onExit);
    });
    try {
      return await Promise.race([reply, gone]);
    } finally {
      this.init?.off('exit', onExit!);
    }
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The hook lines of the runner's `.env` for an install (the last line for a key wins). */
function envFile(spec: MachineSpec): string {
  const ours = ['ACTIONS_RUNNER_HOOK_JOB_STARTED=/opt/runner-reaper/hooks/job-started.sh', 'ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/opt/runner-reaper/hooks/job-completed.sh'];
  const theirs = [`ACTIONS_RUNNER_HOOK_JOB_STARTED=${MACHINE_RUNNER_ROOT}/hook_job_started.sh`, `ACTIONS_RUNNER_HOOK_JOB_COMPLETED=${MACHINE_RUNNER_ROOT}/hook_job_completed.sh`];
  const lines = ['LANG=C.UTF-8', ...(spec.hooks === 'none' ? [] : ours), ...(spec.hooks === 'overridden' ? theirs : [])];
  return lines.join('\n') + '\n';
}

function namespaceFlags(): string[] {
  return isRoot() ? [] : ['--user', '--map-root-user'];
}

function enterFlags(): string[] {
  return ['--pid', '--mount', ...(isRoot() ? [] : ['--user', '--preserve-credentials'])];
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The host pid of the namespace's first process: unshare's only child. */
function namespaceInitPid(unsharePid: number): number {
  const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`expected one process in the new namespace, found ${children.length}`);
  return Number(children[0]);
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let sleepPath: string | undefined;
function sleepBinary(): string {
  if (sleepPath) return sleepPath;
  for (const dir of (process.env.PATH ?? MACHINE_PATH).split(delimiter)) {
    const candidate = join(dir, 'sleep');
    try {
      accessSync(candidate, fsConstants.X_OK);
      return (sleepPath = candidate);
    } catch {
      // not in this directory
    }
  }
  throw new Error('no sleep binary on PATH (coreutils) for the Runner.Worker stand-in');
}

/** `yyyyMMdd-HHmmss` in UTC, the runner's log file stamp. */
export function logStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function traceTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function setMtime(file: string, ms: number): void {
  const t = new Date(ms);
  utimesSync(file, t, t);
}
