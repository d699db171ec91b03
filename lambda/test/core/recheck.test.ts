import { hookTagsOf } from '../../src/core/evidence';
import { judgeAfterSettle, judgeBeforeDelete } from '../../src/core/recheck';
import { TAG } from '../../src/core/tags';
import type { Decision, EvidenceSource, InstanceView, ProbeRead, ReasonCode, RunnerRead } from '../../src/core/types';
import { ago, ENVIRONMENT, instance, isoAgo, NOW, ORG, REPO, runner } from './fixtures';

const markedAt = ago({ seconds: 15 });
const idleRunner = runner({ name: 'r-idle' });
const busyRunner = runner({ name: 'r-busy', busy: true });
const environments = [ENVIRONMENT];

function decisionFor(i: InstanceView, reason: ReasonCode, action: Decision['action'], evidence: EvidenceSource = 'hooks', extra: Partial<Decision> = {}): Decision {
  return { instanceId: i.id, action, reason, message: 'x.', owner: ORG, evidence, ...extra };
}

const found = (r = idleRunner): RunnerRead => ({ kind: 'found', runner: r });
const gone: RunnerRead = { kind: 'gone' };
const failed: RunnerRead = { kind: 'error', error: 'HTTP 502' };
const idleProbe = (idleSince?: Date): ProbeRead => ({ kind: 'answered', busy: false, at: NOW, detail: 'no Runner.Worker', ...(idleSince ? { idleSince } : {}) });
const busyProbe: ProbeRead = { kind: 'answered', busy: true, at: NOW, detail: 'Runner.Worker 4242' };
const probeError: ProbeRead = { kind: 'error', error: 'timed out after 10 s' };

/** The same instance as EC2 might answer it: the id alone, without its tags. */
const withoutTags = (i: InstanceView): InstanceView => ({ ...i, tags: {} });

