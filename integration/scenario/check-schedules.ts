/**
 * CLI of the schedule check (schedule-check.ts): `npx tsx integration/scenario/check-schedules.ts`.
 * Reads the e2e fixture's `terraform output -json` (SCENARIO_TERRAFORM_OUTPUTS), checks
 * both functions' schedules at once, writes <SCENARIO_WORK_DIR>/report/schedule-check.json
 * and exits 0 only when both schedules invoked their function.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { checkSchedule, type ScheduledFunction } from './schedule-check';

function scheduledFunctions(outputsPath: string): ScheduledFunction[] {
  const raw = JSON.parse(readFileSync(outputsPath, 'utf8')) as Record<string, { value?: Record<string, unknown> }>;
  return ['scale_down', 'orphan_cleanup'].map((key) => {
    const value = raw[key]?.value ?? {};
    const [functionName, ruleName, logGroupName] = ['function_name', 'schedule_rule_name', 'log_group_name'].map((field) => value[field]);
    if (typeof functionName !== 'string' || typeof ruleName !== 'string' || typeof logGroupName !== 'string') {
      throw new Error(`${outputsPath}: output ${key} lacks function_name, schedule_rule_name or log_group_name`);
    }
    return { functionName, ruleName, logGroupName };
  });
}

async function main(): Promise<number> {
  const outputs = process.env.SCENARIO_TERRAFORM_OUTPUTS?.trim();
  if (!outputs) throw new Error('SCENARIO_TERRAFORM_OUTPUTS is required');
  const timeoutSeconds = Number(process.env.SCENARIO_SCHEDULE_CHECK_SECONDS || 180);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new Error('SCENARIO_SCHEDULE_CHECK_SECONDS must be whole seconds, 1 or more');
  const region = process.env.AWS_REGION || 'us-east-1';
  const clients = { events: new EventBridgeClient({ region }), logs: new CloudWatchLogsClient({ region }) };
  const checks = await Promise.all(scheduledFunctions(outputs).map((fn) => checkSchedule(clients, fn, { timeoutSeconds })));
  for (const check of checks) console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.detail}`);
  const dir = join(process.env.SCENARIO_WORK_DIR?.trim() || '.scenario', 'report');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'schedule-check.json'), `${JSON.stringify(checks, null, 2)}\n`);
  return checks.every((c) => c.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`schedule check could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
