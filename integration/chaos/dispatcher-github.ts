/**
 * The reaper's GitHubPort answered in-process by the twin's JobDispatcher: the same state
 * and switches the HTTP twin serves, without HTTP. Calls are counted per endpoint the way
 * GitHub would count requests (a listing costs one request per page of 100), and each one
 * takes a paced round trip on the virtual clock (transport.ts): the dispatcher answers
 * half-way through it.
 */
import type { GitHubPort } from '../../lambda/src/adapters/ports';
import type { DeleteOutcome, OwnerRef, RunnerRead, RunnerView } from '../../lambda/src/core';
import type { JobDispatcher, TwinRunner } from '../twin/dispatcher';
import type { VirtualTransport } from './transport';

export interface GitHubCallCounts {
  list: number;
  get: number;
  delete: number;
}

const PER_PAGE = 100;

export class DispatcherGitHub implements GitHubPort {
  readonly calls: GitHubCallCounts = { list: 0, get: 0, delete: 0 };

  constructor(
    private readonly dispatcher: JobDispatcher,
    private readonly transport: VirtualTransport,
  ) {}

  get total(): number {
    return this.calls.list + this.calls.get + this.calls.delete;
  }

  async listRunners(owner: OwnerRef): Promise<RunnerView[]> {
    // The first page fixes the answer (the fleets here fit a few pages); every page is a request.
    let runners: RunnerView[] = [];
    let pages = 1;
    for (let page = 0; page < pages; page++) {
      await this.transport.call('read', () => {
        this.calls.list++;
        if (page === 0) {
          runners = this.dispatcher.visibleRunners(owner).map((r) => this.view(r));
          pages = Math.max(1, Math.ceil(runners.length / PER_PAGE));
        }
      });
    }
    return runners;
  }

  getRunner(owner: OwnerRef, runnerId: number): Promise<RunnerRead> {
    return this.transport.call('read', (): RunnerRead => {
      this.calls.get++;
      const runner = this.dispatcher.getRunner(owner, runnerId);
      return runner ? { kind: 'found', runner: this.view(runner) } : { kind: 'gone' };
    });
  }

  deleteRunner(owner: OwnerRef, runnerId: number, sendWithinMs?: number): Promise<DeleteOutcome> {
    const late =
      sendWithinMs === undefined
        ? undefined
        : { at: this.transport.now() + sendWithinMs, answer: (): DeleteOutcome => ({ kind: 'not-sent', detail: 'its turn came after its deadline' }) };
    return this.transport.call('write', (): DeleteOutcome => {
      this.calls.delete++;
      const answer = this.dispatcher.deleteRunner(owner, runnerId);
      if (answer.status === 204) return { kind: 'deleted' };
      if (answer.status === 404) return { kind: 'gone' };
      // 422, and the 2021 500 "may be actively running a job": both are GitHub's refusal.
      return { kind: 'busy', detail: answer.message };
    }, late);
  }

  private view(r: TwinRunner): RunnerView {
    return {
      id: r.id,
      name: r.name,
      status: this.dispatcher.status(r),
      busy: this.dispatcher.busyFlag(r),
      labels: [...r.labels],
      os: r.os,
    };
  }
}
