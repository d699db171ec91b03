/**
 * Copies the module (root .tf files, modules/, examples/, the .tftest.hcl files) into a
 * temporary directory, so init/plan/apply never leave .terraform, lock or state files in
 * the working tree. The Lambda zips are copied from lambda/dist when `npm run build` made
 * them, else replaced by a placeholder (the Terraform checks do not run the code).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { placeholderZip } from './zips';

export const LAMBDA_ZIPS = ['scale-down.zip', 'orphan-cleanup.zip'] as const;

/** A fresh temporary directory. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `runner-reaper-${label}-`));
}

const skipNames = new Set(['.terraform', '.terraform.lock.hcl', 'terraform.tfstate', 'terraform.tfstate.backup']);
const copyFilter = (src: string): boolean => !skipNames.has(basename(src));

/** Copies the module tree from `sourceRoot` (the working tree, or an extracted old commit). */
export async function stageModule(sourceRoot: string = REPO_ROOT, dest: string = tempDir('module')): Promise<string> {
  for (const entry of readdirSync(sourceRoot)) {
    if (entry.endsWith('.tf')) cpSync(join(sourceRoot, entry), join(dest, entry));
  }
  for (const dir of ['modules', 'examples', join('test', 'terraform', 'tftest')]) {
    if (existsSync(join(sourceRoot, dir))) {
      cpSync(join(sourceRoot, dir), join(dest, dir), { recursive: true, filter: copyFilter });
    }
  }
  await stageZips(join(dest, 'lambda', 'dist'));
  return dest;
}

/** Puts the built zips (or placeholders) into `distDir`. */
export async function stageZips(distDir: string): Promise<void> {
  mkdirSync(distDir, { recursive: true });
  for (const zip of LAMBDA_ZIPS) {
    const built = join(REPO_ROOT, 'lambda', 'dist', zip);
    if (existsSync(built)) cpSync(built, join(distDir, zip));
    else writeFileSync(join(distDir, zip), await placeholderZip());
  }
}
