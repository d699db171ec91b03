/**
 * A reclaim strategy: how a scaler decides to remove idle runners, run against the
 * reaper's own ports (Ec2Port, GitHubPort) so every strategy meets the same world through
 * the same interface. The chaos runs and the bench compare them side by side.
 */
import type { Ec2Port, GitHubPort } from '../../lambda/src/adapters/ports';
import type { ExecutorEnv } from '../../lambda/src/executor/outcome';

export interface StrategyPorts {
  ec2: Ec2Port;
  github: GitHubPort;
}

export interface CycleStats {
  /** Runners the strategy set out to remove (ours: reclaim decisions; references: DELETEs sent). */
  reclaimAttempts: number;
  /** Instances it terminated. */
  terminated: number;
}

export interface ReclaimStrategy {
  readonly name: string;
  readonly description: string;
  /** Whether the fleet this strategy runs beside has the job hooks installed. */
  readonly jobHooks: boolean;
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
