/**
 * A small GitHub REST server on 127.0.0.1 for tests: App installation and token
 * endpoints, and the runners endpoints of orgs and repositories, at the HTTP level (the
 * real Octokit stack talks to it). Tests change its state directly and can intercept any
 * request to answer with an error, a delay or malformed JSON.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';

export interface MockRunner {
  id: number;
  name: string;
  status: 'online' | 'offline';
  busy: boolean;
  labels: { id: number; name: string; type: string }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON-encoding `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
}

/** Return a reply to answer the request yourself, or undefined to let the mock answer. */
export type Interceptor = (request: RecordedRequest) => Reply | undefined;

export interface GitHubMock {
  /** The API base URL (with the path prefix, if any): Octokit's baseUrl. */
  url: string;
  /** scheme://host:port: the web base URL (GHES_URL) when the prefix is `/api/v3`. */
  origin: string;
  /**
   * The App's installation: what `GET .../installation` answers. Tokens are per
   * installation (`ghs_install_<id>`); set `reinstall()` to move to a new id, after which the
   * old id's tokens are refused (401) and new tokens for it cannot be created (404).
   */
  installationId: number;
  reinstall(newId: number): void;
  requests: RecordedRequest[];
  /** Runners per owner path: `orgs/acme` or `repos/acme/app`. */
  runners: Map<string, MockRunner[]>;
  intercept(interceptor: Interceptor): void;
  addRunner(ownerPath: string, runner: Partial<MockRunner> & { id: number; name: string }): MockRunner;
  runner(ownerPath: string, id: number): MockRunner | undefined;
  count(method: string, pathPattern: RegExp): number;
  /** Called with every request, after recording and before answering. */
  onRequest?: (request: RecordedRequest) => void;
  close(): Promise<void>;
}

let cachedKey: string | undefined;
/** One RSA key per test process: the App JWT needs a real key; generating one costs ~100 ms. */
export function testPrivateKey(): string {
  cachedKey ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  return cachedKey;
}

export const INSTALLATION_ID = 4242;

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  headers['content-type'] ??= 'application/json; charset=utf-8';
  res.writeHead(reply.status, headers).end(reply.raw ?? JSON.stringify(reply.body ?? {}));
}

const RUNNERS = /^\/(orgs\/[^/]+|repos\/[^/]+\/[^/]+)\/actions\/runners(?:\/(\d+))?$/;
const INSTALLATION = /^\/(orgs\/[^/]+|repos\/[^/]+\/[^/]+)\/installation$/;
const TOKEN = /^\/app\/installations\/(\d+)\/access_tokens$/;

/** Options of the mock server. */
export interface GitHubMockOptions {
  /** Serve the API under this path (GitHub Enterprise Server: `/api/v3`). */
  pathPrefix?: string;
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. */
  tls?: { key: string; cert: string };
}

export async function startGitHubMock(options: GitHubMockOptions = {}): Promise<GitHubMock> {
  const interceptors: Interceptor[] = [];
  const revoked = new Set<number>();
  const prefix = options.pathPrefix ?? '';
  const mock: GitHubMock = {
    url: '',
    origin: '',
    installationId: INSTALLATION_ID,
    reinstall(newId) {
      revoked.add(mock.installationId);
      mock.installationId = newId;
    },
    requests: [],
    runners: new Map(),
    intercept: (interceptor) => interceptors.push(interceptor),
    addRunner(ownerPath, runner) {
      const full: MockRunner = {
        status: 'online',
        busy: false,
        labels: [{ id: 1, name: 'self-hosted', type: 'read-only' }],
        ...runner,
      };
      const list = mock.runners.get(ownerPath) ?? [];
      list.push(full);
      mock.runners.set(ownerPath, list);
      return full;
    },
    runner: (ownerPath, id) => mock.runners.get(ownerPath)?.find((r) => r.id === id),
    count: (method, pattern) => mock.requests.filter((r) => r.method === method && pattern.test(r.path)).length,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function answer(request: RecordedRequest): Reply {
    for (const interceptor of interceptors) {
      const reply = interceptor(request);
      if (reply) return reply;
    }
    const { method, path, query } = request;
    const token = TOKEN.exec(path);
    if (method === 'POST' && token) {
      const id = Number(token[1]);
      if (revoked.has(id)) return { status: 404, body: { message: 'Not Found' } };
      return { status: 201, body: { token: `ghs_install_${id}`, expires_at: new Date(Date.now() + 3600_000).toISOString() } };
    }
    if (method === 'GET' && INSTALLATION.test(path)) return { status: 200, body: { id: mock.installationId } };
    const tokenOf = /^token ghs_install_(\d+)$/.exec(request.authorization ?? '');
    if (tokenOf && revoked.has(Number(tokenOf[1]))) return { status: 401, body: { message: 'Bad credentials' } };
    const match = RUNNERS.exec(path);
    if (!match) return { status: 404, body: { message: 'Not Found' } };
    const ownerPath = match[1] as string;
    const list = mock.runners.get(ownerPath) ?? [];
    if (match[2] === undefined) {
      if (method !== 'GET') return { status: 404, body: { message: 'Not Found' } };
      const perPage = Number(query.get('per_page') ?? 30);
      const page = Number(query.get('page') ?? 1);
      return {
        status: 200,
        body: { total_count: list.length, runners: list.slice((page - 1) * perPage, page * perPage) },
      };
    }
    const id = Number(match[2]);
    const runner = list.find((r) => r.id === id);
    if (!runner) return { status: 404, body: { message: 'Not Found' } };
    if (method === 'GET') return { status: 200, body: runner };
    if (method === 'DELETE') {
      if (runner.busy) {
        return { status: 422, body: { message: `Bad request - Runner "${runner.name}" is still running a job"` } };
      }
      mock.runners.set(ownerPath, list.filter((r) => r !== runner));
      return { status: 204 };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const served = prefix === '' || url.pathname.startsWith(`${prefix}/`);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      // Outside the prefix: recorded as is, and answered 404 by the routes below.
      path: served ? url.pathname.slice(prefix.length) : `(outside ${prefix})${url.pathname}`,
      query: url.searchParams,
      authorization: req.headers.authorization,
    };
    req.resume();
    req.on('end', () => {
      mock.requests.push(request);
      mock.onRequest?.(request);
      const reply = answer(request);
      if (reply.delayMs) {
        const timer = setTimeout(() => send(res, reply), reply.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else {
        send(res, reply);
      }
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mock.origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mock.url = `${mock.origin}${prefix}`;
  return mock;
}
