/**
 * Authenticated Octokit clients, one per GitHub App installation, shared by every owner
 * that installation serves. What the plugins do and why:
 * - throttling: honours GitHub's primary and secondary rate limits (retry-after) a
 *   bounded number of times, and spaces writes; its Bottleneck groups also bound how many
 *   requests run at once (GITHUB_CONCURRENCY) across all installations. It alone retries
 *   rate-limit answers (403/429): the retry plugin is told never to, or one 429 would be
 *   retried by both (issue 10, point 15).
 * - retry: retries transient failures of reads (5xx, network). It never retries 4xx
 *   answers such as 422 (a busy runner), and the runners adapter turns it off for DELETE.
 * A DELETE is never retried by either plugin: a second DELETE could remove a runner that
 * took a job in between, so a refused or failed DELETE waits for the next run.
 *
 * Below the plugins, every HTTP attempt goes through one fetch that
 * - paces requests per endpoint under GitHub's secondary limit (900 points a minute per
 *   endpoint; GET 1 point, DELETE 5): reads too, not only writes (issue 10, point 16);
 * - holds each logical request to a budget (`requestBudgetMs`, from its first attempt):
 *   retries and rate-limit waits that would not fit are given up, so the worst case of one
 *   request is a number the executors can plan with (`worstCaseRequestMs`, point 17);
 * - counts attempts, DELETEs and rate-limit answers (the GitHubCalls metrics).
 */
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { ownerKey, type OwnerKey, type OwnerRef } from '../core';
import type { CredentialSource, GitHubAppCredentials } from './github-credentials';
import type { GitHubTiming } from './ports';

export const ReaperOctokit = Octokit.plugin(throttling, retry);
export type ReaperOctokit = InstanceType<typeof ReaperOctokit>;

export interface GitHubClientOptions {
  baseUrl: string;
  credentials: CredentialSource;
  /** Most requests in flight at once, over all installations. */
  concurrency: number;
  /** Abort one HTTP attempt after this long. */
  requestTimeoutMs?: number;
  /**
   * Longest one logical request may take from its first attempt, retries and rate-limit
   * waits included. A wait that would not fit is not started: the request fails (keep).
   */
  requestBudgetMs?: number;
  /** Retries of a failed read (5xx, network). */
  readRetries?: number;
  /** Retries after a rate-limit answer (never for DELETE). */
  rateLimitRetries?: number;
  /** Give up instead of waiting longer than this for a rate limit to reset. */
  maxRateLimitWaitSeconds?: number;
  /** Scale of retry back-off and retry-after (1000 = seconds). Tests make it small. */
  retryUnitMs?: number;
  /**
   * GitHub's secondary limit per endpoint (points a minute; GET 1, DELETE 5). The client
   * paces each endpoint at 5/6 of it with a burst of 1/12, so no minute ever exceeds
   * 11/12 of the limit. 900 on github.com; 0 turns pacing off (tests).
   */
  pointsPerMinute?: number;
  /**
   * Minimum gap between writes (DELETEs). Default: the paced rate of a 5-point request,
   * 400 ms at 900 points a minute (150 DELETEs a minute, below GitHub's 180).
   */
  writeIntervalMs?: number;
  /** The fetch below Octokit (e.g. one that trusts a private CA). Default: global fetch. */
  fetch?: typeof fetch;
  /** Called once per HTTP attempt (for the GitHubCalls metric). */
  onRequest?: () => void;
  /** Receives Octokit's own warnings (rate limits, deprecations). */
  warn?: (message: string) => void;
}

const DEFAULTS = {
  requestTimeoutMs: 10_000,
  requestBudgetMs: 30_000,
  readRetries: 2,
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 60,
  retryUnitMs: 1000,
  pointsPerMinute: 900,
};

/** Share of the per-endpoint limit the client paces at, and the burst it allows. */
const PACED_SHARE = 5 / 6;
const BURST_SHARE = 1 / 12;

/** GitHub's points per request: GET/HEAD 1, anything that writes 5 (secondary rate limits). */
export function pointsOf(method: string): number {
  return method === 'GET' || method === 'HEAD' ? 1 : 5;
}

/**
 * The endpoint a request counts against: method and route template, the owner and ids
 * left out, so every org's runner GETs share one budget (the cautious reading of "per
 * endpoint").
 */
export function endpointOf(method: string, url: string): string {
  const path = new URL(url, 'http://github.invalid').pathname
    .replace(/\/api\/v3(?=\/)/, '')
    .replace(/^\/orgs\/[^/]+/, '/orgs/{org}')
    .replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/{owner}/{repo}')
    .replace(/\/\d+(?=\/|$)/g, '/{id}');
  return `${method} ${path}`;
}

