/**
 * moto_server lifecycle for tests: one server per test file (files run in parallel), on a
 * free loopback port, reset between tests, stopped at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const MOTO_INSTALL_HINT = 'pip install "moto[server]==5.2.1"';
export const MOTO_REGION = 'us-east-1';
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

export interface MotoServerOptions {
  /** The executable (default `moto_server` on PATH, or MOTO_SERVER env). */
  command?: string;
  /** How long to wait for /moto-api/ to answer (ms, default 20 s). */
  readyTimeoutMs?: number;
}

/** A port the OS says is free right now (small race window; start retries on a clash). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class MotoServer {
  private child?: ChildProcess;
  private endpoint = '';
  private readonly command: string;
  private readonly readyTimeoutMs: number;
  private output = '';

  constructor(opts: MotoServerOptions = {}) {
    this.command = opts.command ?? process.env.MOTO_SERVER ?? 'moto_server';
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    if (!this.endpoint) throw new Error('moto_server not started');
    return this.endpoint;
  }

  async start(): Promise<string> {
    if (this.child) return this.url;
    assertInstalled(this.command);
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.startOnce(await freePort());
      } catch (err) {
        lastError = err as Error;
        await this.stop();
      }
    }
    throw lastError ?? new Error('moto_server did not start');
  }

  /** Clears every resource moto holds. */
  async reset(): Promise<void> {
    const res = await fetch(`${this.url}/moto-api/reset`, { method: 'POST' });
    if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.endpoint = '';
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private async startOnce(port: number): Promise<string> {
    this.output = '';
    const child = spawn(this.command, ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    this.child = child;
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`moto_server could not be started (${spawnError.message}). Install it: ${MOTO_INSTALL_HINT}`);
      if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}: ${this.output.trim()}`);
      try {
        const res = await fetch(`${url}/moto-api/`);
        if (res.ok) {
          await res.arrayBuffer();
          this.endpoint = url;
          return url;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`moto_server did not answer ${url}/moto-api/ within ${this.readyTimeoutMs} ms. Output: ${this.output.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Throws a clear error with the install command when the executable is not on PATH. */
export function assertInstalled(command: string): void {
  const found = command.includes('/')
    ? spawnSync('test', ['-x', command]).status === 0
    : spawnSync('sh', ['-c', `command -v "${command.replace(/"/g, '')}"`]).status === 0;
  if (!found) throw new Error(`moto_server not found (looked for "${command}"). Install it with: ${MOTO_INSTALL_HINT}`);
}
