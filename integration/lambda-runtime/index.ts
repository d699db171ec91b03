// Local Lambda Node runtime emulator for end-to-end tests (see run-zip.ts).
export { startFunction, invokeOnce, fromDeployedFunction } from './run-zip';
export type { FunctionSpec, RunningFunction, DeployedFunctionSpec, InvokeResult } from './run-zip';
export { scheduledEvent } from './events';
export type { ScheduledEvent } from './events';
export { startRuntimeApi } from './runtime-api';
export type { RuntimeApi, RuntimeApiOptions, InvokeFailure } from './runtime-api';
