// Reads the `uses:` references of a workflow and says which are not pinned immutably.

export interface ActionReference {
  line: number;
  ref: string;
  comment: string;
}

export interface PinProblem {
  line: number;
  ref: string;
  problem: string;
}

const usesLine = /^\s*(?:-\s+)?uses:\s*(['"]?)([^'"\s#]+)\1\s*(?:#\s*(.*))?$/;
const commitSha = /^[0-9a-f]{40}$/;
const imageDigest = /@sha256:[0-9a-f]{64}$/;

export function findActionReferences(workflowText: string): ActionReference[] {
  const references: ActionReference[] = [];
  workflowText.split('\n').forEach((text, index) => {
    const match = usesLine.exec(text);
    if (match) references.push({ line: index + 1, ref: match[2] ?? '', comment: (match[3] ?? '').trim() });
  });
  return references;
}

/**
 * Every reference must be immutable: a full 40-hex commit SHA with a version comment
 * (`# v7.0.1`, so updates stay reviewable) for actions and reusable workflows, a
 * sha256 digest for docker:// images. Local actions (`./...`) are part of the commit.
 */
export function findPinProblems(workflowText: string): PinProblem[] {
  const problems: PinProblem[] = [];
  for (const { line, ref, comment } of findActionReferences(workflowText)) {
    if (ref.startsWith('./')) continue;
    if (ref.startsWith('docker://')) {
      if (!imageDigest.test(ref)) problems.push({ line, ref, problem: 'docker image not pinned to a sha256 digest' });
      continue;
    }
    const at = ref.lastIndexOf('@');
    const version = at < 0 ? '' : ref.slice(at + 1);
    if (!commitSha.test(version)) {
      problems.push({ line, ref, problem: 'not pinned to a full 40-character commit SHA' });
    } else if (!/^v?\d+(\.\d+)*\b/.test(comment)) {
      problems.push({ line, ref, problem: 'pinned SHA without a version comment such as "# v1.2.3"' });
    }
  }
  return problems;
}

/** The action (everything before `@`) of a reference. */
export function actionName(ref: string): string {
  const at = ref.lastIndexOf('@');
  return at < 0 ? ref : ref.slice(0, at);
}
