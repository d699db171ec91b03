export * from './facts';
export { checkScheduleExpression, cronYears, neverFiresAfter, CRON_FIELDS, type ScheduleCheck } from './eventbridge-schedule';
export {
  bootInSandbox,
  effectiveRunnerEnv,
  inSandbox,
  renderUserData,
  runHook,
  type RenderedUserData,
  type SandboxedRunner,
  type UpstreamBootInputs,
} from './user-data';
export { environmentOfType, launchUpstreamRunners, storeUpstreamAppParameters, type UpstreamLaunch, type UpstreamRunnerType } from './fleet';
export { proveHookInstall, REAPER_HOOK_DIR, CHECK_LOG, type HookProof, type HookProofContext, type HookRun } from './hook-proof';
