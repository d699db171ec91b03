export { RunnerAgent, instanceState, type AgentOptions, type AgentRegistration, type AgentState } from './agent';
export { RunnerFleet, type FleetOptions, type LaunchSpec, type LaunchedInstance } from './fleet';
