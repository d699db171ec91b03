/**
 * Builds the two Lambda zips: lambda/dist/scale-down.zip and lambda/dist/orphan-cleanup.zip.
 * Each holds one CommonJS file, index.js, exporting `handler` (Lambda handler
 * `index.handler`). The zips are deterministic: fixed entry time, fixed order, no absolute
 * paths in the bundle, so the same sources give the same sha256 (and Terraform sees no
 * change when nothing changed).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import yazl from 'yazl';

const lambdaDir = dirname(fileURLToPath(import.meta.url));
const rootDir = dirname(lambdaDir);
const distDir = join(lambdaDir, 'dist');

export const FUNCTIONS = {
  'scale-down': 'src/handlers/scale-down.ts',
  'orphan-cleanup': 'src/handlers/orphan-cleanup.ts',
};

/**
 * Zip entry times are local wall-clock fields (DOS time): build them from local fields so
 * every time zone writes the same bytes, and leave out the UTC extended timestamp.
 */
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);

async function bundle(entry) {
  const result = await esbuild.build({
    entryPoints: [join(lambdaDir, entry)],
    absWorkingDir: rootDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Middy and Octokit ship ESM only; bundling turns them into CommonJS. The Lambda
    // runtime's own copy of the AWS SDK is not relied on: the locked versions ship.
    mainFields: ['module', 'main'],
    minify: false,
    legalComments: 'none',
    sourcemap: false,
    write: false,
    logLevel: 'warning',
  });
  const [file] = result.outputFiles;
  const code = file.text;
  if (code.includes(rootDir)) throw new Error(`${entry}: the bundle contains the absolute path ${rootDir}`);
  return Buffer.from(code, 'utf8');
}

function zip(entries) {
  return new Promise((resolve, reject) => {
    const archive = new yazl.ZipFile();
    for (const [name, content] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      archive.addBuffer(content, name, {
        mtime: FIXED_MTIME,
        mode: 0o100644,
        compress: true,
        forceDosTimestamp: true,
      });
    }
    archive.end();
    const chunks = [];
    archive.outputStream.on('data', (chunk) => chunks.push(chunk));
    archive.outputStream.on('error', reject);
    archive.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Builds every zip into `outDir`; returns [{name, path, bytes, sha256}]. */
export async function build(outDir = distDir) {
  mkdirSync(outDir, { recursive: true });
  const built = [];
  for (const [name, entry] of Object.entries(FUNCTIONS)) {
    const archive = await zip([['index.js', await bundle(entry)]]);
    const path = join(outDir, `${name}.zip`);
    writeFileSync(path, archive);
    built.push({ name, path, bytes: archive.length, sha256: createHash('sha256').update(archive).digest('hex') });
  }
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outDir = process.argv[2] ? resolve(process.argv[2]) : distDir;
  for (const item of await build(outDir)) {
    console.log(`${relative(process.cwd(), item.path)}  ${item.bytes} bytes  sha256 ${item.sha256}`);
  }
}
