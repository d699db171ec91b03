// Event payloads the tests feed to functions, in the shapes AWS delivers them.
import { randomUUID } from 'node:crypto';

export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}

/**
 * What EventBridge sends a target when a schedule rule fires. moto never fires rules, so
 * end-to-end tests invoke the function with this payload themselves.
 * ruleArn: arn:aws:events:<region>:<account>:rule/<name>
 */
export function scheduledEvent(ruleArn: string, time: Date = new Date()): ScheduledEvent {
  const [, , service, region, account] = ruleArn.split(':');
  if (service !== 'events' || !region || !account) throw new Error(`not an EventBridge rule ARN: ${ruleArn}`);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    // EventBridge writes whole seconds: 2026-11-29T19:00:00Z
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}
