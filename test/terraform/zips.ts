/** A minimal Lambda zip (index.handler) for tests that deploy but never run the code. */
import { ZipFile } from 'yazl';

export function placeholderZip(): Promise<Buffer> {
  const zip = new ZipFile();
  // A fixed mtime keeps the zip, and so source_code_hash, the same on every run.
  zip.addBuffer(Buffer.from('exports.handler = async () => ({ placeholder: true });\n'), 'index.js', {
    mtime: new Date('2026-01-01T00:00:00Z'),
    mode: 0o100644,
  });
  zip.end();
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolvePromise(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}
