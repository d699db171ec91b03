/**
 * Authenticated Octokit clients, one per GitHub App installation, shared by every owner
 * that installation serves. What the plugins do and why:
 * - throttling: honours GitHub's primary and secondary rate limits (retry-after) a
 *   bounded number of times, and spaces writes; its Bottleneck groups also bound how many
 *   requests run at once (GITHUB_CONCURRENCY) across all installations.
 * - retry: retries transient failures of reads. It never retries 4xx answers such as 422
 *   (a busy runner), and the runners adapter turns it off for DELETE.
 * A DELETE is never retried by either plugin: a second DELETE could remove a runner that
 * took a job in between, so a refused or failed DELETE waits for the next run.
 */
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { ownerKey, type OwnerRef } from '../core';
import type { CredentialSource, GitHubAppCredentials } from './github-credentials';

export const ReaperOctokit = Octokit.plugin(throttling, retry);
export type ReaperOctokit = InstanceType<typeof ReaperOctokit>;

export interface GitHubClientOptions {
  baseUrl: string;
  credentials: CredentialSource;
  /** Most requests in flight at once, over all installations. */
  concurrency: number;
  /** Abort one HTTP request after this long. */
  requestTimeoutMs?: number;
  /** Retries of a failed read (5xx, network). */
  readRetries?: number;
  /** Retries after a rate-limit answer (never for DELETE). */
  rateLimitRetries?: number;
  /** Give up instead of waiting longer than this for a rate limit to reset. */
  maxRateLimitWaitSeconds?: number;
  /** Scale of retry back-off and retry-after (1000 = seconds). Tests make it small. */
  retryUnitMs?: number;
  /**
   * Minimum gap between writes (DELETEs). GitHub's secondary limit allows 900 points a
   * minute per endpoint and a DELETE costs 5, i.e. 180 a minute: 400 ms stays below it.
   */
  writeIntervalMs?: number;
  /** Called once per HTTP request attempt (for the GitHubCalls metric). */
  onRequest?: () => void;
  /** Receives Octokit's own warnings (rate limits, deprecations). */
  warn?: (message: string) => void;
}

const DEFAULTS = {
  requestTimeoutMs: 10_000,
  readRetries: 2,
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 60,
  retryUnitMs: 1000,
  writeIntervalMs: 400,
};

/**
 * Answers that repeat if asked again. Spelled out rather than left to the plugin's default:
 * a 422 is GitHub saying a runner is busy, and must never be retried into a success.
 */
const NEVER_RETRIED = [400, 401, 403, 404, 410, 422, 451] as const;

interface CachedClient {
  appId: string;
  privateKey: string;
  octokit: ReaperOctokit;
}

export class GitHubClients {
  private readonly options: Required<Omit<GitHubClientOptions, 'onRequest' | 'warn'>> &
    Pick<GitHubClientOptions, 'onRequest' | 'warn'>;
  private readonly globalLimiter: Bottleneck.Group;
  private readonly writeLimiter: Bottleneck.Group;
  private readonly installations = new Map<string, Promise<number>>();
  private readonly clients = new Map<number, CachedClient>();
  private appClient: CachedClient | undefined;

  constructor(options: GitHubClientOptions) {
    this.options = { ...DEFAULTS, ...stripUndefined(options) } as GitHubClients['options'];
    this.globalLimiter = new Bottleneck.Group({ maxConcurrent: options.concurrency });
    this.writeLimiter = new Bottleneck.Group({
      maxConcurrent: 1,
      minTime: this.options.writeIntervalMs,
    });
  }

  /** The client for the installation that serves this owner. */
  async forOwner(owner: OwnerRef): Promise<ReaperOctokit> {
    const credentials = await this.options.credentials();
    const installationId =
      credentials.installationId ?? (await this.installationOf(owner, credentials));
    const cached = this.clients.get(installationId);
    if (cached && sameApp(cached, credentials)) return cached.octokit;
    const octokit = this.create({
      appId: credentials.appId,
      privateKey: credentials.privateKey,
      installationId,
    });
    this.clients.set(installationId, { ...pick(credentials), octokit });
    return octokit;
  }

