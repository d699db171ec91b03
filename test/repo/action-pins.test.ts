import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionName, findActionReferences, findPinProblems } from './lib/action-pins';
import { listWorkflowFiles, repoRoot } from './lib/repo-files';

const workflows = listWorkflowFiles().map((file) => ({
  file,
  text: readFileSync(join(repoRoot, file), 'utf8'),
}));

describe('third-party actions are pinned to commit SHAs', () => {
  test('the workflows use actions at all (the check is not vacuous)', () => {
    const count = workflows.reduce((sum, w) => sum + findActionReferences(w.text).length, 0);
    expect(count).toBeGreaterThanOrEqual(10);
  });

  test.each(workflows.map((w) => [w.file, w.text]))('%s pins every action', (_file, text) => {
    expect(findPinProblems(text)).toEqual([]);
  });

  test('each action is pinned to the same commit in every workflow', () => {
    const shasByAction = new Map<string, Set<string>>();
    for (const { text } of workflows) {
      for (const { ref } of findActionReferences(text)) {
        if (ref.startsWith('./') || ref.startsWith('docker://')) continue;
        const shas = shasByAction.get(actionName(ref)) ?? new Set<string>();
        shas.add(ref.slice(ref.lastIndexOf('@') + 1));
        shasByAction.set(actionName(ref), shas);
      }
    }
    const inconsistent = [...shasByAction].filter(([, shas]) => shas.size > 1).map(([action]) => action);
    expect(inconsistent).toEqual([]);
  });
});

describe('the pin check itself (negative control)', () => {
  test('flags tags, branches, short SHAs, missing version comments and undigested images', () => {
    const sha = 'a'.repeat(40);
    const text = [
      'steps:',
      '  - uses: actions/checkout@v4',
      '  - uses: actions/setup-node@main',
      "  - uses: 'org/action@1234567'",
      `  - uses: org/other@${sha}`,
      '  - uses: docker://alpine:3.20',
      `  - uses: org/fine@${sha} # v1.2.3`,
      `    uses: "org/reusable/.github/workflows/x.yml@${sha}" # v2`,
      '  - uses: ./.github/actions/local',
      `  - uses: docker://alpine@sha256:${'b'.repeat(64)}`,
    ].join('\n');
    expect(findPinProblems(text).map((p) => [p.line, p.ref])).toEqual([
      [2, 'actions/checkout@v4'],
      [3, 'actions/setup-node@main'],
      [4, 'org/action@1234567'],
      [5, `org/other@${sha}`],
      [6, 'docker://alpine:3.20'],
    ]);
  });
});
