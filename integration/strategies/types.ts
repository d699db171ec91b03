/**
 * A reclaim strategy: how a scaler decides to remove idle runners, run against the
 * reaper's own ports (Ec2Port, GitHubPort, ProbePort) so every strategy meets the same
 * world through the same interface. The chaos runs and the bench compare them side by side.
 */
import type { Ec2Port, GitHubPort, ProbePort } from '../../lambda/src/adapters/ports';
import type { ExecutorEnv } from '../../lambda/src/executor/outcome';

/** One live runner instance as it really is (no lag, no API): what only the simulated world knows. */
export interface TruthInstance {
  instanceId: string;
  launchedAt: number;
  /** Its runner is registered with GitHub. */
  registered: boolean;
  /** A job is assigned to it or runs on it. */
  busy: boolean;
}

/** The world's own view and hand, for the oracle: free, instant, never wrong. */
export interface WorldTruth {
  liveInstances(): TruthInstance[];
  /** Deregisters and terminates an idle instance in one instant; false (and nothing done) if it is not idle. */
  reclaimNow(instanceId: string): boolean;
}

export interface StrategyPorts {
  ec2: Ec2Port;
  github: GitHubPort;
  /** The SSM probe, where the world has one (the chaos world does). */
  probe?: ProbePort;
  /** Only the chaos world offers it, and only the oracle uses it. */
  truth?: WorldTruth;
}

export interface CycleStats {
  /** Runners the strategy set out to remove (ours: reclaim decisions; references: DELETEs sent; oracle: reclaims). */
  reclaimAttempts: number;
  /** Instances it terminated. */
  terminated: number;
}

/** The `strategy` column of the chaos report: ours, the references (a) (b) (c), the oracle. */
export type StrategyKey = 'ours' | 'a' | 'b' | 'c' | 'oracle';

export interface ReclaimStrategy {
  readonly key: StrategyKey;
  readonly name: string;
  readonly description: string;
  /** One scheduled scale-down run. */
  scaleDown(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats>;
  /** One scheduled orphan run (instances without a registered runner). */
  orphanCleanup(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats>;
}

export const addStats = (a: CycleStats, b: CycleStats): CycleStats => ({
  reclaimAttempts: a.reclaimAttempts + b.reclaimAttempts,
  terminated: a.terminated + b.terminated,
});

export const NO_STATS: CycleStats = { reclaimAttempts: 0, terminated: 0 };
