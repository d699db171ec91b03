/**
 * What the scenario needs from each world. Each port has a real implementation (GitHub,
 * LocalStack, actions/runner processes, Lambda Invoke) and a local one (the twin, moto,
 * simulated agents, the zips run locally); the steps in scenario.ts see only these.
 */
import type { EvidenceSource } from '../../lambda/src/core/types';

/** Where runners are registered: `org` or `owner/repo`. */
export interface RunnerOwner {
  type: 'Org' | 'Repo';
  owner: string;
}

export interface RunnerRecord {
  id: number;
  name: string;
  status: string;
  busy: boolean;
}

/** GitHub's runner endpoints (the same Octokit code serves the real API and the twin). */
export interface RunnerRegistry {
  readonly owner: RunnerOwner;
  /** generate-jitconfig: an ephemeral runner with this name and label. */
  createJitRunner(name: string, labels: string[]): Promise<{ runnerId: number; encodedJitConfig: string }>;
  /** undefined = 404 (not registered). */
  getRunner(runnerId: number): Promise<RunnerRecord | undefined>;
  /** Removes the runner if still registered (clean-up); true when it was there. */
  deleteRunner(runnerId: number): Promise<boolean>;
}

export type JobState =
  | { status: 'queued' }
  | { status: 'in_progress'; runnerName?: string }
  | { status: 'completed'; conclusion: string; runnerName?: string };

export interface DispatchedJob {
  correlationId: string;
}

/** Jobs: real GitHub dispatches the e2e-job workflow; the twin queues a job. */
export interface JobSource {
  dispatch(args: { label: string; durationSeconds: number; correlationId: string }): Promise<DispatchedJob>;
  state(job: DispatchedJob): Promise<JobState>;
  /** Cancels the job if it has not ended (clean-up). */
  cancel(job: DispatchedJob): Promise<void>;
}

export interface InstanceRecord {
  instanceId: string;
  /** EC2 state name, or `gone`. */
  state: string;
  tags: Record<string, string>;
}

/** EC2 in LocalStack or moto, through AWS_ENDPOINT_URL. */
export interface Instances {
  /** Launches instances tagged as github-aws-runners' scale-up does. */
  launch(count: number, tags: Record<string, string>): Promise<string[]>;
  describe(instanceId: string): Promise<InstanceRecord>;
  tag(instanceId: string, tags: Record<string, string>): Promise<void>;
  terminate(instanceIds: string[]): Promise<void>;
}

/** A runner process (or agent) on one instance. */
export interface RunnerProcess {
  readonly instanceId: string;
  /** Whether the process still runs. */
  running(): boolean;
  stop(): Promise<void>;
}

/**
 * Which machine evidence the world's runners give the reaper (docs/design.md, "Machine
 * evidence"), said up front so the scenario asserts what that evidence must change:
 * - `hooks`: a boot check tags each instance `ghr:job-hooks` once it has verified that the
 *   runner calls the hooks; the reaper trusts `ghr:job` and its absence there;
 * - `none`: the hooks run (`ghr:job` appears) but nothing proved it, so the reaper has only
 *   GitHub's word and takes the conservative path everywhere.
 */
export interface RunnerEvidence {
  source: 'hooks' | 'none';
  /** How the runners get it, one sentence for the report. */
  how: string;
}

export interface RunnerHost {
  readonly evidence: RunnerEvidence;
  /** Starts a runner for the instance with its JIT config, job hooks installed. */
  start(instanceId: string, encodedJitConfig: string): Promise<RunnerProcess>;
  /** What the instance's boot check last said (its verdict line), when it runs one. */
  bootCheckVerdict?(instanceId: string): string | undefined;
  /** Ends the runners whose instance is gone, as a terminated machine would. */
  sweep(instances: Instances): Promise<void>;
  stopAll(): Promise<void>;
}

export interface ReaperInvocation {
  ok: boolean;
  /** The handler's RunSummary when it returned. */
  summary?: {
    terminated?: number;
    kept?: number;
    reasons?: Record<string, number>;
    errors?: number;
    /** Instances past the gate, by the machine evidence their decision rested on. */
    evidence?: Partial<Record<EvidenceSource, number>>;
  };
  error?: string;
}

/** How the two Lambdas run: the zips locally, or the deployed functions through Invoke. */
export interface ReaperFunctions {
  scaleDown(): Promise<ReaperInvocation>;
  orphanCleanup(): Promise<ReaperInvocation>;
  /** The functions' IDLE_CONFIRMATION_SECONDS: the least time between two sightings that reclaim. */
  idleConfirmationSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export interface ScenarioWorld {
  name: string;
  registry: RunnerRegistry;
  jobs: JobSource;
  instances: Instances;
  runners: RunnerHost;
  functions: ReaperFunctions;
  /** Tags of a launched instance (ghr:environment, ghr:Owner, ...). */
  instanceTags: Record<string, string>;
  /** Stops what the world started (servers, processes); the scenario's own clean-up runs first. */
  close(): Promise<void>;
}
