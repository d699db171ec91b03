/**
 * The GitHub twin: a stateful in-memory HTTP server on loopback that @octokit/rest (and
 * the built Lambdas, through GITHUB_API_URL) talk to as if it were api.github.com.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, type KeyObject } from 'node:crypto';
import type { OutcomeLedger } from '../ledger/ledger';
import { RealClock, type WorldClock } from './clock';
import { JobDispatcher, type TwinOwner } from './dispatcher';
import { FaultInjector, HookRegistry, type HookFn, type HookHandle, type HookRequest, type HookResult, type RequestMatcher } from './faults';
import { generateAppKeyPair, sharedAppKeyPair, verifyAppJwt } from './jwt';
import { RateLimiter } from './limits';
import { RequestLog } from './request-log';
import { RouteTable } from './router';
import { ROUTES, SERVED_ROUTES, resourceOf } from './routes';
import { errorJson, installationJson, runnerJson, type Installation } from './views';

export interface GitHubTwinOptions {
  /** World clock for the dispatcher and rate-limit windows (default: real time). */
  clock?: WorldClock;
  ledger?: OutcomeLedger;
  appId?: number;
  /** Seed for fault injection randomness. */
  seed?: number;
  /** Keep request and response bodies in the log (conformance tests). */
  recordBodies?: boolean;
  /**
   * Clock for JWT and installation-token expiry, in epoch ms. Real time by default because
   * the clients (Octokit's auth-app inside the Lambda) sign and cache with real time.
   */
  authNow?: () => number;
  /** A fresh app key pair for this twin instead of the per-process shared one. */
  freshKey?: boolean;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface InstallationToken {
  installationId: number;
  expiresAt: number;
}

export class GitHubTwin {
  readonly clock: WorldClock;
  readonly dispatcher: JobDispatcher;
  readonly appId: number;
  /** PKCS#1 PEM of the app's private key. */
  readonly privateKeyPem: string;
  readonly publicKey: KeyObject;
  readonly log = new RequestLog();
  readonly limits: RateLimiter;
  readonly faults: FaultInjector;
  readonly hooks = new HookRegistry();
  /** Lifetime of installation tokens issued from now on (ms, default 1 h). */
  tokenLifetimeMs = 3_600_000;
  /** When false, runner endpoints accept requests without a token (quick tests). */
  requireAuth = true;
  recordBodies: boolean;

  private readonly authNow: () => number;
  private readonly table = new RouteTable();
  private readonly installations = new Map<number, Installation>();
  private readonly tokens = new Map<string, InstallationToken>();
  private nextInstallationId = 1;
  private server?: Server;
  private baseUrl = '';

  constructor(opts: GitHubTwinOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    this.dispatcher = new JobDispatcher(this.clock, opts.ledger);
    this.appId = opts.appId ?? 123456;
    const keys = opts.freshKey ? generateAppKeyPair() : sharedAppKeyPair();
    this.privateKeyPem = keys.privateKeyPem;
    this.publicKey = keys.publicKey;
    this.limits = new RateLimiter(this.clock);
    this.faults = new FaultInjector(opts.seed ?? 1);
    this.recordBodies = !!opts.recordBodies;
    this.authNow = opts.authNow ?? Date.now;
    for (const r of SERVED_ROUTES) this.table.add(r.method, r.template);
  }

  /** Base64 of the PEM, as github-aws-runners stores it in SSM. */
  get privateKeyBase64(): string {
    return Buffer.from(this.privateKeyPem).toString('base64');
  }

