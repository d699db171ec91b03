import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');

/**
 * Every file of the working tree that git does not ignore: tracked files plus new ones
 * not yet added, so a script fails its check before it is committed, not after.
 */
export function listRepoFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...new Set(out.split('\0').filter((path) => path.length > 0))].sort();
}

/** Workflow files, relative to the repository root. */
export function listWorkflowFiles(): string[] {
  const dir = join(repoRoot, '.github', 'workflows');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'))
    .sort()
    .map((name) => join('.github', 'workflows', name));
}
