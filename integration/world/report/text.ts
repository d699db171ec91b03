/** The report `npm start` prints at the end: short, aligned, figures first. */
import type { DemoReport } from './summary';

const RACE_WHEN: Record<string, string> = {
  'after-get': "landed right after the reaper's GET said idle",
  'before-delete': 'landed right before the DELETE',
};

export function formatReport(r: DemoReport, svgPath?: string): string {
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`  ${label.padEnd(30)} ${value}`);

  lines.push('', `runner-reaper local demo: ${r.workload} workload, GitHub model ${r.githubModel}, ${r.durationSeconds} s`, '');
  lines.push('Jobs');
  row('completed', `${r.jobs.completed} of ${r.jobs.total}`);
  row('killed by termination', r.jobs.killed);
  row('cancelled by deregistration', r.jobs.cancelledByDeregistration);
  if (r.jobs.pending > 0) row('never ran', r.jobs.pending);
  if (r.jobs.requeued > 0) row('requeued (runner gone first)', r.jobs.requeued);

  lines.push('', 'Runners');
  row('launched', r.runners.launched);
  row('reclaimed by scale-down', r.runners.reclaimedByScaleDown);
  row('reclaimed by orphan-cleanup', r.runners.reclaimedByOrphanCleanup);
  row('shut down after their job', r.runners.selfTerminated);
  if (r.runners.stillRunning > 0) row('still running', r.runners.stillRunning);
  row('idle runner-minutes', r.idleRunnerMinutes.toFixed(2));
  row('busy runner-minutes', r.busyRunnerMinutes.toFixed(2));

  lines.push('', 'Machine evidence (what each instance can prove about its jobs)');
  const { counts, instances } = r.evidence;
  row('hooks / probe / none', `${counts.hooks} / ${counts.probe} / ${counts.none}`);
  for (const i of instances) {
    const used = i.usedByReaper.length > 0 ? `; reaper used ${i.usedByReaper.join(', ')}` : '';
    lines.push(`  ${i.instanceId}  ${i.evidence.padEnd(5)}  ${i.kind.padEnd(30)} ${i.jobsRun} job(s), ${i.end}${used}`);
  }

  lines.push('', 'Races the reaper caught (busy runners spared)');
  const caught = Object.entries(r.racesCaught);
  if (caught.length === 0) lines.push('  none');
  for (const [reason, count] of caught) row(reason, count);
  for (const race of r.forcedRaces) {
    const kept = race.keptFor.length > 0 ? `kept (${race.keptFor.join(', ')})` : 'not seen by the reaper';
    lines.push(`  forced: ${race.jobId} ${RACE_WHEN[race.kind] ?? race.kind} on ${race.instanceId} (${race.on}): ${kept}; job ${race.jobFate}`);
  }

  lines.push('', `Reaper runs: ${r.reaperRuns.scaleDown} scale-down, ${r.reaperRuns.orphanCleanup} orphan-cleanup, ${r.reaperRuns.failed} failed`);
  lines.push('', `GitHub API calls: ${r.githubCalls.total}`);
  for (const [endpoint, count] of Object.entries(r.githubCalls.byEndpoint)) lines.push(`  ${String(count).padStart(5)}  ${endpoint}`);
  lines.push('', `AWS API calls: ${r.awsCalls.total}`);
  for (const [action, count] of Object.entries(r.awsCalls.byAction)) lines.push(`  ${String(count).padStart(5)}  ${action}`);

  if (svgPath) lines.push('', `Timeline: ${svgPath}`);
  lines.push('');
  if (r.ok) lines.push('OK: every job finished and every idle runner was reclaimed.');
  else {
    lines.push('FAILED:');
    for (const f of r.failures) lines.push(`  - ${f}`);
  }
  return lines.join('\n') + '\n';
}

/** One line for the SVG's subtitle. */
export function headline(r: DemoReport): string {
  const reclaimed = r.runners.reclaimedByScaleDown + r.runners.reclaimedByOrphanCleanup;
  const spared = Object.values(r.racesCaught).reduce((a, b) => a + b, 0);
  return (
    `${r.jobs.completed}/${r.jobs.total} jobs completed, ${r.jobs.killed + r.jobs.cancelledByDeregistration} killed; ` +
    `${reclaimed} runners reclaimed, ${spared} busy runners spared in races; ` +
    `${r.idleRunnerMinutes.toFixed(1)} idle runner-minutes; GitHub model ${r.githubModel}`
  );
}
