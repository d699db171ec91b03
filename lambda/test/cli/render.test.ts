import { makePlan } from '../../src/cli/plan';
import { formatDuration, nextText, renderTable, renderText, toJson, type PlanContext } from '../../src/cli/render';
import { TAG } from '../../src/core';
import { failedListing, instance, isoAgo, listing, NOW, ORG, REPO, registered, snapshot } from '../core/fixtures';

const CONTEXT: PlanContext = { source: 'the environment', githubRequests: 3, probe: { state: 'off', why: 'PROBE_DOCUMENT_NAME unset' } };

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [1, '1 s'],
    [59_000, '59 s'],
    [60_000, '1 min'],
    [125_000, '2 min 5 s'],
    [3_600_000, '1 h'],
    [5_400_000, '1 h 30 min'],
    [48 * 3_600_000, '2 d'],
    [50 * 3_600_000, '2 d 2 h'],
  ])('%d ms is "%s" (rounded up to the second)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('nextText', () => {
  it('says when, and that it is the earliest', () => {
    expect(nextText({ kind: 'acts-now' }, NOW, false)).toBe('now');
    expect(nextText({ kind: 'acts-now' }, NOW, true)).toBe('now (DRY_RUN: logged only)');
    expect(nextText({ kind: 'acts-later', at: NOW, action: 'reclaim', reason: 'idle-confirmed', steps: [] }, NOW, false)).toBe('reclaim on the next run');
    expect(nextText({ kind: 'acts-later', at: new Date(NOW.getTime() + 90_000), action: 'terminate', reason: 'orphan-confirmed', steps: [] }, NOW, false)).toBe(
      'terminate in 1 min 30 s at the earliest',
    );
    expect(nextText({ kind: 'holds', steps: [] }, NOW, false)).toBe('stays kept');
    expect(nextText({ kind: 'depends-on-fleet', why: 'pool' }, NOW, false)).toBe('depends on the fleet');
  });
});

describe('renderTable', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(renderTable(['A', 'BB', 'C'], [['xxx', 'y', 'a long last cell'], ['x', 'yyyy', '']])).toEqual(['A    BB    C', 'xxx  y     a long last cell', 'x    yyyy']);
  });
});

