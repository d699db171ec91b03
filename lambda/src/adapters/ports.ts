/**
 * The two ports the executors and handlers talk through. The EC2 and GitHub adapters
 * implement them; tests can implement them too. Every method either answers or throws:
 * classification into keep/act is the executors' job, never the adapters'.
 */
import type { DeleteOutcome, InstanceView, OwnerRef, RunnerRead, RunnerView } from '../core';

/** An instance EC2 described but the reaper cannot read safely (never acted on). */
export interface MalformedInstance {
  instanceId?: string;
  problem: string;
}

export interface InstanceListing {
  instances: InstanceView[];
  malformed: MalformedInstance[];
}

export interface TerminateResult {
  terminated: string[];
  failed: { instanceId: string; error: string }[];
}

export interface Ec2Port {
  /** Runner instances of one environment in state pending or running, all pages. */
  listRunnerInstances(environment: string): Promise<InstanceListing>;
  /**
   * Fresh read of the given instances, any state. An id missing from the map is gone
   * (or unreadable): callers keep it. Throws when EC2 cannot be read at all.
   */
  describeByIds(ids: readonly string[]): Promise<Map<string, InstanceView>>;
  /** CreateTags, in batches. Throws on the first failed batch. */
  setTags(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void>;
  /** DeleteTags (keys only), in batches. Throws on the first failed batch. */
  removeTags(ids: readonly string[], keys: readonly string[]): Promise<void>;
  /** TerminateInstances in batches of at most 1,000; a failed batch is reported, not thrown. */
  terminate(ids: readonly string[]): Promise<TerminateResult>;
}

export interface GitHubPort {
  /** Every registered runner of the owner, all pages. Throws on any error or malformed page. */
  listRunners(owner: OwnerRef): Promise<RunnerView[]>;
  /** One GET, classified. Never throws. */
  getRunner(owner: OwnerRef, runnerId: number): Promise<RunnerRead>;
  /** One DELETE, never retried, classified. Never throws. */
  deleteRunner(owner: OwnerRef, runnerId: number): Promise<DeleteOutcome>;
}
