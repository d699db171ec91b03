/**
 * The ports the executors, handlers and the plan command talk through. The EC2, GitHub
 * and SSM adapters implement them; tests can implement them too. Every method either
 * answers or throws (or, where it says so, classifies): deciding keep/act is the
 * executors' job, never the adapters'.
 *
 * Reads and writes are separate interfaces so that a read-only caller (`runner-reaper
 * plan`) is built from adapters that have no write method at all.
 */
import type { DeleteOutcome, InstanceView, OwnerRef, ProbeRead, RunnerRead, RunnerView } from '../core';

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
  failed: { instanceId: string; error: string; code?: string }[];
}

export interface Ec2ReadPort {
  /** Runner instances of these environments in state pending or running, all pages. */
  listRunnerInstances(environments: readonly string[]): Promise<InstanceListing>;
  /**
   * Fresh read of the given instances, any state. An id missing from the map is gone
   * (or unreadable): callers keep it. Throws when EC2 cannot be read at all.
   */
  describeByIds(ids: readonly string[]): Promise<Map<string, InstanceView>>;
}

export interface Ec2WritePort {
  /** CreateTags, in batches. Throws on the first failed batch. */
  setTags(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void>;
  /** DeleteTags (keys only), in batches. Throws on the first failed batch. */
  removeTags(ids: readonly string[], keys: readonly string[]): Promise<void>;
  /** TerminateInstances in batches of at most 1,000; a failed batch is reported, not thrown. */
  terminate(ids: readonly string[]): Promise<TerminateResult>;
}

export type Ec2Port = Ec2ReadPort & Ec2WritePort;

/**
 * How long GitHub calls can take, for the executors' time budget (issue 10, point 17).
 * Queueing comes on top of `worstCaseRequestMs`: requests of one endpoint are paced, so N
 * reads of one endpoint take about max(0, N - burstReads) x readIntervalMs before the last
 * one is sent, and N DELETEs about N x writeIntervalMs.
 */
export interface GitHubTiming {
  /** Longest one request takes from its first attempt: retries and rate-limit waits included; then it fails. */
  worstCaseRequestMs: number;
  /** Gap between reads of one endpoint once its burst is used. */
  readIntervalMs: number;
  /** Reads of one endpoint that go at once before pacing starts. */
  burstReads: number;
  /** Gap between DELETEs. */
  writeIntervalMs: number;
}

export interface GitHubReadPort {
  /**
   * Every registered runner of the owner, all pages, checked to fit together. Throws on
   * any error, a malformed page, or pages that still do not fit together when read again.
   */
  listRunners(owner: OwnerRef): Promise<RunnerView[]>;
  /** One GET, classified. Never throws. */
  getRunner(owner: OwnerRef, runnerId: number): Promise<RunnerRead>;
  /** The client's timing; absent in test doubles (then plan with your own bound). */
  readonly timing?: GitHubTiming;
}

export interface GitHubWritePort {
  /** One DELETE, never retried, classified. Never throws. */
  /**
   * Never retried. `sendWithinMs`: the request is not sent if its turn (concurrency,
   * pacing) comes later than this from the call; the answer is then `not-sent`. A
   * duration, not a time: the caller's clock need not be the client's.
   */
  deleteRunner(owner: OwnerRef, runnerId: number, sendWithinMs?: number): Promise<DeleteOutcome>;
}

export type GitHubPort = GitHubReadPort & GitHubWritePort;

/** Systems Manager, read side: which instances could be probed. */
export interface ProbeAvailabilityPort {
  /**
   * The ids among `ids` whose SSM agent is online (DescribeInstanceInformation, PingStatus
   * Online) on a platform the probe document supports. Throws when SSM cannot be read.
   */
  onlineInstances(ids: readonly string[]): Promise<ReadonlySet<string>>;
}

/** Systems Manager, run side: the probe itself (SendCommand runs a document on the instances). */
export interface ProbeRunPort {
  /**
   * One SendCommand for all `ids` (in batches of at most 50, SSM's limit), answers
   * collected until the deadline. Never throws: every id gets a ProbeRead, and an id with
   * no usable answer gets `{ kind: 'error' }`.
   */
  probe(ids: readonly string[]): Promise<Map<string, ProbeRead>>;
}

export type ProbePort = ProbeAvailabilityPort & ProbeRunPort;
