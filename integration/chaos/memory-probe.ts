/**
 * The machine probe in the chaos world: the reaper's ProbePort (lambda/src/adapters/ports.ts)
 * answered by the simulated machines on the virtual clock.
 * - onlineInstances: the instances whose SSM agent is online (DescribeInstanceInformation);
 * - probe: one SendCommand per 50 instances, then each machine answers after a sampled
 *   latency with exactly what the probe script prints for its state
 *   (`RunnerMachine.probeAnswer`, parsed by the reaper's own `parseProbeOutput`), and the
 *   reaper polls ListCommandInvocations until every answer is in or the deadline passes.
 *   No answer by the deadline, a machine gone, or a failed command (sampled) is an error:
 *   the reaper must keep the instance.
 */
import type { ProbePort } from '../../lambda/src/adapters/ports';
import { parseProbeOutput } from '../../lambda/src/adapters/probe-answer';
import type { ProbeRead } from '../../lambda/src/core';
import type { RunnerMachine } from '../machine/runner-machine';
import type { VirtualClock } from '../twin/clock';
import type { VirtualTransport } from './transport';

/** What the probe can reach of one instance at this moment. */
export interface ProbeTarget {
  machine: RunnerMachine;
  /** The SSM agent is registered and the instance alive. */
  online: boolean;
}

export interface ProbeSpec {
  /** From SendCommand to the answer being readable, [min, max] ms (SSM Run Command takes 1-3 s). */
  answerMs: [number, number];
  /** Share of invocations that fail (agent hiccup, command error). */
  failureRate: number;
  /** How often the adapter reads the invocations back. */
  pollEveryMs: number;
  /** Deadline of one probe round (PROBE_TIMEOUT_SECONDS). */
  timeoutMs: number;
}

export const DEFAULT_PROBE: ProbeSpec = { answerMs: [600, 3000], failureRate: 0.01, pollEveryMs: 500, timeoutMs: 10_000 };

export interface ProbeCallCounts {
  describeInstanceInformation: number;
  sendCommand: number;
  listCommandInvocations: number;
  /** Instances asked, over all rounds. */
  probed: number;
  /** Of those, answers that were errors (timeout, machine gone, failed command). */
  errors: number;
}

/** SendCommand takes at most 50 instance ids. */
const SEND_BATCH = 50;

export class MemoryProbe implements ProbePort {
  readonly calls: ProbeCallCounts = { describeInstanceInformation: 0, sendCommand: 0, listCommandInvocations: 0, probed: 0, errors: 0 };

  constructor(
    private readonly clock: VirtualClock,
    private readonly transport: VirtualTransport,
    private readonly random: () => number,
    private readonly target: (instanceId: string) => ProbeTarget | undefined,
    private readonly spec: ProbeSpec = DEFAULT_PROBE,
  ) {}

  get total(): number {
    return this.calls.describeInstanceInformation + this.calls.sendCommand + this.calls.listCommandInvocations;
  }

  onlineInstances(ids: readonly string[]): Promise<ReadonlySet<string>> {
    return this.transport.call('read', () => {
      this.calls.describeInstanceInformation += Math.max(1, Math.ceil(ids.length / 50));
      return new Set(ids.filter((id) => this.target(id)?.online === true));
    });
  }

  async probe(ids: readonly string[]): Promise<Map<string, ProbeRead>> {
    const answers = new Map<string, ProbeRead>();
    if (ids.length === 0) return answers;
    const started = this.clock.now();
    const deadline = started + this.spec.timeoutMs;
    const batches = Math.ceil(ids.length / SEND_BATCH);
    const reached = await this.transport.call('write', () => {
      this.calls.sendCommand += batches;
      this.calls.probed += ids.length;
      // SSM only delivers to instances it has online now.
      return new Set(ids.filter((id) => this.target(id)?.online === true));
    });
    for (const id of ids) {
      if (!reached.has(id)) continue;
      const [lo, hi] = this.spec.answerMs;
      const latency = lo + (hi - lo) * this.random();
      const fails = this.random() < this.spec.failureRate;
      const answerAt = this.clock.now() + latency;
      // Too late: the adapter stops reading at the deadline, so this answer is never seen.
      if (answerAt > deadline) continue;
      // The machine prints its answer at answerAt, from its state at that moment.
      void this.clock.sleep(latency).then(() => {
        const target = this.target(id);
        if (fails) answers.set(id, { kind: 'error', error: 'the probe command failed on the instance' });
        else if (!target?.online) answers.set(id, { kind: 'error', error: 'the SSM agent went offline before answering' });
        else answers.set(id, parseProbeOutput(JSON.stringify(target.machine.probeAnswer(this.clock.now()))));
      });
    }
    // Poll until every answer is in (or the deadline): one ListCommandInvocations per batch per poll.
    const everyoneAnswered = () => [...reached].every((id) => answers.has(id));
    while (reached.size > 0 && this.clock.now() < deadline) {
      const wait = Math.min(this.spec.pollEveryMs, deadline - this.clock.now());
      await this.clock.sleep(wait);
      this.calls.listCommandInvocations += batches;
      if (everyoneAnswered()) break;
    }
    for (const id of ids) {
      if (answers.has(id)) continue;
      answers.set(id, { kind: 'error', error: reached.has(id) ? 'no probe answer before the deadline' : 'the instance is not online in SSM' });
    }
    for (const read of answers.values()) if (read.kind === 'error') this.calls.errors++;
    return answers;
  }
}
