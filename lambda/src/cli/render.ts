/** The plan for people (a table and a summary) and for machines (`--json`). */
import type { OwnerRef, RunnerView } from '../core';
import type { Forecast } from './forecast';
import type { Plan, PlanRow } from './plan';

/** Facts about the read itself that are not part of the pure plan. */
export interface PlanContext {
  /** Where the configuration came from (`the environment`, `function gh-ci-reaper-scale-down`). */
  source: string;
  /** HTTP requests made to GitHub. */
  githubRequests: number;
  /**
   * What SSM said about the probe (DescribeInstanceInformation, read as a run reads it),
   * or why it was not asked: a run with this configuration does not probe.
   */
  probe: { state: 'off'; why: string } | { state: 'read'; online: number } | { state: 'error'; error: string };
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

function ownerText(owner: OwnerRef | undefined): string {
  return owner ? `${owner.type}:${owner.owner}` : '-';
}

function runnerText(runner: RunnerView | undefined): string {
  if (!runner) return '-';
  return `${runner.name} #${runner.id} ${runner.busy ? 'busy' : 'idle'}${runner.status === 'offline' ? ' offline' : ''}`;
}

/** When the action lies ahead: "in 2 min" or "on the next run". */
function whenText(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms <= 0 ? 'on the next run' : `in ${formatDuration(ms)} at the earliest`;
}

export function nextText(next: Forecast, now: Date, dryRun: boolean): string {
  switch (next.kind) {
    case 'acts-now':
      return dryRun ? 'now (DRY_RUN: logged only)' : 'now';
    case 'acts-later':
      return `${next.action} ${whenText(next.at, now)}`;
    case 'holds':
      return 'stays kept';
    case 'depends-on-fleet':
      return 'depends on the fleet';
  }
}

const COLUMNS = ['INSTANCE', 'OWNER', 'RUNNER', 'EVIDENCE', 'DECISION', 'REASON', 'NEXT', 'SENTENCE'] as const;
/** With the probe read: PROBE after EVIDENCE, whether a run could probe the instance. */
const PROBE_COLUMNS = ['INSTANCE', 'OWNER', 'RUNNER', 'EVIDENCE', 'PROBE', 'DECISION', 'REASON', 'NEXT', 'SENTENCE'] as const;

function cells(row: PlanRow, plan: Plan, withProbe: boolean): string[] {
  return [
    row.instanceId,
    ownerText(row.owner),
    runnerText(row.runner),
    row.evidence ?? '-',
    ...(withProbe ? [row.probeable === undefined ? '-' : row.probeable ? 'yes' : 'no'] : []),
    `${row.decision.action} (${row.decidedBy})`,
    row.decision.reason,
    nextText(row.next, plan.generatedAt, plan.config.dryRun),
    row.decision.message,
  ];
}

export function renderTable(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function ids(list: readonly string[], limit = 10): string {
  const shown = list.slice(0, limit).join(', ');
  return list.length > limit ? `${shown} and ${list.length - limit} more` : shown;
}

/** Tag keys written on the same instances, one line: `ghr:orphan, ghr:orphan-since` -> ids. */
function byInstances(byKey: Readonly<Record<string, string[]>>): [string, string[]][] {
  const groups = new Map<string, { keys: string[]; list: string[] }>();
  for (const [key, list] of Object.entries(byKey)) {
    const id = list.join(' ');
    const group = groups.get(id) ?? { keys: [], list };
    group.keys.push(key);
    groups.set(id, group);
  }
  return [...groups.values()].map((g) => [g.keys.join(', '), g.list]);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function probeLine(context: PlanContext, total: number): string {
  const p = context.probe;
  switch (p.state) {
    case 'off':
      return `Probe: off (${p.why}).`;
    case 'error':
      return `Probe: SSM could not be read (${p.error}); a run would count no instance as probe-able.`;
    case 'read':
      return `Probe: ${p.online} of ${plural(total, 'instance')} online in SSM, so a run could probe them (column PROBE). The plan does not probe: SendCommand runs a command on the instances.`;
  }
}

export function renderText(plan: Plan, context: PlanContext): string {
  const { summary, config, generatedAt } = plan;
  const out: string[] = [];
  out.push(
    `runner-reaper plan for ${config.environments.join(', ')} at ${generatedAt.toISOString()} (configuration from ${context.source}). Read only: nothing was written.`,
  );
  out.push('');
  if (plan.rows.length === 0) out.push('No runner instances (pending or running) carry these ghr:environment tags.');
  else {
    const withProbe = context.probe.state === 'read';
    out.push(...renderTable(withProbe ? PROBE_COLUMNS : COLUMNS, plan.rows.map((r) => cells(r, plan, withProbe))));
  }
  out.push('');
  out.push('Summary');
  const owners = summary.owners.map((o) => (o.ok ? `${ownerText(o.owner)} (${plural(o.runners ?? 0, 'runner')})` : `${ownerText(o.owner)} (listing failed: ${o.error})`));
  out.push(`  ${plural(summary.instances, 'instance')}; owners: ${owners.length > 0 ? owners.join(', ') : 'none'}; ${plural(context.githubRequests, 'GitHub request')}.`);
  if (summary.dryRun) out.push('  DRY_RUN=true: a scheduled run decides the same but only logs it; the times below are those of runs with DRY_RUN=false.');
  out.push('  A run now would:');
  const acts: string[] = [];
  if (summary.reclaimNow.length > 0) {
    acts.push(`reclaim ${plural(summary.reclaimNow.length, 'runner')} (scale-down deregisters, then terminates; its GET, DELETE and settle re-check can still keep one): ${ids(summary.reclaimNow)}`);
  }
  if (summary.terminateNow.length > 0) {
    acts.push(`terminate ${plural(summary.terminateNow.length, 'unregistered instance')} (orphan-cleanup, after its settle re-check): ${ids(summary.terminateNow)}`);
  }
  for (const [keys, list] of byInstances(summary.bookkeeping.set)) acts.push(`tag ${keys} on ${plural(list.length, 'instance')}: ${ids(list)}`);
  for (const [keys, list] of byInstances(summary.bookkeeping.remove)) acts.push(`remove ${keys} from ${plural(list.length, 'instance')}: ${ids(list)}`);
  out.push(...(acts.length > 0 ? acts.map((a) => `    ${a}`) : ['    nothing']));
  out.push(`  Waiting: ${summary.waiting.length}`);
  for (const w of summary.waiting.slice(0, 20)) {
    out.push(`    ${w.instanceId}: ${w.action} ${whenText(w.at, generatedAt)} (${w.at.toISOString()}, ${w.reason}); now ${w.after}`);
  }
  if (summary.waiting.length > 20) out.push(`    and ${summary.waiting.length - 20} more (see --json)`);
  const guarded = Object.entries(summary.protectedBy);
  out.push(`  Protected: ${guarded.reduce((n, [, list]) => n + (list?.length ?? 0), 0)}`);
  for (const [reason, list] of guarded) out.push(`    ${reason}: ${ids(list ?? [])}`);
  const e = summary.evidence;
  out.push(
    e.unknown === summary.instances && summary.instances > 0
      ? '  Machine evidence: not reported by this version of the decision core.'
      : `  Machine evidence: hooks ${e.hooks}, probe ${e.probe}, none ${e.none}${e.unknown > 0 ? `, not reported ${e.unknown}` : ''}.`,
  );
  out.push(`  ${probeLine(context, summary.instances)}`);
  if (summary.malformed.length > 0) {
    out.push(`  EC2 described ${plural(summary.malformed.length, 'instance')} the reaper cannot read (a run keeps them):`);
    for (const m of summary.malformed) out.push(`    ${m.instanceId ?? '(no id)'}: ${m.problem}`);
  }
  out.push('  Times are "at the earliest": the first scheduled run at or after them acts, if nothing but the clock changes.');
  return `${out.join('\n')}\n`;
}

/** Stable, documented JSON (docs/plan.md). Dates are ISO-8601 strings. */
export function toJson(plan: Plan, context: PlanContext, exitCode: number): unknown {
  const now = plan.generatedAt.getTime();
  const secondsUntil = (at: Date) => Math.max(0, Math.ceil((at.getTime() - now) / 1000));
  return {
    version: 1,
    readOnly: true,
    generatedAt: plan.generatedAt,
    configurationSource: context.source,
    exitCode,
    configuration: plan.config,
    githubRequests: context.githubRequests,
    probe: context.probe,
    instances: plan.rows.map((row) => ({
      instanceId: row.instanceId,
      environment: row.environment ?? null,
      owner: row.owner ?? null,
      runner: row.runner ?? null,
      evidence: row.evidence ?? null,
      probeable: row.probeable ?? null,
      decidedBy: row.decidedBy,
      action: row.decision.action,
      reason: row.decision.reason,
      message: row.decision.message,
      category: row.category,
      next:
        row.next.kind === 'acts-later'
          ? { ...row.next, inSeconds: secondsUntil(row.next.at) }
          : row.next,
      decisions: { scaleDown: row.scaleDown, orphanCleanup: row.orphanCleanup },
    })),
    summary: plan.summary,
  };
}
