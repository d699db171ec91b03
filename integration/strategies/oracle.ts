/**
 * The oracle: the floor a schedule-driven reaper can reach (issue 11, point 1). At each
 * scheduled run it knows the truth (the world's own view: no busy-flag lag, no API call),
 * and it removes every instance idle at that instant, deregistering and terminating in the
 * same instant so no job can land between. It honours what every reaper must: the minimum
 * running time, the boot time (an instance whose runner has not registered yet is left to
 * boot), and the idle pool. It can never kill a job, so its idle runner-minutes are what
 * the schedule, the minimum running time and the boot itself cost, and nothing else.
 */
import type { Config } from '../../lambda/src/config/schema';
import { activeIdleWindow, selectIdlePoolKeepers } from '../../lambda/src/core';
import type { ExecutorEnv } from '../../lambda/src/executor/outcome';
import type { CycleStats, ReclaimStrategy, StrategyPorts, TruthInstance, WorldTruth } from './types';

const MINUTE_MS = 60_000;

/** The idle pool by the core's own rule (the chaos world has one owner). */
function idlePoolKeepers(idle: readonly TruthInstance[], config: Config, now: Date): Set<string> {
  const window = activeIdleWindow(config.idleConfig, now);
  if (!window) return new Set();
  const views = idle.map((i) => ({ id: i.instanceId, state: 'running' as const, launchTime: new Date(i.launchedAt), tags: {} }));
  return selectIdlePoolKeepers(views, window.idleCount, window.evictionStrategy);
}

function truthOf(ports: StrategyPorts): WorldTruth {
  if (!ports.truth) throw new Error('the oracle needs the world truth (it runs in the chaos world only)');
  return ports.truth;
}

export class OracleStrategy implements ReclaimStrategy {
  readonly key = 'oracle' as const;
  readonly name = 'oracle';
  readonly description = 'knows the truth at each scheduled run; terminates every idle instance past the minimum running time, outside the idle pool';

  async scaleDown(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const truth = truthOf(ports);
    const now = env.now().getTime();
    const minimumMs = env.config.minimumRunningTimeMinutes.linux * MINUTE_MS;
    const idle = truth.liveInstances().filter((i) => i.registered && !i.busy && now - i.launchedAt >= minimumMs);
    const pool = idlePoolKeepers(idle, env.config, env.now());
    let terminated = 0;
    for (const instance of idle) {
      if (!pool.has(instance.instanceId) && truth.reclaimNow(instance.instanceId)) terminated++;
    }
    return { reclaimAttempts: terminated, terminated };
  }

  /** Instances past the boot time whose runner never registered (or is gone) and that run no job. */
  async orphanCleanup(ports: StrategyPorts, env: ExecutorEnv): Promise<CycleStats> {
    const truth = truthOf(ports);
    const now = env.now().getTime();
    const bootMs = env.config.runnerBootTimeMinutes * MINUTE_MS;
    let terminated = 0;
    for (const instance of truth.liveInstances()) {
      if (instance.registered || instance.busy || now - instance.launchedAt < bootMs) continue;
      if (truth.reclaimNow(instance.instanceId)) terminated++;
    }
    return { reclaimAttempts: 0, terminated };
  }
}
