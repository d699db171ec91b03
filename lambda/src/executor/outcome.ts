/** What the executors report per instance, and the plumbing both of them share. */
import type { Config } from '../config/schema';
import type { Action, Decision, OwnerRef, ReasonCode } from '../core';
import type { Ec2Port, GitHubPort } from '../adapters/ports';

export interface Outcome {
  instanceId: string;
  /** What the decision core asked for. */
  decided: Action;
  decisionReason: ReasonCode;
  /** What happened in the end. `kept` covers every decision that was not carried out. */
  result: 'kept' | 'terminated';
  /** The final reason: the decision's, or the executor's guard that stopped it. */
  reason: ReasonCode;
  message: string;
  owner?: OwnerRef;
  runnerId?: number;
  /** The runner was (or may have been) deregistered in this run. */
  deregistered?: boolean;
}

export interface ExecutorPorts {
  ec2: Ec2Port;
  github: GitHubPort;
}

export interface ExecutorEnv {
  config: Config;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /**
   * Time left in this invocation (Lambda's getRemainingTimeInMillis). When given, a batch
   * only deregisters as many runners as it can still settle, re-check and terminate: a
   * run cut off after its DELETEs leaves deregistered instances running until
   * orphan-cleanup finishes them.
   */
  remainingMs?: () => number;
}

/** What one DELETE costs in wall time: the client spaces writes by 400 ms, plus the call. */
export const DELETE_COST_MS = 500;
/** Kept free after the settle for the re-check and TerminateInstances. */
export const AFTER_SETTLE_RESERVE_MS = 30_000;

export interface ExecutorReport {
  outcomes: Outcome[];
  /** Failures that changed nothing for safety (bookkeeping tags), kept for logs and metrics. */
  errors: string[];
}

export const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export function fromDecision(
  decision: Decision,
  result: Outcome['result'],
  reason: ReasonCode,
  message: string,
): Outcome {
  return {
    instanceId: decision.instanceId,
    decided: decision.action,
    decisionReason: decision.reason,
    result,
    reason,
    message,
    ...(decision.owner ? { owner: decision.owner } : {}),
    ...(decision.runner ? { runnerId: decision.runner.id } : {}),
  };
}

export const kept = (decision: Decision, reason: ReasonCode, message: string): Outcome =>
  fromDecision(decision, 'kept', reason, message);

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