  /** Looked up once per owner with the App's JWT; a failed lookup is retried next time. */
  private installationOf(owner: OwnerRef, credentials: GitHubAppCredentials): Promise<number> {
    const key = ownerKey(owner);
    let pending = this.installations.get(key);
    if (!pending) {
      pending = this.lookUpInstallation(owner, credentials);
      this.installations.set(key, pending);
      pending.catch(() => this.installations.delete(key));
    }
    return pending;
  }

  private async lookUpInstallation(owner: OwnerRef, credentials: GitHubAppCredentials): Promise<number> {
    const app = this.appOctokit(credentials);
    const response =
      owner.type === 'Org'
        ? await app.request('GET /orgs/{org}/installation', { org: owner.owner })
        : await app.request('GET /repos/{owner}/{repo}/installation', splitRepo(owner.owner));
    const id: unknown = (response.data as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new Error(`GitHub gave no installation id for ${owner.type} ${owner.owner}`);
    }
    return id;
  }

  private appOctokit(credentials: GitHubAppCredentials): ReaperOctokit {
    if (!this.appClient || !sameApp(this.appClient, credentials)) {
      const octokit = this.create({ appId: credentials.appId, privateKey: credentials.privateKey });
      this.appClient = { ...pick(credentials), octokit };
    }
    return this.appClient.octokit;
  }

  private create(auth: { appId: string; privateKey: string; installationId?: number }): ReaperOctokit {
    const o = this.options;
    const shouldRetry = (retryAfter: number, request: { method?: string; url?: string }, retryCount: number) => {
      const retry =
        request.method !== 'DELETE' && retryCount < o.rateLimitRetries && retryAfter <= o.maxRateLimitWaitSeconds;
      o.warn?.(
        `GitHub rate limit on ${request.method} ${request.url}: retry after ${retryAfter} s, ${retry ? 'waiting' : 'giving up'}`,
      );
      return retry;
    };
    const octokit = new ReaperOctokit({
      baseUrl: o.baseUrl,
      authStrategy: createAppAuth,
      auth,
      request: { fetch: timeoutFetch(o.requestTimeoutMs) },
      log: {
        debug: () => {},
        info: () => {},
        warn: (message: string) => o.warn?.(message),
        // Failed requests are classified and logged by the runners adapter (a 404 on the
        // re-check is the normal case): Octokit's own error line would only add noise.
        error: () => {},
      },
      retry: { retries: o.readRetries, retryAfterBaseValue: o.retryUnitMs, doNotRetry: [...NEVER_RETRIED] },
      throttle: {
        // `global` is honoured by the plugin but missing from its option type.
        ...({ global: this.globalLimiter } as object),
        write: this.writeLimiter,
        retryAfterBaseValue: o.retryUnitMs,
        onRateLimit: (retryAfter, request, _octokit, retryCount) =>
          shouldRetry(retryAfter, request, retryCount),
        onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) =>
          shouldRetry(retryAfter, request, retryCount),
      },
    });
    if (o.onRequest) {
      const count = o.onRequest;
      octokit.hook.before('request', () => count());
    }
    return octokit;
  }
}

export function splitRepo(fullName: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = fullName.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new Error(`"${fullName}" is not an owner/repo name`);
  }
  return { owner, repo };
}

function sameApp(cached: { appId: string; privateKey: string }, credentials: GitHubAppCredentials): boolean {
  return cached.appId === credentials.appId && cached.privateKey === credentials.privateKey;
}

function pick(credentials: GitHubAppCredentials): { appId: string; privateKey: string } {
  return { appId: credentials.appId, privateKey: credentials.privateKey };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** fetch with a per-request deadline: a hung connection becomes an error, i.e. keep. */
function timeoutFetch(timeoutMs: number): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}
