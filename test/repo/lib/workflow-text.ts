// Just enough structure from a workflow's text for the contract tests (actionlint has
// already checked the syntax): its top-level keys and the text of each job.

export function topLevelKeys(workflowText: string): string[] {
  return workflowText
    .split('\n')
    .map((line) => /^([A-Za-z_-]+):/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

/** Job id -> the job's lines (two-space-indented keys under `jobs:`). */
export function jobBlocks(workflowText: string): Map<string, string> {
  const lines = workflowText.split('\n');
  const jobs = new Map<string, string>();
  const start = lines.findIndex((line) => /^jobs:\s*$/.test(line));
  if (start < 0) return jobs;
  let current: string | undefined;
  let body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const id = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line)?.[1];
    if (id) {
      if (current) jobs.set(current, body.join('\n'));
      current = id;
      body = [];
    } else if (current) {
      body.push(line);
    }
  }
  if (current) jobs.set(current, body.join('\n'));
  return jobs;
}

/** The steps of a job's text, each as its own block of lines. */
export function stepBlocks(jobText: string): string[] {
  const steps: string[] = [];
  let current: string[] | undefined;
  for (const line of jobText.split('\n')) {
    if (/^ {6}- /.test(line)) {
      if (current) steps.push(current.join('\n'));
      current = [line];
    } else if (current && (/^ {8}/.test(line) || line.trim() === '' || /^ {6}#/.test(line))) {
      current.push(line);
    } else if (current) {
      steps.push(current.join('\n'));
      current = undefined;
    }
  }
  if (current) steps.push(current.join('\n'));
  return steps;
}
