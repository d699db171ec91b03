/**
 * The handlers' Telemetry with a logger that keeps what reportRun logs (the structured
 * lines an operator reads in CloudWatch), so the oracle can ask whether every malformed or
 * failing answer left a reason there. Metrics are the real Powertools ones, kept quiet.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Telemetry } from '../../src/observability/telemetry';

// EMF documents would go to stdout; the fuzz reads the summary from the log lines instead.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
}

export interface CapturedTelemetry {
  telemetry: Telemetry;
  lines: LogLine[];
}

export function captureTelemetry(): CapturedTelemetry {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string, ...extra: unknown[]) => {
    const attributes = Object.assign({}, ...extra.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null));
    lines.push({ level, message, attributes });
  };
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger;
  const metrics = new Metrics({ namespace: 'RunnerReaperFuzz', serviceName: 'runner-reaper-fuzz' });
  return { telemetry: { logger, metrics, namespace: 'RunnerReaperFuzz', service: 'runner-reaper-fuzz' }, lines };
}

/** One outcome line of reportRun (one per instance and run). */
export interface OutcomeLine {
  instanceId: string;
  reason: string;
  result: string;
  message: string;
}

export function outcomeLines(lines: readonly LogLine[]): OutcomeLine[] {
  return lines
    .filter((l) => l.level === 'info' && typeof l.attributes.instanceId === 'string' && typeof l.attributes.reason === 'string')
    .map((l) => ({
      instanceId: l.attributes.instanceId as string,
      reason: l.attributes.reason as string,
      result: String(l.attributes.result),
      message: l.message,
    }));
}
