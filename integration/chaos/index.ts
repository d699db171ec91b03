export { GITHUB_MODELS, type GitHubModel } from './models';
export { ChaosWorld, CHAOS_ENVIRONMENT, CHAOS_OWNER, CHAOS_START, type WorkloadSpec, type WorldOptions } from './world';
export { MemoryEc2, type Ec2CallCounts } from './memory-ec2';
export { MemoryProbe, DEFAULT_PROBE, type ProbeCallCounts, type ProbeSpec, type ProbeTarget } from './memory-probe';
export { DispatcherGitHub, type GitHubCallCounts } from './dispatcher-github';
export { VirtualTransport, GITHUB_TRANSPORT, AWS_TRANSPORT, type TransportSpec } from './transport';
export { RaceInjector, type JobLander } from './race-injector';
export { SimAgent } from './agent';
export { FLEET_EVIDENCE, evidenceOf, machineSpecFor, type FleetEvidence } from './fleet-evidence';
export {
  runSetting,
  runChaos,
  matrixSettings,
  withOracleRatios,
  formatTable,
  chaosConfig,
  DEFAULT_CHAOS,
  DEFAULT_ARRIVALS,
  DEFAULT_SEED,
  WORKLOADS,
  type ChaosOptions,
  type ChaosReport,
  type ChaosRow,
  type ChaosSetting,
  type ChaosWorkload,
  type WorkloadName,
} from './run';
