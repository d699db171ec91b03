import { makePlan } from '../../src/cli/plan';
import { formatDuration, nextText, renderTable, renderText, toJson, type PlanContext } from '../../src/cli/render';
import { HOOKS_CONTRACT_VERSION, TAG } from '../../src/core';
import { failedListing, instance, isoAgo, listing, NOW, ORG, REPO, registered, snapshot } from '../core/fixtures';

const HOOKS = { [TAG.jobHooks]: HOOKS_CONTRACT_VERSION };
const MINUTE = 60_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);
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
    expect(nextText({ kind: 'acts-later', at: at(40 * MINUTE), action: 'terminate', reason: 'orphan-confirmed', steps: [], sooner: 'unregistered-hold-limit' }, NOW, false)).toBe(
      'terminate in 40 min at the earliest, or sooner once more than UNREGISTERED_HOLD_MAX_INSTANCES are held',
    );
    expect(nextText({ kind: 'depends-on-fleet', why: 'pool' }, NOW, false)).toBe('depends on the fleet');
  });
});

describe('nextText: actions that rest on the probe', () => {
  it('a busy answer always keeps; no answer keeps until the core would act without it', () => {
    const idle = (withoutAnswerFrom?: Date) => ({ withoutAnswer: false, ...(withoutAnswerFrom ? { withoutAnswerFrom } : {}) });
    expect(nextText({ kind: 'acts-now', probe: idle(at(2 * MINUTE)) }, NOW, false)).toBe('now if the probe answers idle; with no answer, in 2 min at the earliest');
    expect(nextText({ kind: 'acts-now', probe: idle(NOW) }, NOW, false)).toBe('now if the probe answers idle; with no answer, on the next run');
    expect(nextText({ kind: 'acts-now', probe: { withoutAnswer: true, withoutAnswerFrom: NOW } }, NOW, false)).toBe('now unless the probe answers busy');
    expect(nextText({ kind: 'acts-now', probe: idle() }, NOW, true)).toBe('now if the probe answers idle; with no answer, kept (DRY_RUN: logged only)');
    const later = { kind: 'acts-later' as const, at: at(3 * MINUTE), action: 'reclaim' as const, reason: 'idle-confirmed' as const, steps: [] };
    expect(nextText({ ...later, probe: idle(at(5 * MINUTE)) }, NOW, false)).toBe('reclaim in 3 min at the earliest if the probe answers idle; with no answer, in 5 min at the earliest');
    expect(nextText({ ...later, probe: idle(at(3 * MINUTE)) }, NOW, false)).toBe('reclaim in 3 min at the earliest if the probe answers idle; with no answer, on the run after');
    expect(nextText({ ...later, probe: { withoutAnswer: true, withoutAnswerFrom: at(3 * MINUTE) } }, NOW, false)).toBe('reclaim in 3 min at the earliest unless the probe answers busy');
  });
});

describe('renderTable', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(renderTable(['A', 'BB', 'C'], [['xxx', 'y', 'a long last cell'], ['x', 'yyyy', '']])).toEqual(['A    BB    C', 'xxx  y     a long last cell', 'x    yyyy']);
  });
});

