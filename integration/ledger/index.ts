export { OutcomeLedger } from './ledger';
export type { JobFate, JobRecord, InstanceRecord, InstanceSummary, LedgerSummary } from './ledger';
