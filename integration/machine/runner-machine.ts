/**
 * What is true on one runner machine, as the machine itself could tell it: whether the job
 * hooks are installed (and proven, the `ghr:job-hooks` marker), whether a job's Worker runs,
 * when the last one ended. Both simulated worlds drive this one model:
 * - integration/agents (real processes, moto, HTTP): the agent also makes it real on disk
 *   and in the process table (a `Runner.Worker` process while a job runs), and the SSM twin
 *   runs the real probe script against that;
 * - integration/chaos (in memory, virtual clock): the in-memory probe answers from it.
 * `probeAnswer()` is what the probe must print for this state: the real script
 * (modules/probe/scripts/probe.sh) is checked against it in
 * integration/test/agents/probe-model.test.ts, so the two worlds cannot drift apart.
 *
 * What the probe can tell, and so all this model holds (modules/probe/scripts/README.md):
 * - busy: a Runner.Worker process exists (the Listener starts one per job; it lives until
 *   the job, hooks included, is over);
 * - idleSince: the end of the last Worker (its log's last write), else the Listener's start
 *   (its log's name), else nothing;
 * - to the second: file times and log names carry whole seconds, so the answer does too.
 */
import { PROBE_ANSWER_VERSION, type ProbeAnswer } from '../../lambda/src/adapters/probe-answer';

export type HookInstall =
  /** Hooks installed and the effective .env calls them: the boot marker is written. */
  | 'proven'
  /** Hook scripts installed, but a later .env line replaced them (e.g. github-aws-runners' own hook lines). */
  | 'overridden'
  /** No hooks at all (prebuilt AMI, Windows, a fleet that never installed them). */
  | 'none';

export interface MachineSpec {
  hooks: HookInstall;
  /** The SSM agent runs and is registered, so the probe can reach the machine. */
  ssm: boolean;
}

export class RunnerMachine {
  /** World ms the runner's Listener started (undefined before it registered). */
  listenerStartedAt?: number;
  /** World ms the current job's Worker started (undefined when no job runs). */
  workerStartedAt?: number;
  /** World ms the last Worker ended. */
  lastWorkerEndedAt?: number;

  constructor(readonly spec: MachineSpec) {}

  /** Whether the hook scripts really run at job start and end. */
  get hooksRun(): boolean {
    return this.spec.hooks === 'proven';
  }

  listenerStarted(at: number): void {
    this.listenerStartedAt ??= at;
  }

  workerStarted(at: number): void {
    this.workerStartedAt = at;
  }

  workerEnded(at: number): void {
    this.workerStartedAt = undefined;
    this.lastWorkerEndedAt = at;
  }

  get busy(): boolean {
    return this.workerStartedAt !== undefined;
  }

  /** What the probe must answer at world time `now` (without its free-text `detail`). */
  probeAnswer(now: number): ProbeAnswer {
    const idleSince = this.busy ? undefined : (this.lastWorkerEndedAt ?? this.listenerStartedAt);
    return {
      probe: 'runner-reaper',
      version: PROBE_ANSWER_VERSION,
      busy: this.busy,
      workers: this.busy ? 1 : 0,
      idleSince: idleSince === undefined ? null : isoSecond(idleSince),
      now: isoSecond(now),
    };
  }
}

/** `2026-12-01T10:00:00Z`: the time to the whole second, as the probe prints it. */
export function isoSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
