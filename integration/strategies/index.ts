export type { CycleStats, ReclaimStrategy, StrategyKey, StrategyPorts, TruthInstance, WorldTruth } from './types';
export { addStats, NO_STATS } from './types';
export { OursStrategy } from './ours';
export { OracleStrategy } from './oracle';
export { BusyThenDeleteStrategy, DeleteFirstStrategy, DeleteRecheckStrategy } from './reference';

import { OracleStrategy } from './oracle';
import { OursStrategy } from './ours';
import { BusyThenDeleteStrategy, DeleteFirstStrategy, DeleteRecheckStrategy } from './reference';
import type { ReclaimStrategy, StrategyKey } from './types';

/** Every strategy compared, by its report key. */
export const STRATEGIES: Readonly<Record<StrategyKey, () => ReclaimStrategy>> = {
  ours: () => new OursStrategy(),
  a: () => new BusyThenDeleteStrategy(),
  b: () => new DeleteFirstStrategy(),
  c: () => new DeleteRecheckStrategy(),
  oracle: () => new OracleStrategy(),
};

export function strategyFor(key: StrategyKey): ReclaimStrategy {
  return STRATEGIES[key]();
}
