/**
 * Our reaper, exactly as the handlers run it: read the snapshot and the probe's
 * availability, decide with the pure core, act with the executors (with the probe port).
 * Only the ports and the clock differ from the Lambda. Which evidence the fleet has is the
 * world's business: the configuration is the product's default (JOB_EVIDENCE=auto, probe on).
 */
import type { ProbeAvailabilityPort, ProbeRunPort } from '../../lambda/src/adapters/ports';
import type { Config } from '../../lambda/src/config/schema';
import { decideOrphans, decideScaleDown, type InstanceView, type ProbeAvailability, type Snapshot } from '../../lambda/src/core';
import type { ExecutorEnv, ExecutorPorts } from '../../lambda/src/executor/outcome';
import { runOrphanCleanup } from '../../lambda/src/executor/orphan-cleanup';
import { runScaleDown } from '../../lambda/src/executor/scale-down';
import { readSnapshot } from '../../lambda/src/handlers/snapshot';
import type { CycleStats, ReclaimStrategy, StrategyPorts } from './types';

/**
 * Which instances the probe can reach this run (docs/design.md, "Machine evidence"): off
 * when the configuration has no probe; a failed read means nothing is probe-able.
 */
export async function readProbeAvailability(
  port: ProbeAvailabilityPort | undefined,
  config: Config,
  instances: readonly InstanceView[],
): Promise<ProbeAvailability> {
  if (!config.probe || !port) return { enabled: false, online: new Set() };
  const ids = instances.filter((i) => i.state === 'running').map((i) => i.id);
  if (ids.length === 0) return { enabled: true, online: new Set() };
  try {
    return { enabled: true, online: await port.onlineInstances(ids) };
  } catch (error) {
    return { enabled: true, online: new Set(), error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The handlers' read: the snapshot, then the probe's availability. Switch-over once the
 * core branch's handlers read the availability themselves: replace the body with their
 * snapshot read (one line), the rest of this file stays.
 */
async function readRun(ports: StrategyPorts, env: ExecutorEnv): Promise<Snapshot> {
  const { snapshot } = await readSnapshot(ports, env.config, env.now());
  return { ...snapshot, probe: await readProbeAvailability(ports.probe, env.config, snapshot.instances) };
}

/** The executors' ports, with the probe's run side (ExecutorPorts gains `probe?` on the core branch). */
function executorPorts(ports: StrategyPorts): ExecutorPorts & { probe?: ProbeRunPort } {
  return { ec2: ports.ec2, github: ports.github, ...(ports.probe ? { probe: ports.probe } : {}) };
}

export class OursStrategy implements ReclaimStrategy {
  readonly key = 'ours' as const;
  readonly name = 'ours';
  readonly description = 'readSnapshot + probe availability, decideScaleDown + runScaleDown, decideOrphans + runOrphanCleanup';

  async scaleDown(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const snapshot = await readRun(ports, env);
    const decisions = decideScaleDown(snapshot);
    const report = await runScaleDown(decisions, executorPorts(ports), env);
    return {
      reclaimAttempts: decisions.filter((d) => d.action === 'reclaim').length,
      terminated: report.outcomes.filter((o) => o.result === 'terminated').length,
    };
  }

  async orphanCleanup(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const snapshot = await readRun(ports, env);
    const decisions = decideOrphans(snapshot);
    const report = await runOrphanCleanup(decisions, executorPorts(ports), env, { decidedAt: snapshot.now });
    return { reclaimAttempts: 0, terminated: report.outcomes.filter((o) => o.result === 'terminated').length };
  }
}
