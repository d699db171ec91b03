/** The pure decision core: no I/O anywhere below this folder. */
export * from './types';
export * from './tags';
export { parseTagTime, isOldEnough, readTagTime, tagTimeAt, FUTURE_TOLERANCE_MS, type TagTime } from './time';
export { ownerOf, findRunner, runnerMatcher, RunnerIndex } from './match';
export { runnerOsOf } from './os';
export {
  evidenceOf,
  evidenceWithoutHooks,
  probeReaches,
  hasJobEvidence,
  hasBypass,
  hasHooksMarker,
  hasMalformedJobTimes,
  hasStaleJob,
  hookTagsOf,
  hookTagsChanged,
  jobActivityAfter,
  jobStartOf,
} from './evidence';
export {
  DELETE_BACKOFF_BASE_MS,
  DELETE_BACKOFF_MAX_MS,
  TERMINATION_RETRY_MS,
  deleteBackoffMs,
  deleteBackoffUntil,
  deleteFailuresOf,
  terminationRetryAt,
} from './backoff';
export { isWindowActive, activeIdleWindow, idlePoolSize, selectIdlePoolKeepers, type EvictionStrategy } from './idle-pool';
export { decideScaleDown, idleConfirmationMs } from './scale-down';
export { decideOrphans, heldSummary, unregisteredHoldMs } from './orphan';
export {
  asksProbe,
  judgeAfterSettle,
  judgeBeforeDelete,
  vanishedUnseen,
  type BeforeDeleteInput,
  type SettleJudgementInput,
  type SettleJudgement,
  type DeleteJudgement,
} from './recheck';
