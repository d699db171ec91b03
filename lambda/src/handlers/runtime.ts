/**
 * What a handler builds once per Lambda container: the validated configuration and the
 * adapters. The configuration is read at cold start; when it is invalid, every invocation
 * fails with the same message (naming the variable) before any AWS or GitHub call.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../adapters/ec2';
import { GitHubClients } from '../adapters/github-client';
import { ssmCredentials } from '../adapters/github-credentials';
import { GitHubRunners } from '../adapters/github-runners';
import type { Ec2Port, GitHubPort } from '../adapters/ports';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';
import type { Telemetry } from '../observability/telemetry';

export type LoadedConfig = { ok: true; config: Config } | { ok: false; error: Error };

export function loadAtColdStart(env: Record<string, string | undefined>): LoadedConfig {
  try {
    return { ok: true, config: loadConfig(env) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

export interface Runtime {
  config: Config;
  ec2: Ec2Port;
  github: GitHubPort;
  /** HTTP requests made to GitHub since the container started. */
  githubCalls: { count: number };
}

/**
 * The SDK reads the region, credentials and AWS_ENDPOINT_URL (e.g. moto in tests) from
 * the environment on its own.
 */
/**
 * The gap the client leaves between DELETEs: 400 ms at github.com's 900 points a minute
 * (a DELETE costs 5, so 180 a minute is the limit and 150 a minute leaves a margin).
 */
export function writeIntervalMs(pointsPerMinute = 900): number {
  return Math.max(1, Math.round((400 * 900) / pointsPerMinute));
}

export function createRuntime(config: Config, telemetry: Telemetry): Runtime {
  const githubCalls = { count: 0 };
  const clients = new GitHubClients({
    baseUrl: config.githubApiUrl,
    credentials: ssmCredentials(config.githubApp),
    concurrency: config.githubConcurrency,
    writeIntervalMs: writeIntervalMs(config.githubPointsPerMinute),
    onRequest: () => {
      githubCalls.count++;
    },
    warn: (message) => telemetry.logger.warn('GitHub client warning', { detail: message }),
  });
  return {
    config,
    ec2: new Ec2Adapter(new EC2Client({})),
    github: new GitHubRunners((owner) => clients.forOwner(owner)),
    githubCalls,
  };
}
