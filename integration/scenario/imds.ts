/**
 * A per-runner stand-in for the EC2 instance metadata service (IMDSv2), so the job hook
 * scripts on this machine tag the emulated instance that stands for the runner's machine
 * (RUNNER_REAPER_IMDS_ENDPOINT points at it).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImdsStandIn {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

export async function startImdsStandIn(instanceId: string, region: string): Promise<ImdsStandIn> {
  const tokens = new Set<string>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'PUT' && path === '/latest/api/token') {
      const token = randomBytes(24).toString('base64url');
      tokens.add(token);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
      return;
    }
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token !== 'string' || !tokens.has(token)) {
      res.writeHead(401).end();
      return;
    }
    const values: Record<string, string> = {
      '/latest/meta-data/instance-id': instanceId,
      '/latest/meta-data/placement/region': region,
    };
    const value = req.method === 'GET' && path ? values[path] : undefined;
    if (value === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(value);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
