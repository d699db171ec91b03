/** The pure decision core: no I/O anywhere below this folder. */
export * from './types';
export * from './tags';
export { parseTagTime, isOldEnough } from './time';
export { ownerOf, findRunner } from './match';
export { runnerOsOf } from './os';
export { hasJobEvidence, hasBypass, hasMalformedJobTimes, jobActivityAfter } from './evidence';
export { isWindowActive, activeIdleWindow, idlePoolSize, selectIdlePoolKeepers, type EvictionStrategy } from './idle-pool';
export { decideScaleDown, idleConfirmationMs } from './scale-down';
export { decideOrphans } from './orphan';
export {
  judgeAfterSettle,
  judgeBeforeDelete,
  type SettleJudgementInput,
  type SettleJudgement,
  type DeleteJudgement,
} from './recheck';
