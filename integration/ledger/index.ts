export { OutcomeLedger } from './ledger';
export type { JobFate, JobRecord, InstanceRecord, InstanceStateChange, InstanceSummary, LedgerSummary } from './ledger';
