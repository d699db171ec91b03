export { RunnerAgent, instanceState, hookInstall, type AgentOptions, type AgentRegistration, type AgentState } from './agent';
export { RunnerFleet, type FleetOptions, type LaunchSpec, type LaunchedInstance } from './fleet';
