/** The plan for people (a table and a summary) and for machines (`--json`). */
import { TAG, unregisteredHoldMs, type OwnerRef, type ReasonCode, type RunnerView } from '../core';
import type { Forecast, ProbeCondition } from './forecast';
import type { Plan, PlanRow } from './plan';

const MINUTE_MS = 60_000;

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

/**
 * What the probe decides about an action that rests on it: a busy answer always keeps;
 * no answer keeps until `withoutAnswerFrom`.
 */
function probeText(probe: ProbeCondition | undefined, at: Date, now: Date): string {
  if (!probe) return '';
  if (probe.withoutAnswer) return ' unless the probe answers busy';
  const from = probe.withoutAnswerFrom;
  let fallback = 'kept';
  if (from && from.getTime() <= at.getTime()) fallback = at.getTime() <= now.getTime() ? 'on the next run' : 'on the run after';
  else if (from) fallback = whenText(from, now);
  return ` if the probe answers idle; with no answer, ${fallback}`;
}

export function nextText(next: Forecast, now: Date, dryRun: boolean): string {
  switch (next.kind) {
    case 'acts-now':
      return `now${probeText(next.probe, now, now)}${dryRun ? ' (DRY_RUN: logged only)' : ''}`;
    case 'acts-later': {
      const sooner = next.sooner === 'unregistered-hold-limit' ? ', or sooner once more than UNREGISTERED_HOLD_MAX_INSTANCES are held' : '';
      return `${next.action} ${whenText(next.at, now)}${probeText(next.probe, next.at, now)}${sooner}`;
    }
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

/** What a reason means in the summary, where the code alone does not say it. */
function reasonNotes(plan: Plan): Partial<Record<ReasonCode, string>> {
  const { config } = plan;
  const holdMinutes = unregisteredHoldMs(config) / MINUTE_MS;
  const trade = "an operator's trade: a job may still run";
  return {
    'stale-job-evidence': `${TAG.job} older than MAX_JOB_DURATION_MINUTES=${config.maxJobDurationMinutes}: the job-completed hook never ran`,
    'max-job-duration-exceeded': `a job older than MAX_JOB_DURATION_MINUTES=${config.maxJobDurationMinutes}`,
    drained: 'deregistered by scale-down',
    'unregistered-hold-exceeded': `held longer than UNREGISTERED_HOLD_MINUTES=${holdMinutes}, below MAX_JOB_DURATION_MINUTES=${config.maxJobDurationMinutes}; ${trade}`,
    'unregistered-hold-limit': `more held than UNREGISTERED_HOLD_MAX_INSTANCES=${config.unregisteredHold?.maxInstances ?? 0}; ${trade}`,
    'bypass-tag': `${TAG.bypassRemoval}=true`,
    'not-running': 'not running',
    'malformed-tags': 'tags the reaper cannot read',
    'missing-owner-tag': `no valid ${TAG.owner}/${TAG.type}`,
    'github-unavailable': "the owner's runner listing failed",
    'busy-on-github': 'GitHub calls the runner busy',
    'job-evidence': `${TAG.job} says a job runs`,
    'idle-pool': 'kept warm by IDLE_CONFIG',
    draining: "deregistered; orphan-cleanup's",
    'termination-refused': 'EC2 refused to terminate it; retried after a back-off',
    'delete-backoff': 'DELETEs of its runner failed; retried after a back-off',
  };
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
  if (summary.dryRun) {
    out.push(
      '  DRY_RUN=true: a scheduled run writes the bookkeeping tags below as a real run does (its clocks carry over to DRY_RUN=false) and only logs what it would reclaim or terminate (reason dry-run).',
    );
  }
  const rowsById = new Map(plan.rows.map((r) => [r.instanceId, r]));
  const withEvidence = (list: readonly string[]) => ids(list.map((id) => `${id} (${rowsById.get(id)?.evidence ?? '-'})`));
  const notes = reasonNotes(plan);
  const byReason = (groups: Partial<Record<ReasonCode, string[]>>) =>
    Object.entries(groups).map(([reason, list]) => `      ${reason}${notes[reason as ReasonCode] ? ` (${notes[reason as ReasonCode]})` : ''}: ${withEvidence(list ?? [])}`);
  out.push('  A run now would:');
  const acts: string[] = [];
  if (summary.reclaimNow.length > 0) {
    acts.push(`    reclaim ${plural(summary.reclaimNow.length, 'runner')} (scale-down deregisters, then terminates; its look, DELETE and settle re-check can still keep one):`);
    acts.push(...byReason(summary.reclaimNowBy));
  }
  if (summary.terminateNow.length > 0) {
    acts.push(`    terminate ${plural(summary.terminateNow.length, 'unregistered instance')} (orphan-cleanup, after its settle re-check):`);
    acts.push(...byReason(summary.terminateNowBy));
  }
  for (const [keys, list] of byInstances(summary.bookkeeping.set)) acts.push(`    tag ${keys} on ${plural(list.length, 'instance')}: ${ids(list)}`);
  for (const [keys, list] of byInstances(summary.bookkeeping.remove)) acts.push(`    remove ${keys} from ${plural(list.length, 'instance')}: ${ids(list)}`);
  out.push(...(acts.length > 0 ? acts : ['    nothing']));
  out.push(`  Waiting: ${summary.waiting.length}`);
  for (const w of summary.waiting.slice(0, 20)) {
    const next = rowsById.get(w.instanceId)?.next;
    const when = next ? nextText(next, generatedAt, false) : `${w.action} ${whenText(w.at, generatedAt)}`;
    out.push(`    ${w.instanceId}: ${when} (${w.at.toISOString()}, ${w.reason}); now ${w.after}`);
  }
  if (summary.waiting.length > 20) out.push(`    and ${summary.waiting.length - 20} more (see --json)`);
  const guarded = Object.entries(summary.protectedBy);
  out.push(`  Protected: ${guarded.reduce((n, [, list]) => n + (list?.length ?? 0), 0)}`);
  for (const [reason, list] of guarded) {
    const note = notes[reason as ReasonCode];
    out.push(`    ${reason}${note ? ` (${note})` : ''}: ${ids(list ?? [])}`);
  }
  const { held } = summary;
  if (held.count > 0) {
    const holdMinutes = unregisteredHoldMs(config) / MINUTE_MS;
    const longest = held.oldestSince ? `, the longest since ${held.oldestSince} (${formatDuration((held.oldestAgeSeconds ?? 0) * 1000)})` : '';
    out.push(`  Held without a registration or machine evidence: ${held.count}${longest}; each for ${formatDuration(holdMinutes * MINUTE_MS)} (UNREGISTERED_HOLD_MINUTES):`);
    for (const h of held.instances.slice(0, 20)) {
      out.push(`    ${h.instanceId}: since ${h.since}${h.until ? `, terminate ${whenText(h.until, generatedAt)} (${h.until.toISOString()})` : ''}`);
    }
    if (held.instances.length > 20) out.push(`    and ${held.instances.length - 20} more (see --json)`);
    out.push('    Machine evidence on these instances (the hooks\' ghr:job-hooks marker, or the probe) ends this wait.');
  }
  const e = summary.evidence;
  out.push(
    `  Machine evidence: hooks ${e.hooks}, probe ${e.probe}, none ${e.none}${e.notJudged > 0 ? `; ${e.notJudged} kept by the first rules before evidence is judged` : ''}.`,
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