/** Per-endpoint token buckets: a request takes its points, or waits until they refill. */
export class EndpointPacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;
  private readonly burst: number;

  constructor(
    pointsPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.ratePerMs = (pointsPerMinute * PACED_SHARE) / 60_000;
    this.burst = Math.max(5, pointsPerMinute * BURST_SHARE);
  }

  /** Milliseconds to wait before a request of `points` may go (and books it). */
  reserve(endpoint: string, points: number): number {
    if (this.ratePerMs <= 0) return 0;
    const now = this.now();
    const bucket = this.buckets.get(endpoint) ?? { tokens: this.burst, at: now };
    // Tokens may go negative: each waiting request books its place in the queue.
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.ratePerMs) - points;
    bucket.at = now;
    this.buckets.set(endpoint, bucket);
    return bucket.tokens >= 0 ? 0 : Math.ceil(-bucket.tokens / this.ratePerMs);
  }

  /** Reads of one endpoint that go at once before pacing starts. */
  get burstReads(): number {
    return this.ratePerMs <= 0 ? Number.POSITIVE_INFINITY : Math.floor(this.burst);
  }

  /** Milliseconds between requests of `points` once the burst is used. */
  intervalMs(points: number): number {
    return this.ratePerMs <= 0 ? 0 : points / this.ratePerMs;
  }
}

/** HTTP attempts since the container started. */
export interface GitHubCallStats {
  requests: number;
  deletes: number;
  /** Answers that were a primary or secondary rate limit. */
  rateLimited: number;
}

/**
 * Answers that repeat if asked again. Spelled out rather than left to the plugin's default:
 * a 422 is GitHub saying a runner is busy, and must never be retried into a success; 403
 * and 429 are the throttling plugin's to retry (rate limits), never the retry plugin's.
 */
const NEVER_RETRIED = [400, 401, 403, 404, 410, 422, 429, 451] as const;

interface CachedClient {
  appId: string;
  privateKey: string;
  octokit: ReaperOctokit;
}

/** One logical request's budget, keyed by the AbortSignal every attempt carries. */
interface Budget {
  controller: AbortController;
  startedAt?: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Epoch ms after which the request is not sent any more (`request.notAfter`). */
  notAfter?: number;
}

/**
 * A request whose turn in the queues (concurrency, pacing) came after its deadline: never
 * sent. Octokit hands it on as the `cause` of its RequestError.
 */
export class SendDeadlineError extends Error {
  override readonly name = 'SendDeadlineError';
}

/** The SendDeadlineError behind an Octokit error, if that is what it is. */
export function sendDeadlineOf(error: unknown): SendDeadlineError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    if (e instanceof SendDeadlineError) return e;
  }
  return undefined;
}

type ResolvedOptions = Required<Omit<GitHubClientOptions, 'onRequest' | 'warn' | 'fetch' | 'writeIntervalMs'>> &
  Pick<GitHubClientOptions, 'onRequest' | 'warn'> & { fetch: typeof fetch; writeIntervalMs: number };

export class GitHubClients {
  private readonly options: ResolvedOptions;
  private readonly globalLimiter: Bottleneck.Group;
  private readonly writeLimiter: Bottleneck.Group;
  private readonly pacer: EndpointPacer;
  private readonly budgets = new WeakMap<AbortSignal, Budget>();
  private readonly installations = new Map<OwnerKey, Promise<number>>();
  private readonly clients = new Map<number, CachedClient>();
  private appClient: CachedClient | undefined;
  readonly stats: GitHubCallStats = { requests: 0, deletes: 0, rateLimited: 0 };

  constructor(options: GitHubClientOptions) {
    const merged = { ...DEFAULTS, fetch: globalThis.fetch, ...stripUndefined(options) };
    this.pacer = new EndpointPacer(merged.pointsPerMinute);
    this.options = {
      ...merged,
      writeIntervalMs: merged.writeIntervalMs ?? Math.round(this.pacer.intervalMs(pointsOf('DELETE'))),
    } as ResolvedOptions;
    this.globalLimiter = new Bottleneck.Group({ maxConcurrent: options.concurrency });
    this.writeLimiter = new Bottleneck.Group({
      maxConcurrent: 1,
      minTime: this.options.writeIntervalMs,
    });
  }

  /** What the executors plan their time with (ports.ts, GitHubTiming). */
  get timing(): GitHubTiming {
    return {
      worstCaseRequestMs: this.worstCaseRequestMs,
      readIntervalMs: this.pacer.intervalMs(pointsOf('GET')),
      burstReads: this.pacer.burstReads,
      writeIntervalMs: this.options.writeIntervalMs,
    };
  }

