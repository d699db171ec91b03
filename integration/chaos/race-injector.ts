/**
 * Makes races frequent: wraps a GitHubPort and, with a given probability, lands a job on
 * the runner just before or just after a GET or DELETE of it. That is the window every
 * reclaim strategy has to survive (a job assigned between "looks idle" and "terminated");
 * in a natural workload it is hit rarely, here it is hit on purpose.
 */
import type { GitHubPort } from '../../lambda/src/adapters/ports';
import type { DeleteOutcome, OwnerRef, RunnerRead, RunnerView } from '../../lambda/src/core';

export interface JobLander {
  /** Assigns a new job to the runner now if it is registered, free and alive; true if it did. */
  landOn(runnerId: number): boolean;
}

export class RaceInjector implements GitHubPort {
  landings = 0;

  constructor(
    private readonly inner: GitHubPort,
    private readonly lander: JobLander,
    private readonly random: () => number,
    /** Probability of a landing at each of the four points (before/after GET, before/after DELETE). */
    private readonly probability: number,
  ) {}

  listRunners(owner: OwnerRef): Promise<RunnerView[]> {
    return this.inner.listRunners(owner);
  }

  async getRunner(owner: OwnerRef, runnerId: number): Promise<RunnerRead> {
    this.maybeLand(runnerId);
    const read = await this.inner.getRunner(owner, runnerId);
    this.maybeLand(runnerId);
    return read;
  }

  async deleteRunner(owner: OwnerRef, runnerId: number, sendWithinMs?: number): Promise<DeleteOutcome> {
    this.maybeLand(runnerId);
    const outcome = await this.inner.deleteRunner(owner, runnerId, sendWithinMs);
    this.maybeLand(runnerId);
    return outcome;
  }

  private maybeLand(runnerId: number): void {
    if (this.random() >= this.probability) return;
    if (this.lander.landOn(runnerId)) this.landings++;
  }
}
