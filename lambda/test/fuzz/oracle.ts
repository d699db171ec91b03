/**
 * The checks after each run, against what the fake services served and the world's truth
 * (the checks made as a DELETE or a termination arrives live in github-world.ts and
 * ec2-world.ts):
 * 1. Each port read what it was served: a listing accepted only when its pages fit
 *    together and equal GitHub's registrations, and refused only when an answer really
 *    was malformed or failed; a GET, DELETE, DescribeInstances, DescribeInstanceInformation
 *    or probe round classified as its last answer means.
 * 2. Every malformed or failing answer left a reason in the log: the instance it concerns
 *    is kept with the reason the design names for it (or a reason the design checks
 *    earlier), and what concerns no single instance has its warning line.
 * 3. What the log says was terminated is what EC2 terminated.
 */
import type { RunReport } from './harness-types';
import { LISTING_MUST_FAIL } from './github-world';
import { OWNERS } from './model';
import { outcomeLines, type OutcomeLine } from './log-capture';
import type { RecordedCall } from './recording-ports';
import type { ServedInstance } from './run-context';
import { TAG } from '../../src/core/tags';
import type { OwnerRef } from '../../src/core/types';

export interface Violation {
  rule: string;
  detail: string;
}

/** Errors that come from the test machine's load (an attempt cut by its timeout), not from an answer. */
const LOAD_ERROR = /aborted|timeout|time budget|ECONNRESET|socket hang up|fetch failed|other side closed/i;

/** Reasons the gate gives before it looks at the owner's listing. */
const BEFORE_LISTING = ['bypass-tag', 'not-running', 'malformed-tags', 'missing-owner-tag'];
/** What judgeBeforeDelete checks before the re-read instance. */
const BEFORE_REREAD = ['github-error', 'race-busy-before-delete'];
/** What judgeBeforeDelete checks before the probe. */
const BEFORE_PROBE = [...BEFORE_REREAD, 'aws-error', 'not-running', 'bypass-tag', 'race-job-evidence-before-delete'];
/** What the executors check after the settle before the probe and the runner re-check. */
const AFTER_BEFORE_PROBE = ['aws-error', 'not-running', 'bypass-tag', 'race-job-evidence-after-delete', 'job-evidence', 'github-error', 'race-registered-again', 'missing-owner-tag'];

function pathOf(owner: OwnerRef): string {
  return OWNERS.find((o) => o.ref.type === owner.type && o.ref.owner === owner.owner)?.path ?? `${owner.type}:${owner.owner}`;
}

