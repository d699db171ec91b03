// Unpacks a Lambda deployment zip the way the service lays it out in /var/task.
import { createWriteStream } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openPromise } from 'yauzl';

export async function unzipTo(zipPath: string, targetDir: string): Promise<void> {
  // yauzl rejects absolute paths and ".." entries, so nothing lands outside targetDir.
  const zip = await openPromise(zipPath, { lazyEntries: true, strictFileNames: false });
  try {
    for await (const entry of zip.eachEntry()) {
      const destination = join(targetDir, entry.fileName);
      if (entry.fileName.endsWith('/')) {
        await mkdir(destination, { recursive: true });
        continue;
      }
      await mkdir(dirname(destination), { recursive: true });
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(destination));
      // Unix permission bits live in the high half of the external attributes.
      const mode = (entry.externalFileAttributes >>> 16) & 0o777;
      if (mode) await chmod(destination, mode);
    }
  } finally {
    if (zip.isOpen) zip.close();
  }
}
