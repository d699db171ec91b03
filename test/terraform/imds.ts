/**
 * A stand-in for the EC2 instance metadata service (IMDSv2 only): PUT /latest/api/token
 * issues a token, and metadata GETs answer only with that token, as on an instance with
 * `http_tokens = required`.
 */
import { createServer, type Server } from 'node:http';

export interface FakeImds {
  url: string;
  /** Number of metadata GETs refused for a missing or wrong token. */
  refused(): number;
  close(): Promise<void>;
}

export async function startFakeImds(metadata: { instanceId: string; region: string }): Promise<FakeImds> {
  const token = `token-${Math.random().toString(36).slice(2)}`;
  let refused = 0;
  const paths: Record<string, string> = {
    '/latest/meta-data/instance-id': metadata.instanceId,
    '/latest/meta-data/placement/region': metadata.region,
  };
  const server: Server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
      return;
    }
    const value = req.method === 'GET' && req.url ? paths[req.url] : undefined;
    if (value === undefined) {
      res.writeHead(404).end();
      return;
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== token) {
      refused += 1;
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(value);
  });
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    refused: () => refused,
    close: () => new Promise((resolvePromise) => server.close(() => resolvePromise())),
  };
}
