export { GITHUB_MODELS, type GitHubModel } from './models';
export { ChaosWorld, CHAOS_ENVIRONMENT, CHAOS_OWNER, CHAOS_START, type WorkloadSpec, type WorldOptions } from './world';
export { MemoryEc2, type Ec2CallCounts } from './memory-ec2';
export { DispatcherGitHub, type GitHubCallCounts } from './dispatcher-github';
export { RaceInjector, type JobLander } from './race-injector';
export { SimAgent } from './agent';
export {
  runSetting,
  runMatrix,
  formatTable,
  chaosConfig,
  DEFAULT_CHAOS,
  DEFAULT_WORKLOAD,
  type ChaosOptions,
  type SettingResult,
} from './run';
