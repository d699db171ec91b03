/** Shared builders for executor and handler tests. */
import { GitHubClients, type GitHubClientOptions } from '../../src/adapters/github-client';
import { GitHubRunners } from '../../src/adapters/github-runners';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { TAG, type Decision, type OwnerRef, type RunnerView } from '../../src/core';
import type { ExecutorEnv } from '../../src/executor/outcome';
import { testPrivateKey, type GitHubMock } from './github-mock';

export const ENVIRONMENT = 'ci';
export const ORG: OwnerRef = { type: 'Org', owner: 'acme' };
export const ORG_PATH = 'orgs/acme';
export const REPO: OwnerRef = { type: 'Repo', owner: 'acme/app' };
export const REPO_PATH = 'repos/acme/app';

export const BASE_ENV = {
  ENVIRONMENT,
  PARAMETER_GITHUB_APP_ID_NAME: '/ci/app/id',
  PARAMETER_GITHUB_APP_KEY_BASE64_NAME: '/ci/app/key',
};

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig(BASE_ENV), ...overrides };
}

export function runnerTags(owner: OwnerRef = ORG, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [TAG.application]: 'github-action-runner',
    [TAG.environment]: ENVIRONMENT,
    [TAG.owner]: owner.owner,
    [TAG.type]: owner.type,
    ...extra,
  };
}

export function idleRunner(id: number, instanceId: string): RunnerView {
  return { id, name: `runner-${instanceId}`, status: 'online', busy: false, labels: ['self-hosted'] };
}

export function reclaim(instanceId: string, runner: RunnerView, owner: OwnerRef = ORG): Decision {
  return {
    instanceId,
    action: 'reclaim',
    reason: 'idle-confirmed',
    message: 'Reclaim: idle confirmed.',
    owner,
    runner,
  };
}

/** A real Octokit stack against the mock, with retries and rate-limit waits made fast. */
export function testGitHub(mock: GitHubMock, options: Partial<GitHubClientOptions> = {}): GitHubRunners {
  const clients = new GitHubClients({
    baseUrl: mock.url,
    credentials: async () => ({ appId: '12345', privateKey: testPrivateKey() }),
    concurrency: 10,
    requestTimeoutMs: 1000,
    retryUnitMs: 1,
    writeIntervalMs: 0,
    ...options,
  });
  return new GitHubRunners((owner) => clients.forOwner(owner));
}

export interface RecordingEnv extends ExecutorEnv {
  sleeps: number[];
}

/** An executor environment whose sleep returns at once (and can run a race on the way). */
export function testEnv(config: Config, duringSettle?: () => void | Promise<void>): RecordingEnv {
  const sleeps: number[] = [];
  return {
    config,
    now: () => new Date('2026-11-29T12:00:00Z'),
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      await duringSettle?.();
    },
  };
}
