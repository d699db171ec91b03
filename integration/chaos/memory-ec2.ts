/**
 * An in-memory EC2 for the chaos runs: runner instances with tags and states, implementing
 * the reaper's Ec2Port, plus the writes a runner's job hooks make on its own instance.
 *
 * Terminating an instance moves it to `shutting-down` and tells the world at once, so the
 * runner agent on it dies and its job (if any) is recorded as killed in the ledger. With a
 * transport, each call takes a round trip on the virtual clock and EC2 acts half-way.
 */
import type { Ec2Port, InstanceListing, TerminateResult } from '../../lambda/src/adapters/ports';
import { RUNNER_APPLICATION, TAG, type InstanceView } from '../../lambda/src/core';
import type { VirtualTransport } from './transport';

type State = InstanceView['state'];

interface MemoryInstance {
  id: string;
  state: State;
  launchTime: Date;
  tags: Record<string, string>;
}

export interface Ec2CallCounts {
  describe: number;
  createTags: number;
  deleteTags: number;
  terminate: number;
}

/** EC2 pages DescribeInstances at 1,000 results and tag/terminate calls at 1,000 ids. */
const PAGE = 1000;
const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE));

export class MemoryEc2 implements Ec2Port {
  readonly calls: Ec2CallCounts = { describe: 0, createTags: 0, deleteTags: 0, terminate: 0 };
  private readonly instances = new Map<string, MemoryInstance>();
  private nextId = 1;

  constructor(
    private readonly now: () => number,
    /** Called once per instance leaving pending/running through TerminateInstances. */
    private readonly onTerminated: (instanceId: string) => void,
    private readonly transport?: VirtualTransport,
  ) {}

  private call<T>(kind: 'read' | 'write', act: () => T): Promise<T> {
    return this.transport ? this.transport.call(kind, act) : Promise.resolve().then(act);
  }

  // ------------------------------------------------------------ the world's side
  launch(tags: Record<string, string>): string {
    const id = `i-${(this.nextId++).toString(16).padStart(17, '0')}`;
    this.instances.set(id, { id, state: 'pending', launchTime: new Date(this.now()), tags: { ...tags } });
    return id;
  }

  setState(id: string, state: State): void {
    const instance = this.instances.get(id);
    if (instance) instance.state = state;
  }

  stateOf(id: string): State | undefined {
    return this.instances.get(id)?.state;
  }

  isAlive(id: string): boolean {
    const state = this.stateOf(id);
    return state === 'pending' || state === 'running';
  }

  /** A job hook's CreateTags/DeleteTags from the instance itself (a dead machine writes nothing). */
  hookWrite(id: string, set: Record<string, string>, remove: string[] = []): void {
    const instance = this.instances.get(id);
    if (!instance || !this.isAlive(id)) return;
    for (const key of remove) delete instance.tags[key];
    Object.assign(instance.tags, set);
  }

  tagsOf(id: string): Readonly<Record<string, string>> | undefined {
    return this.instances.get(id)?.tags;
  }

  launchTimeOf(id: string): number | undefined {
    return this.instances.get(id)?.launchTime.getTime();
  }

  /** The world's own termination (the oracle's): no API call, counted nowhere. */
  terminateNow(id: string): void {
    const instance = this.instances.get(id);
    if (!instance || !this.isAlive(id)) return;
    instance.state = 'shutting-down';
    this.onTerminated(id);
  }

  // ------------------------------------------------------------ Ec2Port
  listRunnerInstances(environments: readonly string[]): Promise<InstanceListing> {
    return this.call('read', () => this.listNow(environments));
  }

  private listNow(environments: readonly string[]): InstanceListing {
    const instances = [...this.instances.values()]
      .filter(
        (i) =>
          (i.state === 'pending' || i.state === 'running') &&
          environments.includes(i.tags[TAG.environment] ?? '') &&
          i.tags[TAG.application] === RUNNER_APPLICATION,
      )
      .map(view);
    this.calls.describe += pages(instances.length);
    return { instances, malformed: [] };
  }

  describeByIds(ids: readonly string[]): Promise<Map<string, InstanceView>> {
    return this.call('read', () => this.describeNow(ids));
  }

  private describeNow(ids: readonly string[]): Map<string, InstanceView> {
    this.calls.describe += pages(ids.length);
    const found = new Map<string, InstanceView>();
    for (const id of ids) {
      const instance = this.instances.get(id);
      if (instance) found.set(id, view(instance));
    }
    return found;
  }

  setTags(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    return this.call('write', () => {
      this.calls.createTags += pages(ids.length);
      for (const id of ids) {
        const instance = this.instances.get(id);
        if (instance) Object.assign(instance.tags, tags);
      }
    });
  }

  removeTags(ids: readonly string[], keys: readonly string[]): Promise<void> {
    return this.call('write', () => {
      this.calls.deleteTags += pages(ids.length);
      for (const id of ids) {
        const instance = this.instances.get(id);
        if (instance) for (const key of keys) delete instance.tags[key];
      }
    });
  }

  terminate(ids: readonly string[]): Promise<TerminateResult> {
    return this.call('write', () => this.terminateIds(ids));
  }

  private terminateIds(ids: readonly string[]): TerminateResult {
    this.calls.terminate += pages(ids.length);
    const terminated: string[] = [];
    const failed: TerminateResult['failed'] = [];
    for (const id of ids) {
      const instance = this.instances.get(id);
      if (!instance) {
        failed.push({ instanceId: id, error: 'InvalidInstanceID.NotFound' });
        continue;
      }
      terminated.push(id);
      if (instance.state === 'pending' || instance.state === 'running') {
        instance.state = 'shutting-down';
        this.onTerminated(id);
      }
    }
    return { terminated, failed };
  }
}

function view(i: MemoryInstance): InstanceView {
  return { id: i.id, state: i.state, launchTime: new Date(i.launchTime), tags: { ...i.tags } };
}
