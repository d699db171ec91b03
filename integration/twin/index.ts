export { GitHubTwin, type GitHubTwinOptions } from './server';
export { RealClock, AcceleratedClock, VirtualClock, seededRandom, type WorldClock } from './clock';
export {
  JobDispatcher,
  DEFAULT_SWITCHES,
  ownerKeyOf,
  type DispatcherSwitches,
  type DispatcherEvent,
  type JobPhase,
  type JobSpec,
  type PollResult,
  type TwinJob,
  type TwinOwner,
  type TwinRunner,
} from './dispatcher';
export { ROUTES, SERVED_ROUTES, type RouteTemplate } from './routes';
export { GITHUB_SECONDARY_LIMITS, DEFAULT_PRIMARY_LIMIT, type PrimaryLimitSettings, type SecondaryLimitSettings } from './limits';
export { signAppJwt, verifyAppJwt, generateAppKeyPair } from './jwt';
export type { RequestMatcher, HookFn, HookHandle, HookRequest, HookResult } from './faults';
export type { LoggedRequest } from './request-log';