describe('judgeAfterSettle', () => {
  const clean = instance({ tags: { [TAG.idleSince]: isoAgo({ minutes: 10 }) } });
  const withJob = instance({ tags: { [TAG.job]: '9/deploy', [TAG.jobStartedAt]: isoAgo({ seconds: 5 }) } });
  const startedAfterMark = instance({ tags: { [TAG.jobStartedAt]: isoAgo({ seconds: 5 }) } });
  const completedAfterMark = instance({ tags: { [TAG.lastJobCompletedAt]: isoAgo({ seconds: 1 }) } });
  const jobBeforeMark = instance({ tags: { [TAG.jobStartedAt]: isoAgo({ minutes: 30 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 20 }) } });
  const unparsableJobTime = instance({ tags: { [TAG.jobStartedAt]: 'garbage' } });
  const bypassed = instance({ tags: { [TAG.bypassRemoval]: 'true' } });
  const overdue = instance({ tags: { [TAG.job]: '1/stuck', [TAG.jobStartedAt]: isoAgo({ hours: 7 }) } });
  const overdueRestarted = instance({ tags: { [TAG.job]: '2/new', [TAG.jobStartedAt]: isoAgo({ seconds: 3 }) } });
  const emptyJob = instance({ tags: { [TAG.job]: '' } });

  // Decisions without their own copy of the hook tags: the times are compared with the mark.
  test.each([
    // scale-down (reclaim), with the re-check GET
    ['instance re-read failed', 'reclaim', 'idle-confirmed', undefined, gone, false, 'aws-error'],
    ['ghr:job appeared', 'reclaim', 'idle-confirmed', withJob, gone, false, 'race-job-evidence-after-delete'],
    ['an empty ghr:job appeared', 'reclaim', 'idle-confirmed', emptyJob, gone, false, 'race-job-evidence-after-delete'],
    ['job started after the mark', 'reclaim', 'idle-confirmed', startedAfterMark, gone, false, 'race-job-evidence-after-delete'],
    ['job completed after the mark', 'reclaim', 'idle-confirmed', completedAfterMark, gone, false, 'race-job-evidence-after-delete'],
    ['unparsable job time', 'reclaim', 'idle-confirmed', unparsableJobTime, gone, false, 'race-job-evidence-after-delete'],
    ['job evidence beats a GitHub error', 'reclaim', 'idle-confirmed', withJob, failed, false, 'race-job-evidence-after-delete'],
    ['bypass appeared', 'reclaim', 'idle-confirmed', bypassed, gone, false, 'bypass-tag'],
    ['runner busy after the DELETE', 'reclaim', 'idle-confirmed', clean, found(busyRunner), false, 'race-busy-after-delete'],
    ['re-check GET failed', 'reclaim', 'idle-confirmed', clean, failed, false, 'github-error'],
    ['runner gone, no job', 'reclaim', 'idle-confirmed', clean, gone, true, 'idle-confirmed'],
    ['runner still listed idle, no job', 'reclaim', 'idle-confirmed', clean, found(), true, 'idle-confirmed'],
    ['no re-check GET made', 'reclaim', 'idle-confirmed', clean, undefined, true, 'idle-confirmed'],
    ['jobs only before the mark', 'reclaim', 'idle-confirmed', jobBeforeMark, gone, true, 'idle-confirmed'],
    // orphan-cleanup (terminate), no GET
    ['orphan, clean', 'terminate', 'orphan-confirmed', clean, undefined, true, 'orphan-confirmed'],
    ['drained, clean', 'terminate', 'drained', clean, undefined, true, 'drained'],
    ['orphan, re-read failed', 'terminate', 'orphan-confirmed', undefined, undefined, false, 'aws-error'],
    ['orphan, ghr:job appeared', 'terminate', 'orphan-confirmed', withJob, undefined, false, 'race-job-evidence-after-delete'],
    ['drained, job started after the mark', 'terminate', 'drained', startedAfterMark, undefined, false, 'race-job-evidence-after-delete'],
    ['overdue job still the same', 'terminate', 'max-job-duration-exceeded', overdue, undefined, true, 'max-job-duration-exceeded'],
    ['overdue job replaced by a new one', 'terminate', 'max-job-duration-exceeded', overdueRestarted, undefined, false, 'race-job-evidence-after-delete'],
  ] as const)('%s', (_name, action, reason, fresh, runnerRead, terminate, expectedReason) => {
    for (const evidence of ['hooks', 'none'] as const) {
      const decision = decisionFor(fresh ?? clean, reason, action, evidence);
      const verdict = judgeAfterSettle({ decision, fresh, runnerRead, markedAt, environments });
      expect([verdict.terminate, verdict.reason]).toEqual([terminate, expectedReason]);
      expect(verdict.message).toMatch(/^\S.*\.$/);
    }
  });

  describe('with the decision’s copy of the hook tags, any change is a hook that fired', () => {
    const judged = (seen: InstanceView, fresh: InstanceView, reason: ReasonCode = 'idle-confirmed') =>
      judgeAfterSettle({ decision: decisionFor(seen, reason, 'reclaim', 'hooks', { hookTags: hookTagsOf(seen.tags) }), fresh, runnerRead: gone, markedAt, environments, now: NOW });

    test('unchanged tags, even an unreadable or future time, do not keep (bounded cases go on)', () => {
      for (const i of [unparsableJobTime, instance({ tags: { [TAG.jobStartedAt]: isoAgo({ days: -1 }) } }), jobBeforeMark]) {
        expect(judged(i, i).terminate).toBe(true);
      }
    });

    test('a stale ghr:job the decision knew about is no news; a new job is', () => {
      const stale = instance({ tags: { [TAG.job]: '1/stuck', [TAG.jobStartedAt]: isoAgo({ hours: 7 }) } });
      expect(judged(stale, stale, 'stale-job-evidence')).toMatchObject({ terminate: true, reason: 'stale-job-evidence' });
      const restarted = { ...stale, tags: { ...stale.tags, [TAG.jobStartedAt]: isoAgo({ seconds: 2 }) } };
      expect(judged(stale, restarted, 'stale-job-evidence')).toMatchObject({ terminate: false, reason: 'race-job-evidence-after-delete' });
      const { [TAG.job]: _job, ...withoutJob } = stale.tags;
      const ended = { ...stale, tags: withoutJob };
      expect(judged(stale, ended, 'stale-job-evidence')).toMatchObject({ terminate: false, reason: 'race-job-evidence-after-delete' });
    });

    test('a ghr:job on a decision that is not about one keeps', () => {
      const odd = instance({ tags: { [TAG.job]: '1/x' } });
      expect(judged(odd, odd)).toMatchObject({ terminate: false, reason: 'race-job-evidence-after-delete' });
    });

    test('a job that started and ended within the settle keeps', () => {
      const after = { ...clean, tags: { ...clean.tags, [TAG.jobStartedAt]: isoAgo({ seconds: 9 }), [TAG.lastJobCompletedAt]: isoAgo({ seconds: 2 }) } };
      expect(judged(clean, after)).toMatchObject({ terminate: false, reason: 'race-job-evidence-after-delete' });
    });
  });

  describe('a partial or wrong EC2 answer keeps (issue 10, point 2)', () => {
    const decision = decisionFor(clean, 'idle-confirmed', 'reclaim');
    test.each([
      ['re-read without its tag set', withoutTags(clean)],
      ['without ghr:environment', { ...clean, tags: { ...clean.tags, [TAG.environment]: undefined as never } }],
      ['of another environment', { ...clean, tags: { ...clean.tags, [TAG.environment]: 'prod' } }],
      ['without ghr:Application', { ...clean, tags: { ...clean.tags, [TAG.application]: 'x' } }],
      ['of another owner', instance({ id: clean.id, owner: REPO })],
      ['another instance', { ...clean, id: 'i-somebody-else' }],
    ])('%s', (_name, fresh) => {
      const tags = Object.fromEntries(Object.entries(fresh.tags).filter(([, v]) => v !== undefined));
      const verdict = judgeAfterSettle({ decision, fresh: { ...fresh, tags }, runnerRead: gone, markedAt, environments });
      expect([verdict.terminate, verdict.reason]).toEqual([false, 'aws-error']);
      expect(verdict.message).toContain('partial EC2 answer');
    });

    test('an instance that stopped meanwhile keeps', () => {
      const verdict = judgeAfterSettle({ decision, fresh: { ...clean, state: 'stopping' }, runnerRead: gone, markedAt, environments });
      expect([verdict.terminate, verdict.reason]).toEqual([false, 'not-running']);
    });
  });

  describe('the probe, where it is the evidence', () => {
    const judged = (probe: ProbeRead | undefined, extra: Partial<Decision> = {}, evidence: EvidenceSource = 'probe') =>
      judgeAfterSettle({ decision: decisionFor(clean, 'idle-confirmed', 'reclaim', evidence, extra), fresh: clean, runnerRead: gone, probe, markedAt, environments });
    test.each([
      ['idle since before the mark', idleProbe(ago({ minutes: 5 })), true, 'idle-confirmed'],
      ['idle, since unknown', idleProbe(), true, 'idle-confirmed'],
      ['busy', busyProbe, false, 'race-probe-busy-after-delete'],
      ['no answer', probeError, false, 'probe-error'],
      ['not asked', undefined, false, 'probe-error'],
      ['a job ended during the settle', idleProbe(ago({ seconds: 5 })), false, 'race-job-evidence-after-delete'],
    ] as const)('%s', (_name, probe, terminate, reason) => {
      expect(judged(probe)).toMatchObject({ terminate, reason });
    });

    test('a probe that gives no answer does not hold back what the rules without evidence allow; a busy one still keeps', () => {
      expect(judged(probeError, { probeOptional: true })).toMatchObject({ terminate: true, reason: 'idle-confirmed' });
      expect(judged(undefined, { probeOptional: true })).toMatchObject({ terminate: true });
      expect(judged(busyProbe, { probeOptional: true })).toMatchObject({ terminate: false, reason: 'race-probe-busy-after-delete' });
      expect(judged(probeError)).toMatchObject({ terminate: false, reason: 'probe-error' });
    });

    test('the probe is not consulted for other evidence sources, unless the decision asks it too', () => {
      expect(judged(busyProbe, {}, 'hooks')).toMatchObject({ terminate: true });
      expect(judged(busyProbe, {}, 'none')).toMatchObject({ terminate: true });
      // probeToo means something on hooks decisions only.
      expect(judged(busyProbe, { probeToo: true }, 'none')).toMatchObject({ terminate: true });
    });

    test.each([
      ['idle since before the mark', idleProbe(ago({ minutes: 5 })), {}, true, 'idle-confirmed'],
      ['busy: a job still in its set-up, before its hook has tagged', busyProbe, {}, false, 'race-probe-busy-after-delete'],
      ['no answer', probeError, {}, false, 'probe-error'],
      ['not asked', undefined, {}, false, 'probe-error'],
      ['a job ended during the settle', idleProbe(ago({ seconds: 5 })), {}, false, 'race-job-evidence-after-delete'],
      ['no answer after a second sighting', probeError, { probeOptional: true }, true, 'idle-confirmed'],
      ['busy after a second sighting', busyProbe, { probeOptional: true }, false, 'race-probe-busy-after-delete'],
    ] as const)('hooks with the probe too, probe %s', (_name, probe, extra, terminate, reason) => {
      const verdict = judged(probe, { probeToo: true, ...extra }, 'hooks');
      expect(verdict).toMatchObject({ terminate, reason });
      if (terminate && probe.kind === 'error') expect(verdict.note).toContain('the hooks, seen over a second sighting');
    });

    test('hook tags still count on a probe instance', () => {
      const verdict = judgeAfterSettle({ decision: decisionFor(withJob, 'idle-confirmed', 'reclaim', 'probe'), fresh: withJob, runnerRead: gone, probe: idleProbe(), markedAt, environments });
      expect(verdict).toMatchObject({ terminate: false, reason: 'race-job-evidence-after-delete' });
    });
  });
});

