/**
 * The deployable artifacts: two builds give byte-identical zips, and each zip holds one
 * index.js that plain Node loads (CommonJS, ESM dependencies bundled) exporting `handler`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';

const ROOT = join(__dirname, '..', '..', '..');
const ZIPS = ['scale-down.zip', 'orphan-cleanup.zip'];

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'reaper-build-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function build(outDir: string, extraEnv: Record<string, string> = {}): Record<string, string> {
  execFileSync(process.execPath, ['lambda/build.mjs', outDir], {
    cwd: ROOT,
    env: { ...process.env, ...extraEnv },
    stdio: 'pipe',
  });
  return Object.fromEntries(
    ZIPS.map((zip) => [zip, createHash('sha256').update(readFileSync(join(outDir, zip))).digest('hex')]),
  );
}

function entries(zipPath: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const found = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            found.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(found));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('lambda/build.mjs', () => {
  it('builds byte-identical zips twice, in any time zone', () => {
    const first = build(join(work, 'a'));
    const second = build(join(work, 'b'), { TZ: 'Pacific/Kiritimati' });
    expect(second).toEqual(first);
    expect(Object.values(first).every((sha) => /^[0-9a-f]{64}$/.test(sha))).toBe(true);
  }, 60_000);

  it.each(ZIPS)('%s holds only index.js, which plain node loads and which exports handler', async (zip) => {
    const files = await entries(join(work, 'a', zip));
    expect([...files.keys()]).toEqual(['index.js']);
    const code = files.get('index.js') as Buffer;
    expect(code.toString('utf8')).not.toContain(ROOT);
    const dir = mkdtempSync(join(work, 'unzipped-'));
    writeFileSync(join(dir, 'index.js'), code);
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(typeof require('./index.js').handler)"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(out.toString()).toBe('function');
  }, 60_000);
});