describe('renderText', () => {
  function fleet() {
    const reclaim = registered({ tags: { [TAG.idleSince]: isoAgo({ minutes: 5 }) } });
    const first = registered();
    const busy = registered({}, { busy: true });
    const orphan = instance();
    const repo = instance({ owner: REPO });
    const s = snapshot({
      instances: [reclaim.instance, first.instance, busy.instance, orphan, repo],
      listings: [listing(ORG, [reclaim.runner, first.runner, busy.runner]), failedListing(REPO, 'HTTP 502')],
      config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 },
    });
    return { s, reclaim, first, busy, orphan, repo };
  }

  it('one row per instance with instance, owner, runner, evidence, decision, reason, next and the sentence', () => {
    const { s, reclaim, first, busy, orphan, repo } = fleet();
    const lines = renderText(makePlan(s), CONTEXT).split('\n');
    const row = (id: string) => lines.find((l) => l.startsWith(id))!.split(/ {2,}/);
    expect(lines[2]!.split(/ {2,}/)).toEqual(['INSTANCE', 'OWNER', 'RUNNER', 'EVIDENCE', 'DECISION', 'REASON', 'NEXT', 'SENTENCE']);
    expect(row(reclaim.instance.id)).toEqual([
      reclaim.instance.id,
      'Org:my-org',
      `${reclaim.runner.name} #${reclaim.runner.id} idle`,
      '-',
      'reclaim (scale-down)',
      'idle-confirmed',
      'now',
      expect.stringMatching(/^Reclaim: runner /),
    ]);
    expect(row(first.instance.id).slice(4, 7)).toEqual(['keep (scale-down)', 'idle-first-sighting', 'reclaim in 1 min at the earliest']);
    expect(row(busy.instance.id).slice(2, 7)).toEqual([`${busy.runner.name} #${busy.runner.id} busy`, '-', 'keep (scale-down)', 'busy-on-github', 'stays kept']);
    expect(row(orphan.id).slice(1, 7)).toEqual(['Org:my-org', '-', '-', 'keep (orphan-cleanup)', 'orphan-first-sighting', 'terminate in 1 min at the earliest']);
    expect(row(repo.id).slice(1, 6)).toEqual(['Repo:my-org/my-repo', '-', '-', 'keep (both)', 'github-unavailable']);
  });

  it('a summary: what a run would do now, what waits until when, what protects the rest', () => {
    const { s, reclaim, first, busy, orphan, repo } = fleet();
    const text = renderText(makePlan(s), CONTEXT);
    expect(text).toContain('5 instances; owners: Org:my-org (3 runners), Repo:my-org/my-repo (listing failed: HTTP 502); 3 GitHub requests.');
    expect(text).toContain(`reclaim 1 runner (scale-down deregisters, then terminates; its GET, DELETE and settle re-check can still keep one): ${reclaim.instance.id}`);
    expect(text).toContain(`tag ${TAG.idleSince} on 1 instance: ${first.instance.id}`);
    expect(text).toContain(`tag ${TAG.orphan}, ${TAG.orphanSince} on 1 instance: ${orphan.id}`);
    expect(text).toContain(`${first.instance.id}: reclaim in 1 min at the earliest (${new Date(NOW.getTime() + 60_000).toISOString()}, idle-confirmed); now idle-first-sighting`);
    expect(text).toContain(`busy-on-github: ${busy.instance.id}`);
    expect(text).toContain(`github-unavailable: ${repo.id}`);
    expect(text).toContain('Protected: 2');
    expect(text).toContain('Machine evidence: not reported by this version of the decision core.');
    expect(text).toContain('Probe: off (PROBE_DOCUMENT_NAME unset).');
    expect(text.split('\n').find((l) => l.startsWith('INSTANCE'))).not.toContain('PROBE');
    expect(text).not.toContain('DRY_RUN');
  });

  it('says when nothing would happen, and when DRY_RUN is on', () => {
    const text = renderText(makePlan(snapshot({ config: { dryRun: true } })), CONTEXT);
    expect(text).toContain('No runner instances');
    expect(text).toContain('    nothing');
    expect(text).toContain('DRY_RUN=true');
  });

  it('names who could be probed, per instance and in the summary, and the plan does not probe', () => {
    const online = registered();
    const unmanaged = registered();
    const read = {
      ...snapshot({ instances: [online.instance, unmanaged.instance], runners: [online.runner, unmanaged.runner] }),
      probe: { enabled: true, online: new Set([online.instance.id]) },
    };
    const lines = renderText(makePlan(read), { ...CONTEXT, probe: { state: 'read', online: 1 } }).split('\n');
    expect(lines.find((l) => l.startsWith('INSTANCE'))).toMatch(/^INSTANCE +OWNER +RUNNER +EVIDENCE +PROBE +DECISION +REASON +NEXT +SENTENCE$/);
    expect(lines.find((l) => l.startsWith(online.instance.id))).toMatch(/ - +yes +keep \(scale-down\)/);
    expect(lines.find((l) => l.startsWith(unmanaged.instance.id))).toMatch(/ - +no +keep \(scale-down\)/);
    expect(lines).toContain('  Probe: 1 of 2 instances online in SSM, so a run could probe them (column PROBE). The plan does not probe: SendCommand runs a command on the instances.');
  });

  it('says why the probe is off, and when SSM could not be read', () => {
    const why = 'JOB_EVIDENCE=hooks: only JOB_EVIDENCE=auto probes';
    expect(renderText(makePlan(snapshot()), { ...CONTEXT, probe: { state: 'off', why } })).toContain(`Probe: off (${why}).`);
    const failed = renderText(makePlan(snapshot()), { ...CONTEXT, probe: { state: 'error', error: 'DescribeInstanceInformation failed: AccessDeniedException: no' } });
    expect(failed).toContain('Probe: SSM could not be read (DescribeInstanceInformation failed: AccessDeniedException: no); a run would count no instance as probe-able.');
  });

  it('lists what EC2 described but the reaper cannot read', () => {
    const text = renderText(makePlan(snapshot(), [{ instanceId: 'i-bad', problem: 'no valid LaunchTime' }]), CONTEXT);
    expect(text).toContain('i-bad: no valid LaunchTime');
  });
});

describe('toJson', () => {
  it('is plain JSON with ISO times, seconds until the next action and both decisions', () => {
    const { instance: i, runner: r } = registered();
    const plan = makePlan(snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } }));
    const json = JSON.parse(JSON.stringify(toJson(plan, CONTEXT, 0)));
    expect(json).toMatchObject({ version: 1, readOnly: true, exitCode: 0, generatedAt: NOW.toISOString(), configurationSource: 'the environment', githubRequests: 3 });
    expect(json.instances[0]).toMatchObject({
      instanceId: i.id,
      owner: ORG,
      runner: { id: r.id, name: r.name },
      evidence: null,
      probeable: null,
      decidedBy: 'scale-down',
      action: 'keep',
      reason: 'idle-first-sighting',
      category: 'waits',
      next: { kind: 'acts-later', at: new Date(NOW.getTime() + 60_000).toISOString(), inSeconds: 60, action: 'reclaim' },
      decisions: { scaleDown: { reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW.toISOString() } }, orphanCleanup: { reason: 'registered' } },
    });
    expect(json.summary.waiting[0]).toEqual({ instanceId: i.id, action: 'reclaim', reason: 'idle-confirmed', at: new Date(NOW.getTime() + 60_000).toISOString(), after: 'idle-first-sighting' });
  });
});
