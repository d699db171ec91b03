/** Extracts the module as of the upgrade baseline commit (upgrade-baseline.txt). */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { tempDir } from './stage';

export function baselineCommit(): string {
  const lines = readFileSync(join(__dirname, 'upgrade-baseline.txt'), 'utf8').split('\n');
  const sha = lines.map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (!sha || !/^[0-9a-f]{40}$/.test(sha)) throw new Error('upgrade-baseline.txt must name a full commit SHA');
  return sha;
}

/** The Terraform files of `commit` in a temp dir. Fails loudly when the clone lacks it. */
export function extractCommit(commit: string): string {
  try {
    execFileSync('git', ['-C', REPO_ROOT, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `Upgrade baseline ${commit} is not in this clone (shallow?). Fetch full history: git fetch --unshallow`,
    );
  }
  const dir = tempDir('baseline');
  const tar = join(dir, 'baseline.tar');
  execFileSync('git', ['-C', REPO_ROOT, 'archive', '--format=tar', '-o', tar, commit]);
  execFileSync('tar', ['-xf', tar, '-C', dir]);
  rmSync(tar);
  return dir;
}
