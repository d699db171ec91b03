/** What one run left for the oracle to judge. */
import type { Decision, Snapshot } from '../../src/core';
import type { ExecutorReport } from '../../src/executor/outcome';
import type { LogLine } from './log-capture';
import type { World } from './model';
import type { RecordedCall } from './recording-ports';
import type { RunContext } from './run-context';

export interface RunReport {
  ctx: RunContext;
  calls: RecordedCall[];
  lines: LogLine[];
  decisions: Decision[];
  snapshot?: Snapshot;
  report?: ExecutorReport;
  world: World;
  /** The run threw (as the handler would, to Lambda): the error. */
  crashed?: string;
}
