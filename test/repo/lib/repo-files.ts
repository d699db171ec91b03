import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');

/**
 * Every file of the working tree that git does not ignore: tracked files plus new ones
 * not yet added, so a script fails its check before it is committed, not after. Files
 * deleted from the working tree but not yet from the index are left out.
 */
export function listRepoFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = out.split('\0').filter((path) => path.length > 0 && existsSync(join(repoRoot, path)));
  return [...new Set(files)].sort();
}

/** Workflow files, relative to the repository root. */
export function listWorkflowFiles(): string[] {
  const dir = join(repoRoot, '.github', 'workflows');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'))
    .sort()
    .map((name) => join('.github', 'workflows', name));
}
