/**
 * In-memory ports for executor tests that need many instances, a recorded clock or
 * answers the SDK mock cannot shape: an Ec2Port over a map, a GitHubPort over a list of
 * runners, a ProbeRunPort over per-instance answers. Every call is logged with the
 * recorded clock's time, so a test can measure gaps (never wall time).
 */
import type { Ec2Port, GitHubPort, ProbeRunPort, TerminateResult } from '../../src/adapters/ports';
import type { DeleteOutcome, InstanceView, OwnerRef, ProbeRead, RunnerRead, RunnerView } from '../../src/core';
import { TAG } from '../../src/core';
import { ENVIRONMENT, ORG } from './fixtures';

/** A clock that only moves when told to. */
export class RecordedClock {
  constructor(private ms = Date.parse('2026-11-29T12:00:00Z')) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
  get time(): number {
    return this.ms;
  }
}

export interface CallRecord {
  at: number;
  call: string;
  ids: string[];
}

export function fleetTags(extra: Record<string, string> = {}, owner: OwnerRef = ORG): Record<string, string> {
  return {
    [TAG.application]: 'github-action-runner',
    [TAG.environment]: ENVIRONMENT,
    [TAG.owner]: owner.owner,
    [TAG.type]: owner.type,
    ...extra,
  };
}

export class MemoryEc2 implements Ec2Port {
  readonly instances = new Map<string, InstanceView>();
  readonly log: CallRecord[] = [];
  /** Change an answer before it is given (return undefined to answer normally). */
  describeHook?: (found: Map<string, InstanceView>) => Map<string, InstanceView> | undefined;
  /** Refuse a TerminateInstances call (the whole call, as EC2 does). */
  terminateHook?: (ids: readonly string[]) => TerminateResult | undefined;

  constructor(private readonly clock: RecordedClock) {}

  add(id: string, tags: Record<string, string> = fleetTags()): InstanceView {
    const instance: InstanceView = { id, state: 'running', launchTime: new Date('2026-11-29T10:00:00Z'), tags: { ...tags } };
    this.instances.set(id, instance);
    return instance;
  }

  tagsOf(id: string): Record<string, string> {
    return this.instances.get(id)!.tags as Record<string, string>;
  }

  calls(call: string): CallRecord[] {
    return this.log.filter((r) => r.call === call);
  }

  async listRunnerInstances() {
    return { instances: [...this.instances.values()], malformed: [] };
  }

  async describeByIds(ids: readonly string[]): Promise<Map<string, InstanceView>> {
    this.log.push({ at: this.clock.time, call: 'describe', ids: [...ids] });
    const found = new Map<string, InstanceView>();
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i) found.set(id, { ...i, tags: { ...i.tags } });
    }
    return this.describeHook?.(found) ?? found;
  }

  async setTags(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    this.log.push({ at: this.clock.time, call: 'setTags', ids: [...ids] });
    for (const id of ids) Object.assign(this.tagsOf(id), tags);
  }

  async removeTags(ids: readonly string[], keys: readonly string[]): Promise<void> {
    this.log.push({ at: this.clock.time, call: 'removeTags', ids: [...ids] });
    for (const id of ids) for (const key of keys) delete this.tagsOf(id)[key];
  }

  async terminate(ids: readonly string[]): Promise<TerminateResult> {
    this.log.push({ at: this.clock.time, call: 'terminate', ids: [...ids] });
    const refused = this.terminateHook?.(ids);
    if (refused) return refused;
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i) this.instances.set(id, { ...i, state: 'shutting-down' });
    }
    return { terminated: [...ids], failed: [] };
  }
}

export class MemoryGitHub implements GitHubPort {
  readonly runners = new Map<number, RunnerView>();
  readonly log: CallRecord[] = [];
  /** Wall time a DELETE takes on the recorded clock (the client's 400 ms write spacing). */
  deleteMs = 400;
  /** Wall time a GET takes on the recorded clock. */
  getMs = 0;
  deleteHook?: (runnerId: number) => DeleteOutcome | undefined;

  constructor(private readonly clock: RecordedClock) {}

  add(runner: RunnerView): RunnerView {
    this.runners.set(runner.id, runner);
    return runner;
  }

  count(call: string): number {
    return this.log.filter((r) => r.call === call).length;
  }

  async listRunners(_owner: OwnerRef): Promise<RunnerView[]> {
    this.log.push({ at: this.clock.time, call: 'list', ids: [] });
    return [...this.runners.values()];
  }

  async getRunner(_owner: OwnerRef, runnerId: number): Promise<RunnerRead> {
    this.log.push({ at: this.clock.time, call: 'get', ids: [String(runnerId)] });
    this.clock.advance(this.getMs);
    const runner = this.runners.get(runnerId);
    return runner ? { kind: 'found', runner: { ...runner } } : { kind: 'gone' };
  }

  /** The `sendWithinMs` each DELETE was given, in order. */
  readonly sendWithin: (number | undefined)[] = [];

  async deleteRunner(_owner: OwnerRef, runnerId: number, sendWithinMs?: number): Promise<DeleteOutcome> {
    this.sendWithin.push(sendWithinMs);
    this.log.push({ at: this.clock.time, call: 'delete', ids: [String(runnerId)] });
    this.clock.advance(this.deleteMs);
    const hooked = this.deleteHook?.(runnerId);
    if (hooked) return hooked;
    return this.runners.delete(runnerId) ? { kind: 'deleted' } : { kind: 'gone' };
  }
}

export class MemoryProbe implements ProbeRunPort {
  readonly answers = new Map<string, ProbeRead>();
  readonly rounds: string[][] = [];
  /** Wall time a round takes on the recorded clock. */
  roundMs = 0;

  constructor(private readonly clock: RecordedClock) {}

  async probe(ids: readonly string[]): Promise<Map<string, ProbeRead>> {
    this.rounds.push([...ids]);
    this.clock.advance(this.roundMs);
    const result = new Map<string, ProbeRead>();
    for (const id of ids) {
      const answer = this.answers.get(id);
      if (answer) result.set(id, answer);
    }
    return result;
  }
}

/** A recorded clock and the three in-memory ports on it, fresh for each test. */
export function memoryWorld(): { clock: RecordedClock; ec2: MemoryEc2; github: MemoryGitHub; probe: MemoryProbe } {
  const clock = new RecordedClock();
  return { clock, ec2: new MemoryEc2(clock), github: new MemoryGitHub(clock), probe: new MemoryProbe(clock) };
}