describe('renderText', () => {
  function fleet() {
    // JOB_EVIDENCE=hooks: machine evidence where the boot marker is, GitHub's word elsewhere.
    const reclaim = registered({ tags: { [TAG.idleSince]: isoAgo({ minutes: 5 }) } });
    const hooksFirst = registered({ tags: HOOKS });
    const first = registered();
    const busy = registered({}, { busy: true });
    const orphan = instance();
    const hooksOrphan = instance({ tags: HOOKS });
    const heldSince = isoAgo({ minutes: 30 });
    const held = instance({ tags: { [TAG.reaperOrphanSince]: heldSince } });
    const repo = instance({ owner: REPO });
    const s = snapshot({
      instances: [reclaim.instance, hooksFirst.instance, first.instance, busy.instance, orphan, hooksOrphan, held, repo],
      listings: [listing(ORG, [reclaim.runner, hooksFirst.runner, first.runner, busy.runner]), failedListing(REPO, 'HTTP 502')],
      config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60, maxJobDurationMinutes: 60 },
    });
    return { s, reclaim, hooksFirst, first, busy, orphan, hooksOrphan, held, heldSince, repo };
  }

  it('one row per instance with instance, owner, runner, evidence, decision, reason, next and the sentence', () => {
    const { s, reclaim, hooksFirst, first, busy, orphan, hooksOrphan, repo } = fleet();
    const lines = renderText(makePlan(s), CONTEXT).split('\n');
    const row = (id: string) => lines.find((l) => l.startsWith(id))!.split(/ {2,}/);
    expect(lines[2]!.split(/ {2,}/)).toEqual(['INSTANCE', 'OWNER', 'RUNNER', 'EVIDENCE', 'DECISION', 'REASON', 'NEXT', 'SENTENCE']);
    expect(row(reclaim.instance.id)).toEqual([
      reclaim.instance.id,
      'Org:my-org',
      `${reclaim.runner.name} #${reclaim.runner.id} idle`,
      'none',
      'reclaim (scale-down)',
      'idle-confirmed',
      'now',
      expect.stringMatching(/^Reclaim: runner .*doubled: no machine evidence/),
    ]);
    expect(row(hooksFirst.instance.id).slice(3, 8)).toEqual(['hooks', 'reclaim (scale-down)', 'idle-confirmed', 'now', expect.stringMatching(/job hooks report no job \(hooks\)\.$/)]);
    expect(row(first.instance.id).slice(3, 7)).toEqual(['none', 'keep (scale-down)', 'idle-first-sighting', 'reclaim in 2 min at the earliest']);
    expect(row(busy.instance.id).slice(2, 7)).toEqual([`${busy.runner.name} #${busy.runner.id} busy`, 'none', 'keep (scale-down)', 'busy-on-github', 'stays kept']);
    expect(row(orphan.id).slice(1, 8)).toEqual([
      'Org:my-org',
      '-',
      'none',
      'keep (orphan-cleanup)',
      'orphan-first-sighting',
      'terminate in 1 h at the earliest',
      `Kept: First sighting without a registration; marking ${TAG.reaperOrphanSince}.`,
    ]);
    expect(row(hooksOrphan.id).slice(3, 7)).toEqual(['hooks', 'terminate (orphan-cleanup)', 'orphan-confirmed', 'now']);
    expect(row(repo.id).slice(1, 6)).toEqual(['Repo:my-org/my-repo', '-', '-', 'keep (both)', 'github-unavailable']);
  });

  it('a summary: what a run would do now and why, what waits until when, what protects the rest and by which guard, what is held', () => {
    const { s, reclaim, hooksFirst, first, busy, orphan, hooksOrphan, held, heldSince, repo } = fleet();
    const text = renderText(makePlan(s), CONTEXT);
    const lines = text.split('\n');
    expect(text).toContain('8 instances; owners: Org:my-org (4 runners), Repo:my-org/my-repo (listing failed: HTTP 502); 3 GitHub requests.');
    const reclaimed = [reclaim.instance.id, hooksFirst.instance.id].sort();
    const evidence: Record<string, string> = { [reclaim.instance.id]: 'none', [hooksFirst.instance.id]: 'hooks' };
    const at0 = lines.indexOf('    reclaim 2 runners (scale-down deregisters, then terminates; its look, DELETE and settle re-check can still keep one):');
    expect(at0).toBeGreaterThan(0);
    expect(lines[at0 + 1]).toBe(`      idle-confirmed: ${reclaimed.map((id) => `${id} (${evidence[id]})`).join(', ')}`);
    expect(lines[at0 + 2]).toBe('    terminate 1 unregistered instance (orphan-cleanup, after its settle re-check):');
    expect(lines[at0 + 3]).toBe(`      orphan-confirmed: ${hooksOrphan.id} (hooks)`);
    expect(text).toContain(`tag ${TAG.idleSince} on 1 instance: ${first.instance.id}`);
    expect(text).toContain(`tag ${TAG.reaperOrphanSince} on 1 instance: ${orphan.id}`);
    expect(text).not.toContain(`${TAG.orphan},`);
    expect(text).toContain(`${first.instance.id}: reclaim in 2 min at the earliest (${at(2 * MINUTE).toISOString()}, idle-confirmed); now idle-first-sighting`);
    expect(text).toContain(`${orphan.id}: terminate in 1 h at the earliest (${at(60 * MINUTE).toISOString()}, orphan-confirmed); now orphan-first-sighting`);
    expect(text).toContain(`busy-on-github (GitHub calls the runner busy): ${busy.instance.id}`);
    expect(text).toContain(`github-unavailable (the owner's runner listing failed): ${repo.id}`);
    expect(text).toContain('Protected: 2');
    const heldUntil = new Date(Date.parse(heldSince) + 60 * MINUTE);
    expect(lines).toContain(`  Held without a registration or machine evidence: 1, the longest since ${heldSince} (30 min); each for 1 h (UNREGISTERED_HOLD_MINUTES):`);
    expect(lines).toContain(`    ${held.id}: since ${heldSince}, terminate in 30 min at the earliest (${heldUntil.toISOString()})`);
    expect(text).toContain('Machine evidence: hooks 2, probe 0, none 5; 1 kept by the first rules before evidence is judged.');
    expect(text).toContain('Probe: off (PROBE_DOCUMENT_NAME unset).');
    expect(text.split('\n').find((l) => l.startsWith('INSTANCE'))).not.toContain('PROBE');
    expect(text).not.toContain('DRY_RUN');
  });

  it('names the operator\'s trades and the job-hook failures among what acts', () => {
    const stale = registered({ tags: { ...HOOKS, [TAG.job]: '42/build', [TAG.jobStartedAt]: isoAgo({ minutes: 90 }), [TAG.idleSince]: isoAgo({ minutes: 10 }) } });
    const held = instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 40 }) } });
    const s = snapshot({
      instances: [stale.instance, held],
      runners: [stale.runner],
      config: { jobEvidence: 'hooks', maxJobDurationMinutes: 60, unregisteredHold: { maxMinutes: 30, maxInstances: 0 } },
    });
    const text = renderText(makePlan(s), CONTEXT);
    expect(text).toContain(`      stale-job-evidence (${TAG.job} older than MAX_JOB_DURATION_MINUTES=60: the job-completed hook never ran): ${stale.instance.id} (none)`);
    expect(text).toContain(
      `      unregistered-hold-exceeded (held longer than UNREGISTERED_HOLD_MINUTES=30, below MAX_JOB_DURATION_MINUTES=60; an operator's trade: a job may still run): ${held.id} (none)`,
    );
    expect(text).not.toContain('Held without');
  });

  it('says when nothing would happen, and when DRY_RUN is on', () => {
    const text = renderText(makePlan(snapshot({ config: { dryRun: true } })), CONTEXT);
    expect(text).toContain('No runner instances');
    expect(text).toContain('    nothing');
    expect(text).toContain('DRY_RUN=true: a scheduled run writes the bookkeeping tags below as a real run does');
  });

  it('names who could be probed, per instance and in the summary, and the plan does not probe', () => {
    const online = registered();
    const unmanaged = registered();
    const read = {
      ...snapshot({ instances: [online.instance, unmanaged.instance], runners: [online.runner, unmanaged.runner] }),
      probe: { enabled: true, online: new Set([online.instance.id]) },
      config: { ...snapshot().config, jobEvidence: 'auto' as const, probe: { documentName: 'probe', timeoutSeconds: 10 } },
    };
    const lines = renderText(makePlan(read), { ...CONTEXT, probe: { state: 'read', online: 1 } }).split('\n');
    expect(lines.find((l) => l.startsWith('INSTANCE'))).toMatch(/^INSTANCE +OWNER +RUNNER +EVIDENCE +PROBE +DECISION +REASON +NEXT +SENTENCE$/);
    // Default JOB_EVIDENCE=auto: the instance SSM can reach rests on the probe, the other on GitHub's word.
    expect(lines.find((l) => l.startsWith(online.instance.id))).toMatch(
      / probe +yes +reclaim \(scale-down\) +idle-confirmed +now if the probe answers idle; with no answer, in \d+ (s|min)\b.* at the earliest +Reclaim: /,
    );
    expect(lines.find((l) => l.startsWith(unmanaged.instance.id))).toMatch(/ none +no +keep \(scale-down\) +idle-first-sighting /);
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
      evidence: 'none',
      probeable: null,
      decidedBy: 'scale-down',
      action: 'keep',
      reason: 'idle-first-sighting',
      category: 'waits',
      next: { kind: 'acts-later', at: at(2 * MINUTE).toISOString(), inSeconds: 120, action: 'reclaim' },
      decisions: { scaleDown: { reason: 'idle-first-sighting', evidence: 'none', setTags: { [TAG.idleSince]: NOW.toISOString() } }, orphanCleanup: { reason: 'registered' } },
    });
    expect(json.summary.waiting[0]).toEqual({ instanceId: i.id, action: 'reclaim', reason: 'idle-confirmed', at: at(2 * MINUTE).toISOString(), after: 'idle-first-sighting' });
    expect(json.summary.evidence).toEqual({ hooks: 0, probe: 0, none: 1, notJudged: 0 });
  });

  it('carries the probe condition, the hold and the new decision fields', () => {
    const online = registered();
    const heldSince = isoAgo({ minutes: 10 });
    const held = instance({ tags: { [TAG.reaperOrphanSince]: heldSince } });
    const base = snapshot({
      instances: [online.instance, held],
      runners: [online.runner],
      config: { jobEvidence: 'auto', probe: { documentName: 'probe', timeoutSeconds: 10 }, idleConfirmationSeconds: 60, maxJobDurationMinutes: 60 },
    });
    const plan = makePlan({ ...base, probe: { enabled: true, online: new Set([online.instance.id]) } });
    const json = JSON.parse(JSON.stringify(toJson(plan, { ...CONTEXT, probe: { state: 'read', online: 1 } }, 0)));
    const rows = new Map(json.instances.map((row: { instanceId: string }) => [row.instanceId, row]));
    expect(rows.get(online.instance.id)).toMatchObject({
      evidence: 'probe',
      probeable: true,
      next: { kind: 'acts-now', probe: { withoutAnswer: false, withoutAnswerFrom: at(2 * MINUTE).toISOString() } },
      decisions: { scaleDown: { action: 'reclaim', hookTags: {} } },
    });
    expect(rows.get(held.id)).toMatchObject({ reason: 'waiting-max-job-duration', decisions: { orphanCleanup: { heldSince } } });
    expect(json.summary.held).toEqual({
      count: 1,
      oldestSince: heldSince,
      oldestAgeSeconds: 600,
      instances: [{ instanceId: held.id, since: heldSince, until: new Date(Date.parse(heldSince) + 60 * MINUTE).toISOString() }],
    });
  });
});