  /**
   * The longest one request can take from its first attempt: its budget, after which any
   * attempt still in flight is aborted. Queueing behind other requests (concurrency,
   * pacing) comes on top; `timing` says how fast the queue moves.
   */
  get worstCaseRequestMs(): number {
    return this.options.requestBudgetMs;
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

  /**
   * Forget what is cached for this owner: its installation id and that installation's
   * client (and token). Called when GitHub answers 401, or refuses the installation's
   * token, e.g. after the App was reinstalled (issue 10, point 13); the next call looks
   * the installation up again.
   */
  forget(owner: OwnerRef): void {
    const key = ownerKey(owner);
    const pending = this.installations.get(key);
    this.installations.delete(key);
    const drop = (id: number) => this.clients.delete(id);
    if (pending) pending.then(drop, () => {});
    else for (const id of [...this.clients.keys()]) drop(id); // a configured installation id
  }

  /** Looked up once per owner with the App's JWT; a failed lookup is retried next time. */
  private installationOf(owner: OwnerRef, credentials: GitHubAppCredentials): Promise<number> {
    const key = ownerKey(owner);
    let pending = this.installations.get(key);
    if (!pending) {
      pending = this.lookUpInstallation(owner, credentials);
      this.installations.set(key, pending);
      pending.catch(() => {
        if (this.installations.get(key) === pending) this.installations.delete(key);
      });
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

  /** Milliseconds left in the budget of the request these options belong to. */
  private budgetLeftMs(request: { request?: { signal?: AbortSignal } }): number {
    const signal = request.request?.signal;
    const budget = signal ? this.budgets.get(signal) : undefined;
    if (!budget || budget.startedAt === undefined) return this.options.requestBudgetMs;
    return budget.startedAt + this.options.requestBudgetMs - Date.now();
  }

  private create(auth: { appId: string; privateKey: string; installationId?: number }): ReaperOctokit {
    const o = this.options;
    const shouldRetry = (
      retryAfter: number,
      request: { method?: string; url?: string; request?: { signal?: AbortSignal } },
      retryCount: number,
    ) => {
      const waitMs = retryAfter * o.retryUnitMs;
      const retry =
        request.method !== 'DELETE' &&
        retryCount < o.rateLimitRetries &&
        retryAfter <= o.maxRateLimitWaitSeconds &&
        // The wait and one more attempt must fit the request's budget.
        waitMs + o.requestTimeoutMs <= this.budgetLeftMs(request);
      o.warn?.(
        `GitHub rate limit on ${request.method} ${request.url}: retry after ${retryAfter} s, ${retry ? 'waiting' : 'giving up'}`,
      );
      return retry;
    };
    const octokit = new ReaperOctokit({
      baseUrl: o.baseUrl,
      authStrategy: createAppAuth,
      auth,
      request: { fetch: this.attemptFetch() },
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
        onRateLimit: (retryAfter, request, _octokit, retryCount) => shouldRetry(retryAfter, request, retryCount),
        onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => shouldRetry(retryAfter, request, retryCount),
      },
    });
    // Outermost: give the logical request its budget, carried to every attempt by the
    // signal. Aborting with an AbortError (not a TimeoutError) makes Octokit rethrow it
    // as is, so neither plugin retries a request whose budget is spent.
    octokit.hook.wrap('request', async (request, options) => {
      if ((options.request as { signal?: AbortSignal } | undefined)?.signal) return request(options);
      const controller = new AbortController();
      const notAfter = (options.request as { notAfter?: unknown } | undefined)?.notAfter;
      const budget: Budget = { controller, ...(typeof notAfter === 'number' ? { notAfter } : {}) };
      // A copy: the request defaults object is shared by every request of this client.
      options.request = { ...options.request, signal: controller.signal };
      this.budgets.set(controller.signal, budget);
      try {
        return await request(options);
      } finally {
        if (budget.timer) clearTimeout(budget.timer);
      }
    });
    return octokit;
  }

  /** One HTTP attempt: its budget started, paced, timed out, counted. */
  private attemptFetch(): typeof fetch {
    const o = this.options;
    return async (input, init) => {
      const method = (init?.method ?? 'GET').toUpperCase();
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      // Pacing first: a wait for the endpoint's turn is queueing, not part of the budget.
      const waitMs = this.pacer.reserve(endpointOf(method, url), pointsOf(method));
      if (waitMs > 0) await abortableSleep(waitMs, init?.signal ?? undefined);
      const budget = init?.signal ? this.budgets.get(init.signal) : undefined;
      if (budget?.notAfter !== undefined && Date.now() > budget.notAfter) {
        throw new SendDeadlineError(`not sent: its turn came ${Date.now() - budget.notAfter} ms after its deadline`);
      }
      if (budget && budget.startedAt === undefined) {
        budget.startedAt = Date.now();
        budget.timer = setTimeout(() => budget.controller.abort(abortError()), o.requestBudgetMs);
        budget.timer.unref?.();
      }
      this.stats.requests++;
      if (method === 'DELETE') this.stats.deletes++;
      o.onRequest?.();
      const signals = [AbortSignal.timeout(o.requestTimeoutMs), ...(init?.signal ? [init.signal] : [])];
      const response = await o.fetch(input, { ...init, signal: AbortSignal.any(signals) });
      if (isRateLimitAnswer(response)) this.stats.rateLimited++;
      return response;
    };
  }
}

/** 429, or a 403 that carries GitHub's rate-limit headers. */
function isRateLimitAnswer(response: Response): boolean {
  if (response.status === 429) return true;
  if (response.status !== 403) return false;
  return response.headers.get('x-ratelimit-remaining') === '0' || response.headers.has('retry-after');
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  return Object.assign(new Error('the request ran out of its time budget'), { name: 'AbortError' });
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