function ownerPathOfTags(tags: Readonly<Record<string, string>>): string | undefined {
  return OWNERS.find((o) => o.ref.owner === tags[TAG.owner] && o.ref.type === tags[TAG.type])?.path;
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function inSpan<T extends { seq: number }>(items: readonly T[], call: RecordedCall): T[] {
  return items.filter((item) => item.seq > call.from && item.seq < call.to);
}

export function checkRun(report: RunReport): Violation[] {
  const found: Violation[] = [];
  const fail = (rule: string, detail: string) => found.push({ rule, detail });
  checkPorts(report, fail);
  if (!report.crashed) checkReasons(report, fail);
  return found;
}

type Fail = (rule: string, detail: string) => void;

// --- 1. the ports --------------------------------------------------------------------------

function checkPorts(report: RunReport, fail: Fail): void {
  const { ctx, calls } = report;
  for (const call of calls) {
    if (call.port === 'github' && call.method === 'listRunners') {
      const path = pathOf(call.owner);
      const record = ctx.listings.get(`${call.phase}|${path}`);
      const mustFail = record?.served === true && record.scenario !== undefined && LISTING_MUST_FAIL.has(record.scenario);
      const what = record?.scenario ? `${record.scenario}${record.served ? '' : ' (not served)'}` : 'no fault';
      if (call.error !== undefined) {
        if (!mustFail && !LOAD_ERROR.test(call.error)) fail('listing-refused', `${path} (${call.phase}, ${what}): the listing failed although every answer was usable: ${call.error}`);
        continue;
      }
      if (mustFail) fail('listing-accepted-bad-answer', `${path} (${call.phase}, ${what}): the listing was accepted`);
      const accepted = call.result ?? [];
      const truth = new Map((call.truth ?? []).map((r) => [r.id, r]));
      const ids = accepted.map((r) => r.id);
      if (new Set(ids).size !== ids.length) fail('listing-accepted-duplicates', `${path}: runner ids ${ids.join(',')}`);
      const unseen = record?.unseen ?? new Set<number>();
      const removed = record?.removed ?? new Set<number>();
      const missing = [...truth.keys()].filter((id) => !ids.includes(id) && !unseen.has(id));
      const phantom = ids.filter((id) => !truth.has(id) && !removed.has(id));
      if (missing.length > 0) fail('listing-accepted-incomplete', `${path} (${call.phase}, ${what}): runners ${missing.join(',')} are registered but not in the accepted listing`);
      if (phantom.length > 0) fail('listing-accepted-phantom', `${path} (${call.phase}, ${what}): runners ${phantom.join(',')} are not registered`);
      for (const runner of accepted) {
        const real = truth.get(runner.id);
        if (real && (real.name !== runner.name || real.busy !== runner.busy)) {
          fail('listing-misread', `${path}: runner ${runner.id} read as ${runner.name}/busy=${runner.busy}, GitHub said ${real.name}/busy=${real.busy}`);
        }
      }
    } else if (call.port === 'github' && call.method === 'getRunner') {
      if (overlaps(calls, call)) continue;
      const last = inSpan(ctx.gets, call).filter((g) => g.runnerId === call.runnerId).at(-1);
      const expected = last ? (last.verdict.kind === 'installation' ? { kind: 'error' as const } : last.verdict) : { kind: 'error' as const };
      const got = call.result;
      const why = last ? `GitHub's last answer was ${last.status}${last.fault ? ` (${last.fault})` : ''}` : 'no answer reached GitHub';
      if (got.kind === 'error' && expected.kind !== 'error' && LOAD_ERROR.test(got.error)) continue;
      if (got.kind !== expected.kind || (got.kind === 'found' && expected.kind === 'found' && (got.runner.busy !== expected.busy || got.runner.id !== call.runnerId))) {
        fail('get-misread', `runner ${call.runnerId} (${call.phase}): ${why}, which means ${JSON.stringify(expected)}; the adapter read ${JSON.stringify(got)}`);
      }
    } else if (call.port === 'github' && call.method === 'deleteRunner') {
      const last = inSpan(ctx.deletes, call).filter((d) => d.runnerId === call.runnerId).at(-1);
      const expected = last?.verdict ?? 'error';
      const got = call.result;
      if (got.kind === 'error' && expected !== 'error' && LOAD_ERROR.test(got.error)) continue;
      if (got.kind !== expected) {
        fail('delete-misread', `runner ${call.runnerId}: GitHub answered ${last?.status ?? 'nothing'}${last?.fault ? ` (${last.fault})` : ''}, which means ${expected}; the adapter read ${JSON.stringify(got)}`);
      }
    } else if (call.port === 'ec2' && (call.method === 'listRunnerInstances' || call.method === 'describeByIds')) {
      checkDescribe(report, call, fail);
    } else if (call.port === 'ec2' && (call.method === 'setTags' || call.method === 'removeTags')) {
      const served = inSpan(ctx.writes, call);
      const failed = served.some((w) => w.failed);
      if (failed !== (call.error !== undefined)) fail('write-misread', `${call.method} ${call.keys.join(',')} on ${call.ids.join(',')}: EC2 ${failed ? 'failed' : 'succeeded'}, the adapter ${call.error ? `threw ${call.error}` : 'returned'}`);
    } else if (call.port === 'ec2' && call.method === 'terminate') {
      const served = inSpan(ctx.writes, call).filter((w) => w.call === 'TerminateInstances');
      const done = new Set(served.filter((w) => !w.failed).flatMap((w) => w.ids));
      const said = new Set(call.result.terminated);
      if (done.size !== said.size || [...done].some((id) => !said.has(id))) fail('terminate-misread', `EC2 terminated ${[...done].join(',') || 'nothing'}, the adapter says ${[...said].join(',') || 'nothing'}`);
    } else if (call.port === 'probe' && call.method === 'onlineInstances') {
      const served = inSpan(ctx.online, call);
      const threw = served.some((o) => o.threw);
      if (threw !== (call.error !== undefined)) {
        fail('online-misread', `DescribeInstanceInformation ${threw ? 'failed' : 'answered'}, the adapter ${call.error ? `threw ${call.error}` : 'returned'}`);
        continue;
      }
      if (threw) continue;
      const expected = new Set(served.flatMap((o) => [...o.onlineLinux]).filter((id) => call.ids.includes(id)));
      const got = call.result ?? new Set<string>();
      if (expected.size !== got.size || [...expected].some((id) => !got.has(id))) {
        fail('online-misread', `online Linux agents served: ${[...expected].join(',') || 'none'}; the adapter says ${[...got].join(',') || 'none'}`);
      }
    } else if (call.port === 'probe' && call.method === 'probe') {
      const served = inSpan(ctx.probes, call);
      for (const id of new Set(call.ids)) {
        const last = served.filter((p) => p.instanceId === id).at(-1);
        const expected = last?.verdict ?? { kind: 'error' as const };
        const got = call.result.get(id);
        const ok = got !== undefined && got.kind === expected.kind && (got.kind !== 'answered' || expected.kind !== 'answered' || got.busy === expected.busy);
        if (!ok) fail('probe-misread', `${id}: the probe's last answer${last?.fault ? ` (${last.fault})` : ''} means ${JSON.stringify(expected)}; the adapter read ${JSON.stringify(got)}`);
      }
    }
  }
}

function overlaps(calls: readonly RecordedCall[], call: RecordedCall & { method: 'getRunner' }): boolean {
  return calls.some((c) => c !== call && c.port === 'github' && c.method === 'getRunner' && c.runnerId === call.runnerId && c.from < call.to && call.from < c.to);
}

function checkDescribe(report: RunReport, call: RecordedCall & { port: 'ec2'; method: 'listRunnerInstances' | 'describeByIds' }, fail: Fail): void {
  const served = inSpan(report.ctx.describes, call).filter((d) => d.call === (call.method === 'describeByIds' ? 'ids' : 'list'));
  const threw = served.some((d) => d.threw !== undefined) || call.error?.includes('FuzzPageLoop') === true;
  if (threw !== (call.error !== undefined)) {
    fail('describe-misread', `${call.method}: EC2 ${threw ? 'failed' : 'answered'}, the adapter ${call.error ? `threw ${call.error}` : 'returned'}`);
    return;
  }
  if (threw) return;
  const entries = served.flatMap((d) => d.entries);
  const tagsOf = (e: ServedInstance) => e.tags ?? {};
  if (call.method === 'listRunnerInstances') {
    const listing = call.result!;
    const whole = entries.filter((e) => e.wellFormed);
    const broken = entries.filter((e) => !e.wellFormed);
    if (listing.instances.length !== whole.length || listing.malformed.length !== broken.length) {
      fail('describe-misread', `DescribeInstances served ${whole.length} whole and ${broken.length} broken entries; the adapter read ${listing.instances.length} instances and ${listing.malformed.length} malformed`);
    }
    for (const instance of listing.instances) {
      if (!whole.some((e) => e.id === instance.id && sameTags(tagsOf(e), instance.tags))) fail('describe-misread', `${instance.id} was read with tags nobody served`);
    }
    return;
  }
  const result = call.result!;
  for (const id of new Set(call.ids)) {
    const copies = entries.filter((e) => e.id === id && e.wellFormed);
    const got = result.get(id);
    if ((copies.length > 0) !== (got !== undefined)) fail('describe-misread', `${id}: ${copies.length} whole entries served, the adapter ${got ? 'found' : 'did not find'} it`);
    if (got && !copies.some((e) => sameTags(tagsOf(e), got.tags))) fail('describe-misread', `${id} was re-read with tags nobody served`);
  }
  for (const id of result.keys()) if (!call.ids.includes(id)) fail('describe-misread', `${id} was not asked for`);
}

// --- 2. a reason in the log ----------------------------------------------------------------

function checkReasons(report: RunReport, fail: Fail): void {
  const { ctx, calls, lines, decisions, snapshot } = report;
  const outcomes = outcomeLines(lines);
  const byInstance = new Map<string, OutcomeLine[]>();
  for (const o of outcomes) byInstance.set(o.instanceId, [...(byInstance.get(o.instanceId) ?? []), o]);
  const expectReason = (id: string, allowed: readonly string[], cause: string, accept?: (o: OutcomeLine) => boolean) => {
    const mine = byInstance.get(id) ?? [];
    if (mine.length === 0) return fail('no-outcome', `${id}: no log line, though ${cause}`);
    if (!mine.some((o) => allowed.includes(o.reason) || accept?.(o))) {
      fail('no-reason-logged', `${id}: ${cause}, but its log line says ${mine.map((o) => `${o.result}/${o.reason}`).join(', ')} (expected ${allowed.join(' or ')})`);
    }
  };

  // 3. What the log calls terminated is what EC2 terminated.
  for (const o of outcomes) if (o.result === 'terminated' && !ctx.terminated.has(o.instanceId)) fail('outcome-terminated-untrue', `${o.instanceId}: the log says terminated, EC2 did not terminate it`);
  for (const id of ctx.terminated) if (!(byInstance.get(id) ?? []).some((o) => o.result === 'terminated')) fail('termination-unlogged', `${id}: terminated without a log line saying so`);

  // Every instance the snapshot read has its line.
  for (const instance of snapshot?.instances ?? []) if (!byInstance.has(instance.id)) fail('no-outcome', `${instance.id}: read but never reported`);

  const runnerInstances = new Map<number, string[]>();
  for (const d of decisions) if (d.runner) runnerInstances.set(d.runner.id, [...(runnerInstances.get(d.runner.id) ?? []), d.instanceId]);
  const acting = new Map(decisions.filter((d) => d.action !== 'keep').map((d) => [d.instanceId, d]));
  const ownersOf = (path: string) => (snapshot?.instances ?? []).filter((i) => ownerPathOfTags(i.tags) === path).map((i) => i.id);

  // The EC2 listing: broken entries are warned about; entries without tags are kept as malformed.
  const listCall = calls.find((c) => c.port === 'ec2' && c.method === 'listRunnerInstances');
  if (listCall && listCall.port === 'ec2' && listCall.method === 'listRunnerInstances' && listCall.result) {
    const warned = lines.filter((l) => l.level === 'warn' && l.message.startsWith('Kept: EC2 described an instance')).length;
    if (warned !== listCall.result.malformed.length) fail('no-reason-logged', `${listCall.result.malformed.length} broken EC2 entries, ${warned} warning lines`);
    const entries = inSpan(ctx.describes, listCall).flatMap((d) => d.entries);
    for (const entry of entries) {
      if (!entry.wellFormed || !entry.id) continue;
      const tags = entry.tags ?? {};
      const copies = entries.filter((e) => e.id === entry.id).length;
      if (entry.tags === undefined || Object.keys(tags).length === 0) {
        expectReason(entry.id, ['malformed-tags', 'not-running'], `EC2 listed it without tags${copies > 1 ? ` (and ${copies - 1} more time(s) with them)` : ''}`);
      }
      const machine = report.world.machines.get(entry.id);
      if (machine?.foreign) expectReason(entry.id, ['malformed-tags', 'not-running', 'bypass-tag'], "EC2 listed another deployment's instance");
    }
  }

  for (const call of calls) {
    if (call.port === 'github' && call.method === 'listRunners' && call.error !== undefined) {
      const path = pathOf(call.owner);
      if (call.phase === 'read') {
        for (const id of ownersOf(path)) expectReason(id, ['github-unavailable', ...BEFORE_LISTING], `the listing of ${path} failed (${call.error})`);
      } else {
        for (const d of acting.values()) {
          if (d.owner && pathOf(d.owner) === path) expectReason(d.instanceId, ['github-error', 'not-running', 'missing-owner-tag', 'aws-error'], `re-listing ${path} after the settle failed`);
        }
      }
    }
    if (call.port === 'github' && call.method === 'getRunner' && call.result.kind === 'error') {
      for (const id of runnerInstances.get(call.runnerId) ?? []) {
        if (call.phase === 'look') expectReason(id, ['github-error'], `the GET of runner ${call.runnerId} before the DELETE failed (${call.result.error})`);
        else expectReason(id, ['github-error', ...AFTER_BEFORE_PROBE, 'probe-error', 'race-probe-busy-after-delete'], `the re-check GET of runner ${call.runnerId} failed`);
      }
    }
    if (call.port === 'github' && call.method === 'deleteRunner') {
      for (const id of runnerInstances.get(call.runnerId) ?? []) {
        if (call.result.kind === 'error') expectReason(id, ['github-error'], `the DELETE of runner ${call.runnerId} failed (${call.result.error})`);
        if (call.result.kind === 'busy') expectReason(id, ['race-delete-refused'], `GitHub refused the DELETE of runner ${call.runnerId}`);
      }
    }
    if (call.port === 'ec2' && call.method === 'describeByIds' && ctx.kind === 'scale-down') {
      for (const id of call.ids) {
        const fresh = call.result?.get(id);
        const partial = fresh && (fresh.tags[TAG.application] === undefined || fresh.tags[TAG.environment] === undefined || fresh.tags[TAG.owner] === undefined);
        if (call.error === undefined && fresh && !partial) continue;
        const cause = call.error ? `re-reading it failed (${call.error})` : fresh ? 'EC2 re-read it without its tags' : 'EC2 did not re-read it';
        if (call.phase === 'look') expectReason(id, ['aws-error', ...BEFORE_REREAD], `${cause} before the DELETE`);
        else expectReason(id, ['aws-error'], `${cause} after the settle`);
      }
    }
    if (call.port === 'ec2' && call.method === 'describeByIds' && ctx.kind === 'orphan-cleanup' && call.phase === 'after') {
      for (const id of call.ids) {
        if (call.error === undefined && call.result?.get(id)) continue;
        expectReason(id, ['aws-error', 'github-error', 'missing-owner-tag'], call.error ? `re-reading it failed (${call.error})` : 'EC2 did not re-read it');
      }
    }
    if (call.port === 'ec2' && call.method === 'setTags' && call.error !== undefined && call.phase === 'look' && call.keys.includes(TAG.drainingSince)) {
      for (const id of call.ids) expectReason(id, ['aws-error'], `writing ${TAG.drainingSince} failed`);
    }
    if (call.port === 'probe' && call.method === 'probe') {
      for (const [id, read] of call.result) {
        if (read.kind !== 'error') continue;
        const decision = acting.get(id);
        const fellThrough = decision?.probeOptional === true;
        if (call.phase === 'look') {
          if (!fellThrough) expectReason(id, ['probe-error', ...BEFORE_PROBE, 'runner-vanished'], `the probe gave no answer before the DELETE (${read.error})`);
        } else {
          // A decision the rules without machine evidence allow goes on without the probe's
          // answer (Decision.probeOptional): then the termination's line says so, or the
          // termination failed with its own reason.
          const wentOn = (o: OutcomeLine) =>
            fellThrough && ((o.result === 'terminated' && o.message.includes('the probe gave no answer')) || o.reason === 'termination-refused' || o.reason === 'aws-error');
          expectReason(id, ['probe-error', ...AFTER_BEFORE_PROBE], `the probe gave no answer after the settle (${read.error})`, wentOn);
        }
      }
    }
    if (call.port === 'ec2' && call.method === 'terminate') {
      for (const f of call.result.failed) {
        if (ctx.terminated.has(f.instanceId)) continue;
        expectReason(f.instanceId, ['termination-refused', 'aws-error'], `TerminateInstances failed (${f.error})`);
      }
    }
  }

  // What concerns no single instance: its own warning line.
  const warnings = lines.filter((l) => l.level === 'warn');
  const online = calls.find((c) => c.port === 'probe' && c.method === 'onlineInstances');
  if (online && online.port === 'probe' && online.method === 'onlineInstances' && online.error !== undefined && !warnings.some((l) => l.message.includes('SSM could not be read'))) {
    fail('no-reason-logged', `DescribeInstanceInformation failed (${online.error}) without a warning line`);
  }
  const bookkeeping = warnings.filter((l) => l.message.startsWith('Bookkeeping failed')).map((l) => String(l.attributes.error ?? ''));
  for (const call of calls) {
    if (call.port !== 'ec2' || (call.method !== 'setTags' && call.method !== 'removeTags') || call.error === undefined) continue;
    if (call.method === 'setTags' && call.phase === 'look' && call.keys.includes(TAG.drainingSince)) continue;
    if (!bookkeeping.some((line) => call.ids.every((id) => line.includes(id)) && line.includes(call.error!.split(':')[0]!))) {
      fail('no-reason-logged', `${call.method} ${call.keys.join(',')} on ${call.ids.join(',')} failed (${call.error}) without a bookkeeping warning`);
    }
  }
  const summary = lines.find((l) => l.message === 'Run finished')?.attributes.summary as { githubUnavailable?: number } | undefined;
  const failedOwners = new Set(
    calls.filter((c) => c.port === 'github' && c.method === 'listRunners' && c.phase === 'read' && c.error !== undefined).map((c) => (c.port === 'github' && c.method === 'listRunners' ? pathOf(c.owner) : '')),
  );
  if (!summary) fail('no-summary', 'the run logged no "Run finished" summary');
  else if ((summary.githubUnavailable ?? 0) !== failedOwners.size) fail('no-reason-logged', `${failedOwners.size} owner listings failed, the summary counts ${summary.githubUnavailable}`);
}