  /** `http://127.0.0.1:<port>`; pass as Octokit's baseUrl / GITHUB_API_URL. */
  get url(): string {
    if (!this.baseUrl) throw new Error('twin not started');
    return this.baseUrl;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        // A client that hung up mid-request; nothing to answer.
        if (!res.headersSent) res.writeHead(500).end(JSON.stringify(errorJson(`twin error: ${err.message}`, 500)));
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ setup API
  /** Installs the app on an org (or user) account; covers the account's repos. Returns the installation id. */
  install(account: string, targetType: 'Organization' | 'User' = 'Organization'): number {
    const existing = [...this.installations.values()].find((i) => i.account === account);
    if (existing) return existing.id;
    const id = this.nextInstallationId++;
    this.installations.set(id, { id, account, targetType, createdAt: new Date(this.authNow()).toISOString() });
    return id;
  }

  uninstall(account: string): void {
    for (const [id, i] of this.installations) if (i.account === account) this.installations.delete(id);
  }

  /** Issues an installation token directly (tests that skip App auth). */
  issueInstallationToken(installationId: number, lifetimeMs = this.tokenLifetimeMs): { token: string; expiresAt: number } {
    if (!this.installations.has(installationId)) throw new Error(`no installation ${installationId}`);
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    const expiresAt = this.authNow() + lifetimeMs;
    this.tokens.set(token, { installationId, expiresAt });
    return { token, expiresAt };
  }

  /** Makes every issued installation token expired. */
  expireAllTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** Runs `fn` before the twin computes its answer to matching requests. */
  before(matcher: RequestMatcher, fn: HookFn, opts?: { times?: number }): HookHandle {
    return this.hooks.add('before', matcher, fn, opts);
  }

  /** Runs `fn` after the answer is computed (state changed) and before it is sent. */
  after(matcher: RequestMatcher, fn: HookFn, opts?: { times?: number }): HookHandle {
    return this.hooks.add('after', matcher, fn, opts);
  }

  /** Environment for a child process (the built Lambda) to reach the twin. */
  env(): Record<string, string> {
    return { GITHUB_API_URL: this.url };
  }

  routes(): { method: string; template: string }[] {
    return this.table.list();
  }

  // ------------------------------------------------------------------ request handling
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = this.clock.now();
    const url = new URL(req.url ?? '/', 'http://twin');
    const method = (req.method ?? 'GET').toUpperCase();
    const match = this.table.match(method, url.pathname);
    const query = Object.fromEntries(url.searchParams.entries());
    const rawBody = await readBody(req);
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const hookReq: HookRequest = {
      method,
      route: match?.template ?? 'UNMATCHED',
      path: url.pathname,
      params: match?.params ?? {},
      query,
      body,
    };
    const entered = this.limits.enter();
    let answer: Answer;
    try {
      answer = await this.answer(hookReq, req, url, entered.ok ? undefined : entered);
    } catch (err) {
      answer = { status: 500, body: errorJson(`twin error: ${(err as Error).message}`, 500) };
    } finally {
      this.limits.leave();
    }
    this.log.add({
      at: arrivedAt,
      method,
      route: hookReq.route,
      path: url.pathname,
      params: hookReq.params,
      query,
      status: answer.status,
      ...(this.recordBodies
        ? { requestBody: body, responseBody: answer.body, responseHeaders: { ...(answer.headers ?? {}) } }
        : {}),
    });
    const headers: Record<string, string> = {
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-github-api-version-selected': '2022-11-28',
      ...(answer.headers ?? {}),
    };
    if (answer.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(answer.status, headers);
    res.end(answer.body !== undefined ? JSON.stringify(answer.body) : undefined);
  }

  private async answer(
    hookReq: HookRequest,
    req: IncomingMessage,
    url: URL,
    concurrencyRejection?: { status: number; message: string; headers: Record<string, string> },
  ): Promise<Answer> {
    const latency = this.faults.latencyFor(hookReq);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (concurrencyRejection) {
      return { status: concurrencyRejection.status, body: errorJson(concurrencyRejection.message, concurrencyRejection.status), headers: concurrencyRejection.headers };
    }
    await this.hooks.run('before', hookReq);
    const answer = await this.compute(hookReq, req, url);
    const result: HookResult = { status: answer.status, body: answer.body };
    await this.hooks.run('after', hookReq, result);
    return answer;
  }

  private async compute(r: HookRequest, req: IncomingMessage, url: URL): Promise<Answer> {
    if (r.route === 'UNMATCHED') return { status: 404, body: errorJson('Not Found', 404) };
    const fault = this.faults.pick(r);
    if (fault) {
      return {
        status: fault.status,
        body: fault.body ?? errorJson(fault.status >= 500 ? 'Server Error' : `Forced ${fault.status}`, fault.status),
        ...(fault.headers ? { headers: fault.headers } : {}),
      };
    }
    const auth = this.authenticate(r, req.headers.authorization);
    if ('status' in auth) return auth;
    const primary = this.limits.primaryCheck(auth.caller, resourceOf(r.route));
    if (!primary.ok) return { status: primary.status, body: errorJson(primary.message, primary.status), headers: primary.headers };
    const points = this.limits.pointsCheck(`${r.method} ${r.route}`, r.method);
    if (!points.ok) {
      return { status: points.status, body: errorJson(points.message, points.status), headers: { ...primary.headers, ...points.headers } };
    }
    const answer = this.route(r, url, req, auth.installation);
    return { ...answer, headers: { ...primary.headers, ...(answer.headers ?? {}) } };
  }

  /** App JWT for the app endpoints, installation token for the rest. */
  private authenticate(
    r: HookRequest,
    header: string | undefined,
  ): { caller: string; installation?: Installation } | Answer {
    const credential = /^(?:bearer|token)\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
    const appRoute = r.route === ROUTES.orgInstallation || r.route === ROUTES.repoInstallation || r.route === ROUTES.installationToken;
    if (appRoute) {
      if (!credential) return unauthorized('A JSON web token could not be decoded');
      const check = verifyAppJwt(credential, this.appId, this.publicKey, Math.floor(this.authNow() / 1000));
      if (!check.ok) return unauthorized(check.reason);
      return { caller: `app-${this.appId}` };
    }
    if (!credential) {
      return this.requireAuth ? unauthorized('Requires authentication') : { caller: 'anonymous' };
    }
    const token = this.tokens.get(credential);
    if (!token || token.expiresAt <= this.authNow()) return unauthorized('Bad credentials');
    const installation = this.installations.get(token.installationId);
    if (!installation) return unauthorized('Bad credentials');
    return { caller: `installation-${installation.id}`, installation };
  }

  private route(r: HookRequest, url: URL, req: IncomingMessage, installation?: Installation): Answer {
    const p = r.params;
    switch (r.route) {
      case ROUTES.orgInstallation:
        return this.installationFor(p.org!);
      case ROUTES.repoInstallation:
        return this.installationFor(p.owner!);
      case ROUTES.installationToken:
        return this.createToken(Number(p.installation_id));
    }
    const owner: TwinOwner = p.org ? { type: 'Org', owner: p.org } : { type: 'Repo', owner: `${p.owner}/${p.repo}` };
    const account = p.org ?? p.owner!;
    if (installation && installation.account !== account) {
      return { status: 403, body: errorJson('Resource not accessible by integration', 403) };
    }
    const d = this.dispatcher;
    switch (r.route) {
      case ROUTES.orgRunners:
      case ROUTES.repoRunners:
        return this.listRunners(owner, url, req);
      case ROUTES.orgRunner:
      case ROUTES.repoRunner: {
        const id = Number(p.runner_id);
        if (r.method === 'GET') {
          const runner = Number.isInteger(id) ? d.getRunner(owner, id) : undefined;
          return runner ? { status: 200, body: runnerJson(d, runner) } : notFound();
        }
        const outcome = Number.isInteger(id) ? d.deleteRunner(owner, id) : ({ status: 404 } as const);
        if (outcome.status === 204) return { status: 204 };
        if (outcome.status === 404) return notFound();
        return {
          status: outcome.status,
          body:
            outcome.status === 422
              ? { message: `Bad request - ${outcome.message}`, documentation_url: 'https://docs.github.com/rest/actions/self-hosted-runners#delete-a-self-hosted-runner-from-an-organization' }
              : errorJson(outcome.message, outcome.status),
        };
      }
      case ROUTES.orgRegistrationToken:
      case ROUTES.repoRegistrationToken: {
        const t = d.createRegistrationToken(owner);
        return { status: 201, body: { token: t.token, expires_at: isoSeconds(t.expiresAt) } };
      }
      case ROUTES.orgJitConfig:
      case ROUTES.repoJitConfig:
        return this.jitConfig(owner, r.body);
    }
    return notFound();
  }

  private installationFor(account: string): Answer {
    const inst = [...this.installations.values()].find((i) => i.account === account);
    if (!inst) return notFound();
    return { status: 200, body: installationJson(this.appId, this.url, inst) };
  }

  private createToken(installationId: number): Answer {
    if (!this.installations.has(installationId)) return notFound();
    const t = this.issueInstallationToken(installationId);
    return {
      status: 201,
      body: {
        token: t.token,
        expires_at: isoSeconds(t.expiresAt),
        permissions: { organization_self_hosted_runners: 'write', administration: 'write', actions: 'read' },
        repository_selection: 'all',
      },
    };
  }

  private listRunners(owner: TwinOwner, url: URL, req: IncomingMessage): Answer {
    const perPage = clampInt(url.searchParams.get('per_page'), 30, 1, 100);
    const page = clampInt(url.searchParams.get('page'), 1, 1, Number.MAX_SAFE_INTEGER);
    const nameFilter = url.searchParams.get('name');
    const all = this.dispatcher
      .visibleRunners(owner)
      .filter((r) => !nameFilter || r.name === nameFilter)
      .sort((a, b) => a.id - b.id);
    const lastPage = Math.max(1, Math.ceil(all.length / perPage));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    const link = linkHeader(`http://${req.headers.host ?? '127.0.0.1'}${url.pathname}`, url.searchParams, page, lastPage);
    if (link) headers.link = link;
    return {
      status: 200,
      body: { total_count: all.length, runners: slice.map((r) => runnerJson(this.dispatcher, r)) },
      headers,
    };
  }

  private jitConfig(owner: TwinOwner, body: unknown): Answer {
    const b = (body ?? {}) as { name?: unknown; runner_group_id?: unknown; labels?: unknown };
    const labelsOk = Array.isArray(b.labels) && b.labels.length >= 1 && b.labels.length <= 100 && b.labels.every((l) => typeof l === 'string');
    if (typeof b.name !== 'string' || !b.name || typeof b.runner_group_id !== 'number' || !labelsOk) {
      return {
        status: 422,
        body: { message: 'Invalid request. name, runner_group_id and labels (1-100 strings) are required.', documentation_url: 'https://docs.github.com/rest' },
      };
    }
    const made = this.dispatcher.generateJitConfig(owner, b.name, b.labels as string[]);
    if (made === 'conflict') return { status: 409, body: errorJson('Already exists - A runner with the same name already exists.', 409) };
    return { status: 201, body: { runner: runnerJson(this.dispatcher, made.runner), encoded_jit_config: made.encoded } };
  }
}

function unauthorized(message: string): Answer {
  return { status: 401, body: errorJson(message, 401) };
}

function notFound(): Answer {
  return { status: 404, body: errorJson('Not Found', 404) };
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  const n = raw === null ? NaN : Number.parseInt(raw, 10);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

/** GitHub's pagination Link header (absent when everything fits on one page). */
function linkHeader(base: string, params: URLSearchParams, page: number, lastPage: number): string | undefined {
  if (lastPage <= 1) return undefined;
  const at = (n: number) => {
    const q = new URLSearchParams(params);
    q.set('page', String(n));
    return `<${base}?${q.toString()}>`;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`${at(Math.min(page - 1, lastPage))}; rel="prev"`);
  if (page < lastPage) parts.push(`${at(page + 1)}; rel="next"`, `${at(lastPage)}; rel="last"`);
  if (page > 1) parts.push(`${at(1)}; rel="first"`);
  return parts.length ? parts.join(', ') : undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
