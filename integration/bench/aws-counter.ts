/**
 * A counting HTTP proxy in front of moto: every AWS API call of the process under test
 * (the built Lambda in its own process, or the in-process reference strategies) goes
 * through it, so AWS calls are counted per action without touching the code measured.
 * EC2 speaks the query protocol (`Action=` in the form body), SSM the JSON protocol
 * (`X-Amz-Target` header).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class AwsCallCounter {
  counts: Record<string, number> = {};
  private server?: Server;
  private base = '';

  constructor(private readonly target: string) {}

  get url(): string {
    if (!this.base) throw new Error('AWS call counter not started');
    return this.base;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, n) => a + n, 0);
  }

  reset(): void {
    this.counts = {};
  }

  async start(): Promise<string> {
    const target = new URL(this.target);
    const server = createServer((req, res) => {
      void readAll(req).then((body) => {
        const action = actionOf(req, body);
        this.counts[action] = (this.counts[action] ?? 0) + 1;
        const upstream = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          if (!res.headersSent) res.writeHead(502);
          res.end(String(error));
        });
        upstream.end(body);
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function actionOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.replace(/^AmazonSSM\./, 'SSM.');
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('Action');
  return action ? `EC2.${action}` : `${req.method} ${req.url}`;
}
