import { judgeAfterSettle, judgeBeforeDelete } from '../../src/core/recheck';
import { TAG } from '../../src/core/tags';
import type { Decision, InstanceView, ReasonCode, RunnerRead } from '../../src/core/types';
import { ago, instance, isoAgo, ORG, runner } from './fixtures';

const markedAt = ago({ seconds: 15 });
const idleRunner = runner({ name: 'r-idle' });
const busyRunner = runner({ name: 'r-busy', busy: true });

function decisionFor(i: InstanceView, reason: ReasonCode, action: Decision['action']): Decision {
  return { instanceId: i.id, action, reason, message: 'x.', owner: ORG };
}

const found = (r = idleRunner): RunnerRead => ({ kind: 'found', runner: r });
const gone: RunnerRead = { kind: 'gone' };
const failed: RunnerRead = { kind: 'error', error: 'HTTP 502' };

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

  test.each([
    // scale-down (reclaim), with the re-check GET
    ['instance re-read failed', 'reclaim', 'idle-confirmed', undefined, gone, false, 'aws-error'],
    ['ghr:job appeared', 'reclaim', 'idle-confirmed', withJob, gone, false, 'race-job-evidence-after-delete'],
    ['job started after the mark', 'reclaim', 'idle-confirmed', startedAfterMark, gone, false, 'race-job-evidence-after-delete'],
    ['job completed after the mark', 'reclaim', 'idle-confirmed', completedAfterMark, gone, false, 'race-job-evidence-after-delete'],
    ['unparsable job time', 'reclaim', 'idle-confirmed', unparsableJobTime, gone, false, 'race-job-evidence-after-delete'],
    ['job evidence beats a GitHub error', 'reclaim', 'idle-confirmed', withJob, failed, false, 'race-job-evidence-after-delete'],
    ['bypass appeared', 'reclaim', 'idle-confirmed', bypassed, gone, false, 'bypass-tag'],
    ['runner busy after the DELETE', 'reclaim', 'idle-confirmed', clean, found(busyRunner), false, 'race-busy-after-delete'],
    ['re-check GET failed', 'reclaim', 'idle-confirmed', clean, failed, false, 'github-error'],
    ['runner gone, no job', 'reclaim', 'idle-confirmed', clean, gone, true, 'idle-confirmed'],
    ['runner still listed idle, no job', 'reclaim', 'idle-confirmed', clean, found(), true, 'idle-confirmed'],
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
    const decision = decisionFor(fresh ?? clean, reason, action);
    for (const jobEvidence of ['hooks', 'off'] as const) {
      const verdict = judgeAfterSettle({ decision, fresh, runnerRead, markedAt, jobEvidence });
      expect([verdict.terminate, verdict.reason]).toEqual([terminate, expectedReason]);
      expect(verdict.message).toMatch(/^\S.*\.$/);
    }
  });

  test('JOB_EVIDENCE=off still honours the hooks and says so', () => {
    const decision = decisionFor(withJob, 'idle-confirmed', 'reclaim');
    const verdict = judgeAfterSettle({ decision, fresh: withJob, runnerRead: gone, markedAt, jobEvidence: 'off' });
    expect(verdict.terminate).toBe(false);
    expect(verdict.message).toContain('JOB_EVIDENCE=off');
  });
});

describe('judgeBeforeDelete', () => {
  const clean = instance();
  const withJob = instance({ tags: { [TAG.job]: '3/test' } });
  const bypassed = instance({ tags: { [TAG.bypassRemoval]: 'true' } });

  test.each([
    ['runner busy', found(busyRunner), clean, false, false, 'race-busy-before-delete'],
    ['runner busy and instance unreadable', found(busyRunner), undefined, false, false, 'race-busy-before-delete'],
    ['GET failed', failed, clean, false, false, 'github-error'],
    ['instance re-read failed', found(), undefined, false, false, 'aws-error'],
    ['instance re-read failed, runner gone', gone, undefined, false, false, 'aws-error'],
    ['ghr:job appeared', found(), withJob, false, false, 'race-job-evidence-before-delete'],
    ['ghr:job appeared, runner gone', gone, withJob, false, false, 'race-job-evidence-before-delete'],
    ['bypass appeared', found(), bypassed, false, false, 'bypass-tag'],
    ['runner gone already', gone, clean, true, true, 'idle-confirmed'],
    ['runner idle', found(), clean, true, false, 'idle-confirmed'],
  ] as const)('%s', (_name, read, fresh, proceed, skipDelete, reason) => {
    const verdict = judgeBeforeDelete(decisionFor(clean, 'idle-confirmed', 'reclaim'), read, fresh);
    expect([verdict.proceed, verdict.skipDelete, verdict.reason]).toEqual([proceed, skipDelete, reason]);
    expect(verdict.message).toMatch(/^\S.*\.$/);
  });

  test.each([
    ['runner vanished: ephemeral may have taken a job, nothing could see it', gone, clean, false, false, 'runner-vanished'],
    ['runner idle', found(), clean, true, false, 'idle-confirmed'],
    ['runner busy', found(busyRunner), clean, false, false, 'race-busy-before-delete'],
  ] as const)('JOB_EVIDENCE=off: %s', (_name, read, fresh, proceed, skipDelete, reason) => {
    const verdict = judgeBeforeDelete(decisionFor(clean, 'idle-confirmed', 'reclaim'), read, fresh, 'off');
    expect([verdict.proceed, verdict.skipDelete, verdict.reason]).toEqual([proceed, skipDelete, reason]);
  });
});
