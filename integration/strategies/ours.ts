/**
 * Our reaper, exactly as the handlers run it: read the snapshot and the probe's
 * availability, decide with the pure core, act with the executors (with the probe port).
 * Only the ports and the clock differ from the Lambda. Which evidence the fleet has is the
 * world's business: the configuration is the product's default (JOB_EVIDENCE=auto, probe on).
 */
import { decideOrphans, decideScaleDown, type Snapshot } from '../../lambda/src/core';
import type { ExecutorEnv, ExecutorPorts } from '../../lambda/src/executor/outcome';
import { runOrphanCleanup } from '../../lambda/src/executor/orphan-cleanup';
import { runScaleDown } from '../../lambda/src/executor/scale-down';
import { probeEnabled } from '../../lambda/src/handlers/runtime';
import { readSnapshot } from '../../lambda/src/handlers/snapshot';
import type { CycleStats, ReclaimStrategy, StrategyPorts } from './types';

/** The probe's ports exactly where the handlers have them: only when the configuration probes (runtime.ts). */
function probeOf(ports: StrategyPorts, env: ExecutorEnv) {
  return probeEnabled(env.config) ? ports.probe : undefined;
}

/** The handlers' read: the instances, one listing per owner, and who the probe can reach. */
async function readRun(ports: StrategyPorts, env: ExecutorEnv): Promise<Snapshot> {
  const probe = probeOf(ports, env);
  return (await readSnapshot({ ec2: ports.ec2, github: ports.github, ...(probe ? { probe } : {}) }, env.config, env.now())).snapshot;
}

function executorPorts(ports: StrategyPorts, env: ExecutorEnv): ExecutorPorts {
  const probe = probeOf(ports, env);
  return { ec2: ports.ec2, github: ports.github, ...(probe ? { probe } : {}) };
}

export class OursStrategy implements ReclaimStrategy {
  readonly key = 'ours' as const;
  readonly name = 'ours';
  readonly description = 'readSnapshot (with who the probe can reach), decideScaleDown + runScaleDown, decideOrphans + runOrphanCleanup, the probe port to both';

  async scaleDown(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const snapshot = await readRun(ports, env);
    const decisions = decideScaleDown(snapshot);
    const report = await runScaleDown(decisions, executorPorts(ports, env), env);
    return {
      reclaimAttempts: decisions.filter((d) => d.action === 'reclaim').length,
      terminated: report.outcomes.filter((o) => o.result === 'terminated').length,
    };
  }

  async orphanCleanup(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const snapshot = await readRun(ports, env);
    const decisions = decideOrphans(snapshot);
    const report = await runOrphanCleanup(decisions, executorPorts(ports, env), env, { decidedAt: snapshot.now });
    return { reclaimAttempts: 0, terminated: report.outcomes.filter((o) => o.result === 'terminated').length };
  }
}
