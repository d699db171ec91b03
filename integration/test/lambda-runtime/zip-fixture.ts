// Builds small Lambda zips for the emulator's tests.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

const made: string[] = [];

/** Writes a zip holding `files` (path inside the zip -> source text) and returns its path. */
export async function buildZip(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lambda-zip-'));
  made.push(dir);
  const zipPath = join(dir, 'function.zip');
  const zip = new ZipFile();
  for (const [name, source] of Object.entries(files)) zip.addBuffer(Buffer.from(source), name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
  return zipPath;
}

export async function removeZips(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
