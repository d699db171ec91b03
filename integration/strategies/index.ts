export type { CycleStats, ReclaimStrategy, StrategyPorts } from './types';
export { addStats, NO_STATS } from './types';
export { OursStrategy } from './ours';
export { BusyThenDeleteStrategy, DeleteFirstStrategy, DeleteRecheckStrategy } from './reference';

import { OursStrategy } from './ours';
import { BusyThenDeleteStrategy, DeleteFirstStrategy, DeleteRecheckStrategy } from './reference';
import type { ReclaimStrategy } from './types';

/** Every strategy compared, ours first. */
export function allStrategies(): ReclaimStrategy[] {
  return [
    new OursStrategy('hooks'),
    new OursStrategy('off'),
    new BusyThenDeleteStrategy(),
    new DeleteFirstStrategy(),
    new DeleteRecheckStrategy(),
  ];
}