describe('judgeBeforeDelete', () => {
  const clean = instance();
  const withJob = instance({ tags: { [TAG.job]: '3/test' } });
  const bypassed = instance({ tags: { [TAG.bypassRemoval]: 'true' } });
  const judge = (read: RunnerRead, fresh: InstanceView | undefined, evidence: EvidenceSource = 'hooks', extra: Partial<Decision> = {}, probe?: ProbeRead) =>
    judgeBeforeDelete({ decision: decisionFor(fresh ?? clean, 'idle-confirmed', 'reclaim', evidence, extra), read, fresh, probe, environments });

  test.each([
    ['runner busy', found(busyRunner), clean, false, false, 'race-busy-before-delete'],
    ['runner busy and instance unreadable', found(busyRunner), undefined, false, false, 'race-busy-before-delete'],
    ['GET failed', failed, clean, false, false, 'github-error'],
    ['instance re-read failed', found(), undefined, false, false, 'aws-error'],
    ['instance re-read failed, runner gone', gone, undefined, false, false, 'aws-error'],
    ['instance re-read without its tags', found(), withoutTags(clean), false, false, 'aws-error'],
    ['instance stopping', found(), { ...clean, state: 'stopping' }, false, false, 'not-running'],
    ['ghr:job appeared', found(), withJob, false, false, 'race-job-evidence-before-delete'],
    ['ghr:job appeared, runner gone', gone, withJob, false, false, 'race-job-evidence-before-delete'],
    ['bypass appeared', found(), bypassed, false, false, 'bypass-tag'],
    ['runner gone already', gone, clean, true, true, 'idle-confirmed'],
    ['runner idle', found(), clean, true, false, 'idle-confirmed'],
  ] as const)('%s', (_name, read, fresh, proceed, skipDelete, reason) => {
    const verdict = judge(read, fresh);
    expect([verdict.proceed, verdict.skipDelete, verdict.reason]).toEqual([proceed, skipDelete, reason]);
    expect(verdict.message).toMatch(/^\S.*\.$/);
  });

  test.each([
    ['runner vanished: ephemeral may have taken a job, nothing could see it', gone, clean, false, false, 'runner-vanished'],
    ['runner idle', found(), clean, true, false, 'idle-confirmed'],
    ['runner busy', found(busyRunner), clean, false, false, 'race-busy-before-delete'],
  ] as const)('without machine evidence: %s', (_name, read, fresh, proceed, skipDelete, reason) => {
    const verdict = judge(read, fresh, 'none');
    expect([verdict.proceed, verdict.skipDelete, verdict.reason]).toEqual([proceed, skipDelete, reason]);
  });

  test('a decision that names no evidence is judged as having none', () => {
    const { evidence: _e, ...bare } = decisionFor(clean, 'idle-confirmed', 'reclaim');
    expect(judgeBeforeDelete({ decision: bare, read: gone, fresh: clean, environments }).reason).toBe('runner-vanished');
  });

  test.each([
    ['idle', idleProbe(ago({ minutes: 9 })), {}, true, 'idle-confirmed'],
    ['busy', busyProbe, {}, false, 'race-probe-busy-before-delete'],
    ['no answer', probeError, {}, false, 'probe-error'],
    ['not asked', undefined, {}, false, 'probe-error'],
    ['idle, since unknown', idleProbe(), {}, true, 'idle-confirmed'],
  ] as const)('probe evidence, probe %s', (_name, probe, extra, proceed, reason) => {
    expect(judge(found(), clean, 'probe', extra, probe)).toMatchObject({ proceed, reason });
  });

  test('probe evidence without an answer, allowed by the rules without evidence, is judged without evidence', () => {
    expect(judge(found(), clean, 'probe', { probeOptional: true }, probeError)).toMatchObject({ proceed: true });
    expect(judge(gone, clean, 'probe', { probeOptional: true }, probeError)).toMatchObject({ proceed: false, reason: 'runner-vanished' });
    expect(judge(found(), clean, 'probe', { probeOptional: true }, busyProbe)).toMatchObject({ proceed: false, reason: 'race-probe-busy-before-delete' });
  });

  test.each([
    ['idle', found(), idleProbe(ago({ minutes: 9 })), {}, true, false, 'idle-confirmed'],
    ['busy: a job assigned since the listing, still in its set-up', found(), busyProbe, {}, false, false, 'race-probe-busy-before-delete'],
    ['no answer', found(), probeError, {}, false, false, 'probe-error'],
    ['not asked', found(), undefined, {}, false, false, 'probe-error'],
    ['no answer after a second sighting: the hooks alone', found(), probeError, { probeOptional: true }, true, false, 'idle-confirmed'],
    ['idle, runner vanished: on to the settle, where it is asked again', gone, idleProbe(), {}, true, true, 'idle-confirmed'],
    // A vanished ephemeral runner may have a job in its set-up, which the hooks cannot show yet.
    ['no answer after a second sighting, runner vanished', gone, probeError, { probeOptional: true }, false, false, 'runner-vanished'],
  ] as const)('hooks with the probe too, probe %s', (_name, read, probe, extra, proceed, skipDelete, reason) => {
    const verdict = judge(read, clean, 'hooks', { probeToo: true, ...extra }, probe);
    expect([verdict.proceed, verdict.skipDelete, verdict.reason]).toEqual([proceed, skipDelete, reason]);
  });

  test('hooks without probeToo: the probe is not consulted', () => {
    expect(judge(found(), clean, 'hooks', {}, busyProbe)).toMatchObject({ proceed: true });
    expect(judge(gone, clean, 'hooks', {}, undefined)).toMatchObject({ proceed: true, skipDelete: true });
  });

  test('probe evidence: a vanished runner goes on to the settle, where the probe is asked again', () => {
    expect(judge(gone, clean, 'probe', {}, idleProbe())).toMatchObject({ proceed: true, skipDelete: true });
  });
});
