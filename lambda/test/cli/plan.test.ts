import { makePlan } from '../../src/cli/plan';
import { decideOrphans, decideScaleDown, HOOKS_CONTRACT_VERSION, TAG, type Decision } from '../../src/core';
import { failedListing, instance, isoAgo, listing, NOW, ORG, REPO, registered, snapshot } from '../core/fixtures';

const HOOKS = { [TAG.jobHooks]: HOOKS_CONTRACT_VERSION };
const MINUTE = 60_000;

describe('makePlan', () => {
  const hooks = { jobEvidence: 'hooks' as const, idleConfirmationSeconds: 60, maxJobDurationMinutes: 360 };

  function fleet() {
    // Without the boot marker JOB_EVIDENCE=hooks finds no machine evidence: GitHub's word, two sightings.
    const reclaim = registered({ tags: { [TAG.idleSince]: isoAgo({ minutes: 5 }) } });
    const hooksFirst = registered({ tags: HOOKS });
    const first = registered();
    const busy = registered({}, { busy: true });
    const bypass = registered({ tags: { [TAG.bypassRemoval]: 'true' } });
    const orphan = instance({ tags: HOOKS });
    const legacySince = isoAgo({ minutes: 5 });
    const legacyOrphan = instance({ tags: { [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: legacySince } });
    const newOrphan = instance();
    const repoInstance = instance({ owner: REPO });
    const runners = [reclaim, hooksFirst, first, busy, bypass].map((r) => r.runner);
    const s = snapshot({
      instances: [first.instance, busy.instance, reclaim.instance, hooksFirst.instance, bypass.instance, orphan, legacyOrphan, newOrphan, repoInstance],
      listings: [listing(ORG, runners), failedListing(REPO, 'HTTP 502')],
      config: hooks,
    });
    return { s, reclaim, hooksFirst, first, busy, bypass, orphan, legacyOrphan, legacySince, newOrphan, repoInstance };
  }

  it('has one row per instance, each with both functions\' decisions, exactly as the cores decide', () => {
    const { s } = fleet();
    const plan = makePlan(s);
    expect(plan.rows.map((r) => r.instanceId).sort()).toEqual(s.instances.map((i) => i.id).sort());
    const byId = (ds: Decision[]) => new Map(ds.map((d) => [d.instanceId, d]));
    const sd = byId(decideScaleDown(s));
    const oc = byId(decideOrphans(s));
    for (const row of plan.rows) {
      expect(row.scaleDown).toEqual(sd.get(row.instanceId));
      expect(row.orphanCleanup).toEqual(oc.get(row.instanceId));
    }
  });

  it('shows the decision that acts, else the function whose instance it is', () => {
    const { s, reclaim, hooksFirst, first, orphan, legacyOrphan, newOrphan, bypass, repoInstance } = fleet();
    const rows = new Map(makePlan(s).rows.map((r) => [r.instanceId, r]));
    const pick = (id: string) => {
      const r = rows.get(id)!;
      return [r.decidedBy, r.decision.action, r.decision.reason, r.category, r.evidence];
    };
    expect(pick(reclaim.instance.id)).toEqual(['scale-down', 'reclaim', 'idle-confirmed', 'acts', 'none']);
    expect(pick(hooksFirst.instance.id)).toEqual(['scale-down', 'reclaim', 'idle-confirmed', 'acts', 'hooks']);
    expect(pick(first.instance.id)).toEqual(['scale-down', 'keep', 'idle-first-sighting', 'waits', 'none']);
    expect(pick(orphan.id)).toEqual(['orphan-cleanup', 'terminate', 'orphan-confirmed', 'acts', 'hooks']);
    expect(pick(legacyOrphan.id)).toEqual(['orphan-cleanup', 'keep', 'waiting-max-job-duration', 'waits', 'none']);
    expect(pick(newOrphan.id)).toEqual(['orphan-cleanup', 'keep', 'orphan-first-sighting', 'waits', 'none']);
    expect(pick(bypass.instance.id)).toEqual(['both', 'keep', 'bypass-tag', 'protected', undefined]);
    expect(pick(repoInstance.id)).toEqual(['both', 'keep', 'github-unavailable', 'protected', undefined]);
  });

  it('orders rows: what acts, what waits, what is protected', () => {
    const plan = makePlan(fleet().s);
    const categories = plan.rows.map((r) => r.category);
    expect(categories).toEqual([...categories].sort((a, b) => ['acts', 'waits', 'protected'].indexOf(a) - ['acts', 'waits', 'protected'].indexOf(b)));
    expect(new Set(categories)).toEqual(new Set(['acts', 'waits', 'protected']));
  });

  it('summarises what a run would reclaim, what waits until when, and what protects the rest', () => {
    const { s, reclaim, hooksFirst, first, busy, bypass, orphan, legacyOrphan, legacySince, newOrphan, repoInstance } = fleet();
    const { summary } = makePlan(s);
    const sorted = (ids: string[]) => [...ids].sort();
    expect(summary.instances).toBe(9);
    expect(summary.reclaimNow).toEqual(sorted([reclaim.instance.id, hooksFirst.instance.id]));
    expect(summary.reclaimNowBy).toEqual({ 'idle-confirmed': sorted([reclaim.instance.id, hooksFirst.instance.id]) });
    expect(summary.terminateNow).toEqual([orphan.id]);
    expect(summary.terminateNowBy).toEqual({ 'orphan-confirmed': [orphan.id] });
    const legacyEnd = new Date(Date.parse(legacySince) + 360 * MINUTE);
    expect(summary.waiting).toEqual([
      { instanceId: first.instance.id, action: 'reclaim', reason: 'idle-confirmed', at: new Date(NOW.getTime() + 2 * MINUTE), after: 'idle-first-sighting' },
      { instanceId: legacyOrphan.id, action: 'terminate', reason: 'orphan-confirmed', at: legacyEnd, after: 'waiting-max-job-duration' },
      { instanceId: newOrphan.id, action: 'terminate', reason: 'orphan-confirmed', at: new Date(NOW.getTime() + 360 * MINUTE), after: 'orphan-first-sighting' },
    ]);
    expect(summary.protectedBy).toEqual({
      'busy-on-github': [busy.instance.id],
      'bypass-tag': [bypass.instance.id],
      'github-unavailable': [repoInstance.id],
    });
    // Held now: the instance whose 0.1.0 mark says since when; the new orphan is held from the next run on.
    expect(summary.held).toEqual({
      count: 1,
      oldestSince: legacySince,
      oldestAgeSeconds: 300,
      instances: [{ instanceId: legacyOrphan.id, since: legacySince, until: legacyEnd }],
    });
    // Our own orphan key, 0.1.0's pair moved over and removed; ghr:orphan is never written.
    expect(summary.bookkeeping.set).toEqual({
      [TAG.idleSince]: [first.instance.id],
      [TAG.reaperOrphanSince]: sorted([legacyOrphan.id, newOrphan.id]),
    });
    expect(summary.bookkeeping.remove).toEqual({ [TAG.orphan]: [legacyOrphan.id], [TAG.legacyOrphanSince]: [legacyOrphan.id] });
    expect(summary.owners).toEqual([
      { owner: ORG, ok: true, runners: 5 },
      { owner: REPO, ok: false, error: 'HTTP 502' },
    ]);
    expect(summary.evidence).toEqual({ hooks: 2, probe: 0, none: 5, notJudged: 2 });
  });

  it('groups what acts by reason, the operator\'s trades apart', () => {
    const held = instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 40 }) } });
    const drained = instance({ tags: { ...HOOKS, [TAG.drainingSince]: isoAgo({ minutes: 1 }) } });
    const s = snapshot({ instances: [held, drained], runners: [], config: { ...hooks, maxJobDurationMinutes: 60, unregisteredHold: { maxMinutes: 30, maxInstances: 0 } } });
    const { summary } = makePlan(s);
    expect(summary.terminateNowBy).toEqual({ 'unregistered-hold-exceeded': [held.id], drained: [drained.id] });
    expect(summary.held).toEqual({ count: 0, instances: [] });
  });

  it('beyond UNREGISTERED_HOLD_MAX_INSTANCES: the longest held terminate with their own reason, the rest stay held, and their times may come sooner', () => {
    const since = (minutes: number) => isoAgo({ minutes });
    const [oldest, older, youngest] = [30, 20, 10].map((m) => instance({ tags: { [TAG.reaperOrphanSince]: since(m) } }));
    const s = snapshot({ instances: [youngest!, older!, oldest!], runners: [], config: { ...hooks, maxJobDurationMinutes: 60, unregisteredHold: { maxMinutes: 60, maxInstances: 1 } } });
    const plan = makePlan(s);
    expect(plan.summary.terminateNowBy).toEqual({ 'unregistered-hold-limit': [oldest!.id, older!.id].sort() });
    expect(plan.summary.held).toMatchObject({ count: 1, oldestSince: since(10), instances: [{ instanceId: youngest!.id, since: since(10) }] });
    expect(plan.rows.find((r) => r.instanceId === youngest!.id)!.next).toMatchObject({ kind: 'acts-later', sooner: 'unregistered-hold-limit' });
  });

  it('counts the evidence the core reports, and who SSM says could be probed', () => {
    const withHooks = registered({ tags: HOOKS });
    const online = registered();
    const plain = registered();
    const bypass = registered({ tags: { [TAG.bypassRemoval]: 'true' } });
    const base = snapshot({
      instances: [withHooks.instance, online.instance, plain.instance, bypass.instance],
      runners: [withHooks.runner, online.runner, plain.runner, bypass.runner],
      config: { jobEvidence: 'auto', probe: { documentName: 'probe', timeoutSeconds: 10 } },
    });
    const s = { ...base, probe: { enabled: true, online: new Set([online.instance.id, bypass.instance.id]) } };
    const rows = new Map(makePlan(s).rows.map((r) => [r.instanceId, r]));
    expect(rows.get(withHooks.instance.id)).toMatchObject({ evidence: 'hooks', probeable: false });
    expect(rows.get(online.instance.id)).toMatchObject({ evidence: 'probe', probeable: true, next: { kind: 'acts-now', probe: {} } });
    expect(rows.get(plain.instance.id)).toMatchObject({ evidence: 'none', probeable: false });
    expect(rows.get(bypass.instance.id)).toMatchObject({ probeable: true });
    expect(rows.get(bypass.instance.id)!.evidence).toBeUndefined();
    expect(makePlan(s).summary.evidence).toEqual({ hooks: 1, probe: 1, none: 1, notJudged: 1 });
  });

  it('says nothing about probes when SSM was not read', () => {
    const { instance: i, runner: r } = registered();
    expect(makePlan(snapshot({ instances: [i], runners: [r] })).rows[0]!.probeable).toBeUndefined();
  });

  it('keeps EC2\'s unreadable instances in the summary', () => {
    const plan = makePlan(snapshot(), [{ instanceId: 'i-bad', problem: 'no valid LaunchTime' }]);
    expect(plan.rows).toEqual([]);
    expect(plan.summary.malformed).toEqual([{ instanceId: 'i-bad', problem: 'no valid LaunchTime' }]);
  });
});
