/**
 * Builds the reference strategies' handler (reference-handler.ts) into a Lambda zip the way
 * lambda/build.mjs builds ours: one CommonJS index.js, bundled by esbuild for Node 20.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import yazl from 'yazl';

const ROOT = join(__dirname, '..', '..');

export async function buildReferenceZip(outDir: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [join(__dirname, 'reference-handler.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const code = Buffer.from(result.outputFiles[0]!.text, 'utf8');
  const archive = new yazl.ZipFile();
  archive.addBuffer(code, 'index.js', { mode: 0o100644, compress: true });
  archive.end();
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    archive.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.outputStream.on('error', reject);
    archive.outputStream.on('end', () => resolve());
  });
  const path = join(outDir, 'bench-reference.zip');
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}
