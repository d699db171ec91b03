import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatShellcheckFindings,
  listShellScripts,
  runShellcheck,
  shellcheckVersion,
} from './lib/shellcheck';

describe('shellcheck', () => {
  test('shellcheck is installed', () => {
    // Throws "shellcheck is not installed: ..." with the install command when missing.
    expect(shellcheckVersion()).toMatch(/^\d+\.\d+/);
  });

  test('finds the shell scripts: *.sh files and extensionless files with a shell shebang', () => {
    const scripts = listShellScripts();
    expect(scripts).toEqual(
      expect.arrayContaining([
        '.github/scripts/localstack.sh',
        '.github/scripts/install-actions-runner.sh',
        'modules/runner-hooks/scripts/job-started.sh',
        'modules/runner-hooks/scripts/job-completed.sh',
        '.ci/run',
      ]),
    );
    expect(scripts.some((file) => file.startsWith('node_modules/'))).toBe(false);
  });

  test('every shell script in the repository passes', () => {
    shellcheckVersion();
    const { findings } = runShellcheck(listShellScripts());
    if (findings.length > 0) throw new Error(`shellcheck findings:\n${formatShellcheckFindings(findings)}`);
    expect(findings).toEqual([]);
  });

  test('reports the mistakes of a broken script (negative control)', () => {
    shellcheckVersion();
    const scratch = mkdtempSync(join(tmpdir(), 'shellcheck-'));
    try {
      const script = join(scratch, 'broken.sh');
      writeFileSync(script, '#!/bin/sh\nfor f in $(ls *.txt); do\n  rm $f\ndone\n[[ -n "$1" ]] && echo yes\n');
      const run = runShellcheck(['broken.sh'], scratch);
      expect(run.status).toBe(1);
      const codes = run.findings.map((f) => f.code);
      // SC2045: iterating over ls output; SC2086: unquoted expansion; SC3010: [[ ]] in POSIX sh.
      expect(codes).toEqual(expect.arrayContaining([2045, 2086, 3010]));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
