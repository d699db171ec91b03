/**
 * The cold-start (init) time of a function: what Lambda reports as Init Duration, the
 * runtime process starting and loading the handler module (its imports, the configuration
 * read at cold start), before the first invocation. Measured in a fresh process in the
 * unpacked zip with the function's environment, median of a few starts.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipTo } from '../lambda-runtime/unzip';

const LOAD = [
  "const loadStart = performance.now();",
  "require(require('node:path').join(process.cwd(), 'index.js'));",
  "const end = performance.now();",
  "process.stdout.write(JSON.stringify({ initMs: end, loadMs: end - loadStart }));",
].join('\n');

export interface ColdStart {
  /** From process start to the handler module loaded (node's own start included). */
  initMs: number;
  /** Loading the handler module only. */
  loadMs: number;
}

export async function measureColdStart(zipPath: string, env: Record<string, string>, memoryMb: number, runs = 3): Promise<ColdStart> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-init-'));
  try {
    await unzipTo(zipPath, dir);
    const samples: ColdStart[] = [];
    for (let i = 0; i < runs; i++) samples.push(await loadOnce(dir, env, memoryMb));
    const median = (pick: (s: ColdStart) => number) => samples.map(pick).sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
    return { initMs: Math.round(median((s) => s.initMs)), loadMs: Math.round(median((s) => s.loadMs)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function loadOnce(dir: string, env: Record<string, string>, memoryMb: number): Promise<ColdStart> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${Math.floor(memoryMb * 0.9)}`, '-e', LOAD], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, LAMBDA_TASK_ROOT: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`loading ${dir}/index.js failed (exit ${code}): ${err.slice(0, 300)}`));
      try {
        resolve(JSON.parse(out) as ColdStart);
      } catch {
        reject(new Error(`unexpected output from the cold-start probe: ${out.slice(0, 200)}`));
      }
    });
  });
}
