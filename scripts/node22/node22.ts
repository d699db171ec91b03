/**
 * Node.js 22, the runtime the module deploys by default (`nodejs22.x`), for running the
 * built zips in the tests while jest itself runs on the machine's Node.js (20 or newer).
 *
 * It lives in a package of its own (scripts/node22, with its own lock file) and not in the
 * root package.json: every package that ships Node declares a `node` bin, and npm would
 * link it into node_modules/.bin, where it would shadow the machine's Node.js for every
 * npm script (jest, tsc, tsx would all run on 22, and nothing on 20 any more).
 *
 * The binary comes from the npm registry as `node-<platform>-<arch>` (an optional
 * dependency per platform: npm installs only the one that fits). NODE22_BINARY, when
 * set, names another Node 22 executable instead (a platform without such a package).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const NODE22_DIR = __dirname;
export const NODE22_MAJOR = 22;

export type Node22 = { ok: true; path: string; version: string } | { ok: false; problem: string };

/** Where npm installs the binary for this platform. */
export function node22PackageBinary(platform: string = process.platform, arch: string = process.arch): string {
  return join(NODE22_DIR, 'node_modules', `node-${platform}-${arch}`, 'bin', 'node');
}

/** The Node 22 executable and its version, or what is wrong. Never installs anything. */
export function findNode22(env: NodeJS.ProcessEnv = process.env): Node22 {
  const override = env.NODE22_BINARY?.trim();
  const path = override || node22PackageBinary();
  const origin = override ? `NODE22_BINARY=${override}` : path;
  if (!existsSync(path)) {
    return { ok: false, problem: `no Node ${NODE22_MAJOR} executable at ${origin}` };
  }
  const run = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const version = run.stdout?.trim() ?? '';
  if (run.error || run.status !== 0) return { ok: false, problem: `${origin} does not run (${run.error?.message ?? `exit ${run.status}`})` };
  if (!version.startsWith(`v${NODE22_MAJOR}.`)) return { ok: false, problem: `${origin} is Node ${version}, not ${NODE22_MAJOR}` };
  return { ok: true, path, version };
}

/** The Node 22 executable, or an error that says how to get it. */
export function node22Binary(env: NodeJS.ProcessEnv = process.env): string {
  const found = findNode22(env);
  if (!found.ok) throw new Error(`${found.problem}: ${NODE22_INSTALL_HINT}`);
  return found.path;
}

export const NODE22_INSTALL_HINT =
  '`npm test` installs it (npm ci in scripts/node22); or run `npm ci --prefix scripts/node22` yourself, ' +
  'or set NODE22_BINARY to a Node 22 executable where npm has no node-<platform>-<arch> package';
