/** What the executors report per instance, and the plumbing both of them share. */
import type { Config } from '../config/schema';
import type { Action, Decision, EvidenceSource, HeldSummary, OwnerRef, ReasonCode } from '../core';
import type { Ec2Port, GitHubPort, ProbeRunPort } from '../adapters/ports';

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
  /** Which machine evidence the decision rested on (for the log line and the count by source). */
  evidence?: EvidenceSource;
  /** The instance's `ghr:environment`. */
  environment?: string;
  /** The runner was (or may have been) deregistered in this run. */
  deregistered?: boolean;
  /**
   * The probe was asked about this instance in this run (probe evidence, or hooks where the
   * probe reaches too: `Decision.probeToo`), whatever it answered.
   */
  probed?: boolean;
}

export interface ExecutorPorts {
  ec2: Ec2Port;
  github: GitHubPort;
  /**
   * The machine probe (SSM Run Command). Asked for the decisions that ask it (`asksProbe`:
   * evidence `probe`, or `hooks` with `probeToo`): right before each DELETE and after the
   * settle (scale-down), after the settle (orphan-cleanup). Absent: such instances are kept
   * (`probe-error`) unless the decision stands without it (`probeOptional`).
   */
  probe?: ProbeRunPort;
}

export interface ExecutorEnv {
  config: Config;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /**
   * Time left in this invocation (Lambda's getRemainingTimeInMillis). When given, a run
   * only looks at and deregisters as many runners as it can still settle, re-check and
   * terminate: a run cut off after its DELETEs leaves deregistered instances running until
   * orphan-cleanup finishes them.
   */
  remainingMs?: () => number;
  /**
   * The GitHub client's worst-case wait for one request (rate-limit retries times their
   * longest wait). Defaults to GITHUB_WORST_CASE_WAIT_MS; the handler passes the client's
   * own figure once the client exposes it. The re-check waits at most this, capped by
   * RECHECK_WAIT_CAP_MS.
   */
  githubWorstCaseWaitMs?: number;
}

/** What one DELETE costs in wall time: the client spaces writes by 400 ms, plus the call. */
export const DELETE_COST_MS = 500;

/**
 * The GitHub client's documented defaults (adapters/github-client.ts, DEFAULTS): a request
 * that meets a rate limit is retried `rateLimitRetries` = 2 times, each after at most
 * `maxRateLimitWaitSeconds` = 60 s, so one request can wait 120 s before it answers. The
 * one place this figure lives (issue 10, point 17); the handler passes the client's own
 * figure through ExecutorEnv.githubWorstCaseWaitMs once the client exposes it.
 */
export const GITHUB_WORST_CASE_WAIT_MS = 2 * 60_000;

/**
 * The longest the re-check after the settle waits for one GitHub answer. A re-check GET
 * still waiting on a rate limit by then counts as no answer, and no answer keeps the
 * instance (deregistered, with its draining mark, for orphan-cleanup). Capping the wait
 * lets the reserve below hold the worst case in full without reserving two minutes of
 * every run: a 180 s function would otherwise have almost no time left to deregister.
 */
export const RECHECK_WAIT_CAP_MS = 20_000;

/** Kept free after the settle for the re-check reads and TerminateInstances, besides GitHub's waits. */
export const AFTER_SETTLE_WORK_MS = 30_000;

/** The longest the re-check waits for GitHub: the client's worst case, capped by RECHECK_WAIT_CAP_MS. */
export function recheckWaitMs(env: Pick<ExecutorEnv, 'githubWorstCaseWaitMs'>): number {
  return Math.min(env.githubWorstCaseWaitMs ?? GITHUB_WORST_CASE_WAIT_MS, RECHECK_WAIT_CAP_MS);
}

/** Everything kept free after the settle: the work itself plus the worst-case wait for GitHub's answers. */
export function afterSettleReserveMs(env: Pick<ExecutorEnv, 'githubWorstCaseWaitMs'>): number {
  return AFTER_SETTLE_WORK_MS + recheckWaitMs(env);
}

/** Waits for `work`, but at most `ms` of wall time; then `fallback` stands for the answer. */
export async function withDeadline<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * How many candidates share one look (GET of each runner, one DescribeInstances, one probe
 * round). Small, so each DELETE follows its own look by seconds however large the batch:
 * five DELETEs at the client's 400 ms spacing take about 2 s.
 */
export const LOOK_WINDOW_SIZE = 5;

/**
 * The oldest a look may be when its DELETE is sent (issue 8, point 3). GitHub's busy flag
 * lags 25-60 s, the job-started hook the job's set-up plus 1-3 s (the probe sees the Worker
 * within a second); a look older than this is not sent on: the runner stays registered and
 * untouched for the next run (`look-too-old`). A probe round (typically 1-3 s) counts inside
 * it, from the moment the look began.
 */
export const MAX_LOOK_AGE_MS = 8_000;

/**
 * How far ahead of its DELETEs a window's look begins (look-ahead.ts): about what the look
 * takes, so it has answered when the DELETEs before it are out, and is as fresh as it can
 * be. Without the probe a look is GETs and one DescribeInstances (well under a second); a
 * probe round takes 1-3 s (SSM Run Command).
 */
export const LOOK_LEAD_MS = 1_000;
export const PROBE_LOOK_LEAD_MS = 3_000;

/** A look's own cost in the time budget (GETs and DescribeInstances, without a probe round). */
export const LOOK_COST_MS = 1_000;

export interface ExecutorReport {
  outcomes: Outcome[];
  /** Failures that changed nothing for safety (bookkeeping tags), kept for logs and metrics. */
  errors: string[];
  /**
   * Instances held without a registration and without machine evidence (orphan-cleanup):
   * how many, and the longest hold (issue 9, point 7).
   */
  held?: HeldSummary;
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
    ...(decision.evidence ? { evidence: decision.evidence } : {}),
    ...(decision.environment !== undefined ? { environment: decision.environment } : {}),
  };
}

export const kept = (decision: Decision, reason: ReasonCode, message: string): Outcome =>
  fromDecision(decision, 'kept', reason, message);

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
