/**
 * Transparent wrappers around the real adapters: every call goes through unchanged, and
 * what it returned (or threw) is recorded with the run's phase and the span of served
 * answers it covers. The oracle compares each result with what the fake services served,
 * so a misread answer is caught at the port where it happened.
 */
import type { Ec2Port, GitHubPort, InstanceListing, ProbePort, TerminateResult } from '../../src/adapters/ports';
import type { DeleteOutcome, InstanceView, OwnerRef, ProbeRead, RunnerRead, RunnerView } from '../../src/core';
import type { Phase, RunContext } from './run-context';

export type PortCall =
  | { port: 'github'; method: 'listRunners'; owner: OwnerRef; result?: RunnerView[]; error?: string }
  | { port: 'github'; method: 'getRunner'; owner: OwnerRef; runnerId: number; result: RunnerRead }
  | { port: 'github'; method: 'deleteRunner'; owner: OwnerRef; runnerId: number; result: DeleteOutcome }
  | { port: 'ec2'; method: 'listRunnerInstances'; result?: InstanceListing; error?: string }
  | { port: 'ec2'; method: 'describeByIds'; ids: string[]; result?: Map<string, InstanceView>; error?: string }
  | { port: 'ec2'; method: 'setTags' | 'removeTags'; ids: string[]; keys: string[]; error?: string }
  | { port: 'ec2'; method: 'terminate'; ids: string[]; result: TerminateResult }
  | { port: 'probe'; method: 'onlineInstances'; ids: string[]; result?: ReadonlySet<string>; error?: string }
  | { port: 'probe'; method: 'probe'; ids: string[]; result: Map<string, ProbeRead> };

/** GitHub's registrations as the truth had them when a listing call ended. */
export interface TruthRunner {
  id: number;
  name: string;
  busy: boolean;
}

export type RecordedCall = PortCall & { phase: Phase; from: number; to: number; threw?: boolean; truth?: TruthRunner[] };

function text(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class PortRecorder {
  readonly calls: RecordedCall[] = [];
  /**
   * Probe rounds go one at a time here. The scale-down executor looks at the next window
   * while an earlier one is re-checked, so two rounds can overlap, and with a duplicated
   * instance (ec2-dup-*) both can ask the same machine: the oracle tells the answers apart
   * by the span of each call, which only works when rounds do not overlap.
   */
  private probeRounds: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: RunContext,
    /** Called as each call ends (the harness attaches the truth of that moment). */
    private readonly onCall: (call: RecordedCall) => void = () => {},
  ) {}

  private async record<T>(call: (result: T | undefined, error: string | undefined) => PortCall, work: () => Promise<T>): Promise<T> {
    const phase = this.ctx.phase;
    const from = this.ctx.seq();
    try {
      const result = await work();
      this.push({ ...call(result, undefined), phase, from, to: this.ctx.seq() });
      return result;
    } catch (error) {
      this.push({ ...call(undefined, text(error)), phase, from, to: this.ctx.seq(), threw: true });
      throw error;
    }
  }

  private push(call: RecordedCall): void {
    this.onCall(call);
    this.calls.push(call);
  }

  github(inner: GitHubPort): GitHubPort {
    return {
      ...(inner.timing ? { timing: inner.timing } : {}),
      listRunners: (owner) =>
        this.record(
          (result, error) => ({ port: 'github', method: 'listRunners', owner, ...(result ? { result } : {}), ...(error ? { error } : {}) }),
          () => inner.listRunners(owner),
        ),
      getRunner: (owner, runnerId) =>
        this.record((result) => ({ port: 'github', method: 'getRunner', owner, runnerId, result: result ?? { kind: 'error', error: 'threw' } }), () => inner.getRunner(owner, runnerId)),
      deleteRunner: (owner, runnerId, sendWithinMs) =>
        this.record(
          (result) => ({ port: 'github', method: 'deleteRunner', owner, runnerId, result: result ?? { kind: 'error', error: 'threw' } }),
          () => inner.deleteRunner(owner, runnerId, sendWithinMs),
        ),
    };
  }

  ec2(inner: Ec2Port): Ec2Port {
    return {
      listRunnerInstances: (environments) =>
        this.record(
          (result, error) => ({ port: 'ec2', method: 'listRunnerInstances', ...(result ? { result } : {}), ...(error ? { error } : {}) }),
          () => inner.listRunnerInstances(environments),
        ),
      describeByIds: (ids) =>
        this.record(
          (result, error) => ({ port: 'ec2', method: 'describeByIds', ids: [...ids], ...(result ? { result } : {}), ...(error ? { error } : {}) }),
          () => inner.describeByIds(ids),
        ),
      setTags: (ids, tags) =>
        this.record(
          (_r, error) => ({ port: 'ec2', method: 'setTags', ids: [...ids], keys: Object.keys(tags), ...(error ? { error } : {}) }),
          () => inner.setTags(ids, tags),
        ),
      removeTags: (ids, keys) =>
        this.record(
          (_r, error) => ({ port: 'ec2', method: 'removeTags', ids: [...ids], keys: [...keys], ...(error ? { error } : {}) }),
          () => inner.removeTags(ids, keys),
        ),
      terminate: (ids) =>
        this.record((result) => ({ port: 'ec2', method: 'terminate', ids: [...ids], result: result ?? { terminated: [], failed: [] } }), () => inner.terminate(ids)),
    };
  }

  probe(inner: ProbePort): ProbePort {
    return {
      onlineInstances: (ids) =>
        this.record(
          (result, error) => ({ port: 'probe', method: 'onlineInstances', ids: [...ids], ...(result ? { result } : {}), ...(error ? { error } : {}) }),
          () => inner.onlineInstances(ids),
        ),
      probe: (ids) => {
        const round = this.probeRounds.then(() =>
          this.record((result) => ({ port: 'probe', method: 'probe', ids: [...ids], result: result ?? new Map() }), () => inner.probe(ids)),
        );
        this.probeRounds = round.catch(() => undefined);
        return round;
      },
    };
  }
}
