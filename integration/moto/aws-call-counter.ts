/**
 * A counting pass-through in front of moto: moto keeps no request log we can read, and
 * `npm start`'s report and `npm run bench` want the reaper's AWS calls by action without
 * touching the code measured. Point only the process under test at it (the runner agents
 * talk to moto directly, so only the reaper's calls are counted).
 *
 * It also records which instances each TerminateInstances named, and when, which gives
 * the timeline exact termination times.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TerminationCall {
  at: number;
  instanceIds: string[];
}

export class AwsCallCounter {
  private readonly counts = new Map<string, number>();
  readonly terminations: TerminationCall[] = [];
  private server?: Server;
  private baseUrl = '';

  constructor(private readonly upstream: string) {}

  get url(): string {
    if (!this.baseUrl) throw new Error('AWS call counter not started');
    return this.baseUrl;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void this.forward(req, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(502).end(`counter: ${err.message}`);
        else res.destroy();
      });
    });
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
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Forget what was counted so far (between bench rounds). */
  reset(): void {
    this.counts.clear();
    this.terminations.length = 0;
  }

  /** Calls per `service:Action`, e.g. `ec2:DescribeInstances`. */
  byAction(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const action = actionOf(req, body);
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
    if (action === 'ec2:TerminateInstances') {
      this.terminations.push({ at: Date.now(), instanceIds: queryValues(body, /^InstanceId\.\d+$/) });
    }
    const target = new URL(req.url ?? '/', this.upstream);
    await new Promise<void>((resolve, reject) => {
      const out = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', resolve);
          upstreamRes.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }
}

/** EC2 speaks the query protocol (`Action=` in the body); SSM sends `X-Amz-Target`. */
function actionOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) {
    const [prefix, op] = target.split('.');
    const service = prefix!.startsWith('AmazonSSM') ? 'ssm' : prefix!.toLowerCase();
    return `${service}:${op}`;
  }
  const action = queryValues(body, /^Action$/)[0];
  return action ? `ec2:${action}` : `other:${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
}

function queryValues(body: Buffer, key: RegExp): string[] {
  const params = new URLSearchParams(body.toString('utf8'));
  return [...params.entries()].filter(([k]) => key.test(k)).map(([, v]) => v);
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
