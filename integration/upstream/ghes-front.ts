/**
 * The GitHub twin seen the way a GitHub Enterprise Server serves its REST API: under
 * `/api/v3` of its web URL. With the github-aws-runners module's `ghes_url` (the web URL),
 * its scale-down calls `<ghes_url>/api/v3` (v7.11.0 lambdas/functions/control-plane/src/
 * scale-runners/github-runner.ts `getGitHubEnterpriseApiUrl`), and so must a reaper given
 * the same `ghes_url`. This front forwards `/api/v3/<path>` to the twin's `/<path>` over real
 * HTTP, and answers 404 to anything else, so a reaper that builds the wrong API URL finds
 * nothing.
 */
import { createServer, request, type Server } from 'node:http';

export interface GhesFront {
  /** The web URL, what `ghes_url` is set to. */
  url: string;
  /** Requests that did not start with /api/v3 (a wrong API URL). */
  misses(): string[];
  stop(): Promise<void>;
}

export async function startGhesFront(twinUrl: string): Promise<GhesFront> {
  const target = new URL(twinUrl);
  const missed: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (!path.startsWith('/api/v3/')) {
      missed.push(`${req.method} ${path}`);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    const forwarded = request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: path.slice('/api/v3'.length),
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    misses: () => [...missed],
    stop: () =>
      new Promise((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
