import { makePlan } from '../../src/cli/plan';
import { decideOrphans, decideScaleDown, TAG, type Decision } from '../../src/core';
import { failedListing, instance, isoAgo, listing, NOW, ORG, REPO, registered, snapshot } from '../core/fixtures';

describe('makePlan', () => {
  const hooks = { jobEvidence: 'hooks' as const, idleConfirmationSeconds: 60 };

  function fleet() {
    const reclaim = registered({ tags: { [TAG.idleSince]: isoAgo({ minutes: 5 }) } });
    const first = registered();
    const busy = registered({}, { busy: true });
    const bypass = registered({ tags: { [TAG.bypassRemoval]: 'true' } });
    const orphan = instance({ tags: { [TAG.orphan]: 'true', [TAG.orphanSince]: isoAgo({ minutes: 5 }) } });
    const newOrphan = instance();
    const repoInstance = instance({ owner: REPO });
    const runners = [reclaim, first, busy, bypass].map((r) => r.runner);
    const s = snapshot({
      instances: [first.instance, busy.instance, reclaim.instance, bypass.instance, orphan, newOrphan, repoInstance],
      listings: [listing(ORG, runners), failedListing(REPO, 'HTTP 502')],
      config: hooks,
    });
    return { s, reclaim, first, busy, bypass, orphan, newOrphan, repoInstance };
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
    const { s, reclaim, first, orphan, newOrphan, bypass, repoInstance } = fleet();
    const rows = new Map(makePlan(s).rows.map((r) => [r.instanceId, r]));
    const pick = (id: string) => {
      const r = rows.get(id)!;
      return [r.decidedBy, r.decision.action, r.decision.reason, r.category];
    };
    expect(pick(reclaim.instance.id)).toEqual(['scale-down', 'reclaim', 'idle-confirmed', 'acts']);
    expect(pick(first.instance.id)).toEqual(['scale-down', 'keep', 'idle-first-sighting', 'waits']);
    expect(pick(orphan.id)).toEqual(['orphan-cleanup', 'terminate', 'orphan-confirmed', 'acts']);
    expect(pick(newOrphan.id)).toEqual(['orphan-cleanup', 'keep', 'orphan-first-sighting', 'waits']);
    expect(pick(bypass.instance.id)).toEqual(['both', 'keep', 'bypass-tag', 'protected']);
    expect(pick(repoInstance.id)).toEqual(['both', 'keep', 'github-unavailable', 'protected']);
  });

  it('orders rows: what acts, what waits, what is protected', () => {
    const plan = makePlan(fleet().s);
    const categories = plan.rows.map((r) => r.category);
    expect(categories).toEqual([...categories].sort((a, b) => ['acts', 'waits', 'protected'].indexOf(a) - ['acts', 'waits', 'protected'].indexOf(b)));
    expect(new Set(categories)).toEqual(new Set(['acts', 'waits', 'protected']));
  });

  it('summarises what a run would reclaim, what waits until when, and what protects the rest', () => {
    const { s, reclaim, first, busy, bypass, orphan, newOrphan, repoInstance } = fleet();
    const { summary } = makePlan(s);
    expect(summary.instances).toBe(7);
    expect(summary.reclaimNow).toEqual([reclaim.instance.id]);
    expect(summary.terminateNow).toEqual([orphan.id]);
    expect(summary.waiting).toEqual(
      [
        { instanceId: first.instance.id, action: 'reclaim', reason: 'idle-confirmed', at: new Date(NOW.getTime() + 60_000), after: 'idle-first-sighting' },
        { instanceId: newOrphan.id, action: 'terminate', reason: 'orphan-confirmed', at: new Date(NOW.getTime() + 60_000), after: 'orphan-first-sighting' },
      ].sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    );
    expect(summary.protectedBy).toEqual({
      'busy-on-github': [busy.instance.id],
      'bypass-tag': [bypass.instance.id],
      'github-unavailable': [repoInstance.id],
    });
    expect(summary.bookkeeping.set).toEqual({
      [TAG.idleSince]: [first.instance.id],
      [TAG.orphan]: [newOrphan.id],
      [TAG.orphanSince]: [newOrphan.id],
    });
    expect(summary.owners).toEqual([
      { owner: ORG, ok: true, runners: 4 },
      { owner: REPO, ok: false, error: 'HTTP 502' },
    ]);
    expect(summary.evidence).toEqual({ hooks: 0, probe: 0, none: 0, unknown: 7 });
  });

  it('counts the evidence the core reports, and who SSM says could be probed', () => {
    const { instance: i, runner: r } = registered();
    const s = { ...snapshot({ instances: [i], runners: [r] }), probe: { enabled: true, online: new Set([i.id]) } };
    const withEvidence = (ds: Decision[]) => ds.map((d) => ({ ...d, evidence: 'probe' as const }));
    const plan = makePlan(s, [], { scaleDown: (x) => withEvidence(decideScaleDown(x)), orphanCleanup: (x) => withEvidence(decideOrphans(x)) });
    expect(plan.rows[0]).toMatchObject({ evidence: 'probe', probeable: true });
    expect(plan.summary.evidence).toEqual({ hooks: 0, probe: 1, none: 0, unknown: 0 });
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
