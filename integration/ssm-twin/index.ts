export { SsmTwin, SERVED_OPERATIONS, type ServedOperation, type SsmExchange, type SsmTwinOptions } from './server';
export {
  RunCommandEngine,
  DEFAULT_RUN_COMMAND_SWITCHES,
  type InstanceFault,
  type ManagedMachine,
  type MachineDirectory,
  type RunCommandSwitches,
} from './run-command';
export { probeDocumentContent, runnable, documentFromMoto, PROBE_SCRIPT_PATH, SsmError, type CommandDocument } from './documents';
export { ssmModel, validateShape, COMMON_ERRORS } from './conformance/botocore-model';
