// Finds the repository's shell scripts and runs Debian's shellcheck on them.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { listRepoFiles, repoRoot } from './repo-files';

export interface ShellcheckFinding {
  file: string;
  line: number;
  column: number;
  level: string;
  code: number;
  message: string;
}

const shellShebang = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:sh|bash|dash|ksh)\b/;

function firstLine(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(128);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('utf8').split('\n', 1)[0] ?? '';
  } catch {
    // Unreadable (a directory such as a submodule, a dangling link): not a script.
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Every shell script in the repository: `*.sh` files, and files whose shebang names a
 * POSIX shell or bash (such as `.ci/run` or hook scripts without an extension).
 */
export function listShellScripts(): string[] {
  return listRepoFiles().filter((file) => {
    if (file.endsWith('.sh')) return true;
    if (/\.[a-z0-9]+$/i.test(file.split('/').pop() ?? '')) {
      // Files with another extension (.ts, .json, .tf, ...) are not shell scripts,
      // whatever their first line says.
      return false;
    }
    return shellShebang.test(firstLine(join(repoRoot, file)));
  });
}

export class ShellcheckMissingError extends Error {}

/** Fails with a clear message when shellcheck is not installed. */
export function shellcheckVersion(): string {
  const run = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new ShellcheckMissingError(
      'shellcheck is not installed: install it (Debian/Ubuntu: `apt-get install -y shellcheck`; ' +
        '`npm test` does this for you as root, in its pretest step) and run the tests again.',
    );
  }
  return /version:\s*(\S+)/.exec(run.stdout)?.[1] ?? 'unknown';
}

export interface ShellcheckRun {
  status: number | null;
  findings: ShellcheckFinding[];
}

/**
 * Runs shellcheck on the given files (relative to `cwd`), following `source` lines
 * relative to each script. All severities count: style findings are fixed, not ignored.
 */
export function runShellcheck(files: string[], cwd: string = repoRoot): ShellcheckRun {
  const run = spawnSync(
    'shellcheck',
    ['--format=json1', '--external-sources', '--source-path=SCRIPTDIR', ...files],
    { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (run.error) throw run.error;
  // json1 prints {"comments": [...]}; exit 1 means findings, anything above is a failure.
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`shellcheck failed (exit ${run.status}): ${run.stderr}`);
  }
  const parsed = JSON.parse(run.stdout) as { comments: ShellcheckFinding[] };
  const findings = parsed.comments.map(({ file, line, column, level, code, message }) => ({
    file,
    line,
    column,
    level,
    code,
    message,
  }));
  return { status: run.status, findings };
}

export function formatShellcheckFindings(findings: ShellcheckFinding[]): string {
  return findings
    .map((f) => `${f.file}:${f.line}:${f.column} ${f.level} SC${f.code}: ${f.message}`)
    .join('\n');
}
