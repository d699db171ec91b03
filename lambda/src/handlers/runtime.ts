/**
 * What a handler builds once per Lambda container: the validated configuration and the
 * adapters. The configuration is read at cold start; when it is invalid, every invocation
 * fails with the same message (naming the variable) before any AWS or GitHub call.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Ec2Adapter } from '../adapters/ec2';
import { GitHubRunners } from '../adapters/github-runners';
import type { Ec2Port, GitHubPort, ProbePort } from '../adapters/ports';
import { SsmProbe } from '../adapters/ssm-probe';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import { realSleep, type ExecutorEnv } from '../executor/outcome';
import type { Telemetry } from '../observability/telemetry';
import { createGitHubClients } from './github-clients';

export type LoadedConfig = { ok: true; config: Config } | { ok: false; error: Error };

export function loadAtColdStart(env: Record<string, string | undefined>): LoadedConfig {
  try {
    return { ok: true, config: loadConfig(env) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** The adapters' counters since the container started; a run reports its deltas. */
export interface CallCounters {
  githubRequests: number;
  githubDeletes: number;
  githubRateLimited: number;
  probesSent: number;
  probeFailures: number;
}

export interface Runtime {
  config: Config;
  ec2: Ec2Port;
  github: GitHubPort;
  /**
   * The SSM probe, when it is configured and JOB_EVIDENCE=auto (the only mode that uses
   * it). The executors receive it as their `probe` port.
   */
  probe?: ProbePort;
  /** HTTP requests made to GitHub since the container started. */
  githubCalls: { readonly count: number };
  counters(): CallCounters;
}

/** Whether this configuration asks the machines through SSM. */
export function probeEnabled(config: Config): config is Config & { probe: NonNullable<Config['probe']> } {
  return config.probe !== undefined && config.jobEvidence === 'auto';
}

/**
 * The SSM probe of this configuration, or undefined when it does not probe. The plan
 * builds it here too, on an SSM client that refuses SendCommand, and keeps only its
 * `onlineInstances`: who could be probed is then decided by the same rule in both.
 */
export function createSsmProbe(config: Config, client?: SSMClient): SsmProbe | undefined {
  if (!probeEnabled(config)) return undefined;
  return new SsmProbe(client ?? new SSMClient({}), {
    documentName: config.probe.documentName,
    timeoutSeconds: config.probe.timeoutSeconds,
  });
}

/**
 * The SDK reads the region, credentials and AWS_ENDPOINT_URL (e.g. moto in tests) from
 * the environment on its own.
 */
export function createRuntime(config: Config, telemetry: Telemetry): Runtime {
  const clients = createGitHubClients(config, {
    warn: (message) => telemetry.logger.warn('GitHub client warning', { detail: message }),
  });
  const probe = createSsmProbe(config);
  return {
    config,
    ec2: new Ec2Adapter(new EC2Client({})),
    github: new GitHubRunners((owner) => clients.forOwner(owner), {
      forget: (owner) => clients.forget(owner),
      timing: clients.timing,
    }),
    ...(probe ? { probe } : {}),
    githubCalls: {
      get count() {
        return clients.stats.requests;
      },
    },
    counters: () => ({
      githubRequests: clients.stats.requests,
      githubDeletes: clients.stats.deletes,
      githubRateLimited: clients.stats.rateLimited,
      probesSent: probe?.stats.probesSent ?? 0,
      probeFailures: probe?.stats.probeFailures ?? 0,
    }),
  };
}

/**
 * What the executors run with. `githubWorstCaseWaitMs` is the GitHub client's own bound on
 * one request (its budget, GitHubTiming.worstCaseRequestMs), which the executors reserve
 * after the settle (issue 10, point 17).
 */
export function executorEnv(runtime: Runtime, remainingMs?: () => number): ExecutorEnv {
  const env = {
    config: runtime.config,
    now: () => new Date(),
    sleep: realSleep,
    ...(remainingMs ? { remainingMs } : {}),
    ...(runtime.github.timing ? { githubWorstCaseWaitMs: runtime.github.timing.worstCaseRequestMs } : {}),
  };
  return env;
}

/** What changed between two readings of the counters. */
export function callsSince(before: CallCounters, after: CallCounters): CallCounters {
  return {
    githubRequests: after.githubRequests - before.githubRequests,
    githubDeletes: after.githubDeletes - before.githubDeletes,
    githubRateLimited: after.githubRateLimited - before.githubRateLimited,
    probesSent: after.probesSent - before.probesSent,
    probeFailures: after.probeFailures - before.probeFailures,
  };
}
