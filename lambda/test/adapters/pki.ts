/**
 * A private certificate authority for tests, made with the openssl command-line tool
 * (Debian's openssl package, part of the base image) for each test run: nothing secret is
 * committed. A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  caPem: string;
  serverKey: string;
  serverCert: string;
  otherCaPem: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (error) {
    throw new Error(`this test needs the openssl command (Debian package openssl): ${(error as Error).message}`);
  }
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'reaper-ca-'));
  try {
    const subject = (cn: string) => ['-subj', `/CN=${cn}`];
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', ...subject('reaper test CA')], dir);
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', ...subject('another CA')], dir);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', ...subject('127.0.0.1')], dir);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], dir);
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    return { caPem: read('ca.pem'), serverKey: read('server.key'), serverCert: read('server.pem'), otherCaPem: read('other.pem') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

