/**
 * The GitHub behaviours the chaos runs cover (switches of the twin's JobDispatcher; see
 * /work/shared/notes/github-runner-facts.md). The reaper must be safe under every one.
 */
import type { DispatcherSwitches } from '../twin/dispatcher';

export interface GitHubModel {
  name: string;
  description: string;
  switches: Partial<DispatcherSwitches>;
  /** One of the 2026 reports (DELETE answers 204 while the busy flag lags). */
  lagging: boolean;
}

const LAG_MS = 30_000;

export const GITHUB_MODELS: readonly GitHubModel[] = [
  {
    name: 'atomic-422',
    description: 'DELETE of a runner holding a job answers 422 (the ADR); busy flag lags 30 s',
    switches: { deleteWhileAssigned: '422', busyFlagDelayMs: LAG_MS },
    lagging: false,
  },
  {
    name: '204-cancelled',
    description: 'DELETE answers 204 while the flag lags 30 s; the job is cancelled',
    switches: { deleteWhileAssigned: '204-if-flag-idle', busyFlagDelayMs: LAG_MS, afterForcedDelete: 'cancelled', getAfterDelete: '404' },
    lagging: true,
  },
  {
    name: '204-continues',
    description: 'DELETE answers 204 while the flag lags 30 s; the job runs on; GET then 404',
    switches: { deleteWhileAssigned: '204-if-flag-idle', busyFlagDelayMs: LAG_MS, afterForcedDelete: 'continues', getAfterDelete: '404' },
    lagging: true,
  },
  {
    name: '204-get-busy',
    description: 'DELETE answers 204 while the flag lags 30 s; the job runs on; GET then reads busy',
    switches: { deleteWhileAssigned: '204-if-flag-idle', busyFlagDelayMs: LAG_MS, afterForcedDelete: 'continues', getAfterDelete: 'busy' },
    lagging: true,
  },
];
