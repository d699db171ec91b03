import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFindings, lintWorkflows, type ActionlintFinding } from './lib/actionlint';
import { listWorkflowFiles } from './lib/repo-files';

// A workflow with two mistakes actionlint must catch: an unknown context in an
// expression, and a job without `runs-on`.
const brokenWorkflow = `name: broken
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "\${{ secret.TOKEN }}"
  orphan:
    steps:
      - run: echo hi
`;

const workflows = listWorkflowFiles();
const scratch = mkdtempSync(join(tmpdir(), 'actionlint-'));
const brokenFile = join(scratch, 'broken.yml');
let findings: ActionlintFinding[] = [];

beforeAll(() => {
  writeFileSync(brokenFile, brokenWorkflow);
  // One child process for everything: actionlint's WebAssembly start-up is the slow part.
  findings = lintWorkflows([...workflows, brokenFile]);
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('actionlint', () => {
  test('the repository has its workflows', () => {
    expect(workflows).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/e2e.yml',
        '.github/workflows/e2e-job.yml',
        '.github/workflows/release.yml',
      ]),
    );
  });

  test.each(workflows)('%s has no findings', (file) => {
    const own = findings.filter((f) => f.file === file);
    if (own.length > 0) throw new Error(`actionlint findings:\n${formatFindings(own)}`);
    expect(own).toEqual([]);
  });

  test('reports the mistakes of a broken workflow (negative control)', () => {
    const own = findings.filter((f) => f.file === brokenFile);
    expect(own).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 7, kind: 'expression', message: expect.stringContaining('undefined variable "secret"') }),
        expect.objectContaining({ message: expect.stringContaining('"runs-on" section is missing') }),
      ]),
    );
  });
});
