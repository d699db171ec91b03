/**
 * Our reaper, exactly as the handlers run it: read the snapshot, decide with the pure core,
 * act with the executors. Only the ports and the clock differ from the Lambda.
 */
import { decideOrphans, decideScaleDown } from '../../lambda/src/core';
import type { ExecutorEnv } from '../../lambda/src/executor/outcome';
import { runOrphanCleanup } from '../../lambda/src/executor/orphan-cleanup';
import { runScaleDown } from '../../lambda/src/executor/scale-down';
import { readSnapshot } from '../../lambda/src/handlers/snapshot';
import type { CycleStats, ReclaimStrategy, StrategyPorts } from './types';

export class OursStrategy implements ReclaimStrategy {
  readonly name: string;
  readonly description: string;
  readonly jobHooks: boolean;

  constructor(private readonly jobEvidence: 'hooks' | 'off') {
    this.jobHooks = jobEvidence === 'hooks';
    this.name = jobEvidence === 'hooks' ? 'ours (hooks)' : 'ours (JOB_EVIDENCE=off)';
    this.description =
      jobEvidence === 'hooks'
        ? 'decideScaleDown + runScaleDown, decideOrphans + runOrphanCleanup; fleet runs the job hooks'
        : 'the same with JOB_EVIDENCE=off; fleet without job hooks';
  }

  private env(env: ExecutorEnv): ExecutorEnv {
    return { ...env, config: { ...env.config, jobEvidence: this.jobEvidence } };
  }

  async scaleDown(ports: StrategyPorts, base: ExecutorEnv): Promise<CycleStats> {
    const env = this.env(base);
    const { snapshot } = await readSnapshot(ports, env.config, env.now());
    const decisions = decideScaleDown(snapshot);
    const report = await runScaleDown(decisions, ports, env);
    return {
      reclaimAttempts: decisions.filter((d) => d.action === 'reclaim').length,
      terminated: report.outcomes.filter((o) => o.result === 'terminated').length,
    };
  }

  async orphanCleanup(ports: StrategyPorts, base: ExecutorEnv): Promise<CycleStats> {
    const env = this.env(base);
    const { snapshot } = await readSnapshot(ports, env.config, env.now());
    const decisions = decideOrphans(snapshot);
    const report = await runOrphanCleanup(decisions, ports, env, { decidedAt: snapshot.now });
    return { reclaimAttempts: 0, terminated: report.outcomes.filter((o) => o.result === 'terminated').length };
  }
}
