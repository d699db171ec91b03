import { evidenceOf, hasBypass, hasHooksMarker, hasJobEvidence, hasMalformedJobTimes, hasStaleJob, hookTagsChanged, hookTagsOf, jobActivityAfter } from '../../src/core/evidence';
import { TAG } from '../../src/core/tags';
import { isOldEnough, parseTagTime, readTagTime } from '../../src/core/time';
import { ago, instance, isoAgo, NOW, snapshot } from './fixtures';

describe('hasJobEvidence', () => {
  test.each([
    [{ [TAG.job]: '123/build' }, true],
    [{ [TAG.job]: 'x' }, true],
    // Present means present (issue 10, point 5): the hook's word, whatever it wrote.
    [{ [TAG.job]: '' }, true],
    [{ [TAG.job]: '   ' }, true],
    [{}, false],
    [{ [TAG.jobStartedAt]: isoAgo({ minutes: 1 }) }, false],
  ])('%p -> %p', (tags, expected) => {
    expect(hasJobEvidence(tags)).toBe(expected);
  });
});

describe('hasBypass', () => {
  test.each([
    ['true', true],
    ['TRUE', true],
    [' true ', true],
    ['false', false],
    ['yes', false],
  ])('%p -> %p', (value, expected) => {
    expect(hasBypass({ [TAG.bypassRemoval]: value })).toBe(expected);
  });
  test('absent', () => expect(hasBypass({})).toBe(false));
});

describe('jobActivityAfter', () => {
  const since = ago({ minutes: 10 });
  test.each([
    ['no job tags', {}, false],
    ['started after', { [TAG.jobStartedAt]: isoAgo({ minutes: 5 }) }, true],
    ['completed after', { [TAG.lastJobCompletedAt]: isoAgo({ minutes: 5 }) }, true],
    ['started before', { [TAG.jobStartedAt]: isoAgo({ minutes: 20 }) }, false],
    ['completed before', { [TAG.lastJobCompletedAt]: isoAgo({ minutes: 11 }) }, false],
    ['exactly at since is not after', { [TAG.jobStartedAt]: since.toISOString() }, false],
    ['one millisecond after', { [TAG.jobStartedAt]: new Date(since.getTime() + 1).toISOString() }, true],
    ['old start, recent completion', { [TAG.jobStartedAt]: isoAgo({ hours: 1 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 1 }) }, true],
    ['unparsable start counts as activity', { [TAG.jobStartedAt]: 'yesterday' }, true],
    ['unparsable completion counts as activity', { [TAG.lastJobCompletedAt]: 'not-a-date' }, true],
    ['empty value is unparsable', { [TAG.jobStartedAt]: '' }, true],
  ])('%s', (_name, tags, expected) => {
    expect(jobActivityAfter(tags, since)).toBe(expected);
  });

  test('hasMalformedJobTimes only flags present, unparsable values', () => {
    expect(hasMalformedJobTimes({})).toBe(false);
    expect(hasMalformedJobTimes({ [TAG.jobStartedAt]: isoAgo({ minutes: 1 }) })).toBe(false);
    expect(hasMalformedJobTimes({ [TAG.lastJobCompletedAt]: 'soon' })).toBe(true);
  });
});

describe('times', () => {
  test.each([
    ['2026-06-01T08:00:00.000Z', '2026-06-01T08:00:00.000Z'],
    ['2026-06-01T10:00:00+02:00', '2026-06-01T08:00:00.000Z'],
    ['garbage', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('parseTagTime(%p)', (value, expected) => {
    expect(parseTagTime(value)?.toISOString()).toBe(expected);
  });

  test.each([
    ['exactly at the threshold', ago({ seconds: 60 }), 60_000, true],
    ['one second before the threshold', ago({ seconds: 59 }), 60_000, false],
    ['well past', ago({ hours: 1 }), 60_000, true],
    ['in the future', new Date(NOW.getTime() + 5000), 0, false],
    ['unknown', undefined, 0, false],
    ['invalid date', new Date(Number.NaN), 0, false],
  ])('isOldEnough: %s', (_name, time, threshold, expected) => {
    expect(isOldEnough(time, NOW, threshold)).toBe(expected);
  });
});

describe('times in the future', () => {
  test.each([
    ['absent', undefined, 'absent'],
    ['now', NOW.toISOString(), 'time'],
    ['4 minutes ahead (clock skew)', isoAgo({ minutes: -4 }), 'time'],
    ['6 minutes ahead', isoAgo({ minutes: -6 }), 'unreadable'],
    ['a year ahead', isoAgo({ days: -365 }), 'unreadable'],
    ['garbage', 'soon', 'unreadable'],
  ])('readTagTime: %s', (_name, value, state) => {
    expect(readTagTime(value, NOW).state).toBe(state);
  });

  test('a job time far ahead is unreadable, not "activity after every sighting"', () => {
    const tags = { [TAG.jobStartedAt]: isoAgo({ days: -1 }) };
    expect(hasMalformedJobTimes(tags, NOW)).toBe(true);
    expect(jobActivityAfter(tags, ago({ minutes: 1 }), NOW, 'ignore')).toBe(false);
    expect(jobActivityAfter(tags, ago({ minutes: 1 }), NOW)).toBe(true);
  });
});

describe('the hook tags', () => {
  test('a change of any hook tag is a hook that fired', () => {
    const before = { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ hours: 1 }), [TAG.idleSince]: isoAgo({ hours: 2 }) };
    const seen = hookTagsOf(before);
    expect(seen).toEqual({ job: '1/a', jobStartedAt: before[TAG.jobStartedAt] });
    expect(hookTagsChanged(seen, { ...before, [TAG.idleSince]: 'x' })).toBe(false);
    expect(hookTagsChanged(seen, { ...before, [TAG.job]: '2/b' })).toBe(true);
    expect(hookTagsChanged(seen, { [TAG.jobStartedAt]: before[TAG.jobStartedAt] })).toBe(true);
    expect(hookTagsChanged(seen, { ...before, [TAG.lastJobCompletedAt]: NOW.toISOString() })).toBe(true);
  });

  test('a stale ghr:job is one whose readable start is older than the maximum', () => {
    const max = 360 * 60_000;
    expect(hasStaleJob({ [TAG.job]: '1', [TAG.jobStartedAt]: isoAgo({ minutes: 360 }) }, NOW, max)).toBe(true);
    expect(hasStaleJob({ [TAG.job]: '1', [TAG.jobStartedAt]: isoAgo({ minutes: 359 }) }, NOW, max)).toBe(false);
    expect(hasStaleJob({ [TAG.job]: '1', [TAG.jobStartedAt]: 'x' }, NOW, max)).toBe(false);
    expect(hasStaleJob({ [TAG.jobStartedAt]: isoAgo({ days: 2 }) }, NOW, max)).toBe(false);
  });

});

describe('evidenceOf (docs/design.md, "Machine evidence")', () => {
  const marker = { [TAG.jobHooks]: '1' };
  const probeOnline = (ids: string[], error?: string) => ({ enabled: true, online: new Set(ids), ...(error ? { error } : {}) });

  test.each([
    ['auto', 'marker', 'online', 'hooks'],
    ['auto', 'marker', 'offline', 'hooks'],
    ['auto', 'none', 'online', 'probe'],
    ['auto', 'none', 'offline', 'none'],
    ['auto', 'none', 'ssm-error', 'none'],
    ['auto', 'none', 'disabled', 'none'],
    ['auto', 'old-version', 'offline', 'none'],
    ['auto', 'old-version', 'online', 'probe'],
    ['hooks', 'marker', 'online', 'hooks'],
    ['hooks', 'none', 'online', 'none'],
    ['off', 'marker', 'online', 'none'],
    ['off', 'none', 'online', 'none'],
  ] as const)('JOB_EVIDENCE=%s, marker %s, SSM %s -> %s', (mode, hooks, ssm, expected) => {
    const tags = hooks === 'marker' ? marker : hooks === 'old-version' ? { [TAG.jobHooks]: '0' } : {};
    const i = instance({ tags });
    const probe =
      ssm === 'disabled' ? { enabled: false, online: new Set([i.id]) } : probeOnline(ssm === 'offline' ? [] : [i.id], ssm === 'ssm-error' ? 'AccessDenied' : undefined);
    expect(evidenceOf(i, { ...snapshot({ config: { jobEvidence: mode } }), probe })).toBe(expected);
  });

  test('no probe in the snapshot: the probe is not configured', () => {
    expect(evidenceOf(instance(), snapshot({ config: { jobEvidence: 'auto' } }))).toBe('none');
  });

  test('hooks that visibly stopped reporting are no evidence for that instance', () => {
    const s = snapshot({ config: { jobEvidence: 'auto', maxJobDurationMinutes: 360 } });
    expect(evidenceOf(instance({ tags: { ...marker, [TAG.jobStartedAt]: 'garbage' } }), s)).toBe('none');
    // Unreadable hook times are no evidence whatever else the instance has.
    const probed = instance({ tags: { [TAG.lastJobCompletedAt]: isoAgo({ days: -2 }) } });
    expect(evidenceOf(probed, { ...s, probe: { enabled: true, online: new Set([probed.id]) } })).toBe('none');
    expect(evidenceOf(instance({ tags: { ...marker, [TAG.job]: '1', [TAG.jobStartedAt]: isoAgo({ hours: 7 }) } }), s)).toBe('none');
    expect(evidenceOf(instance({ tags: { ...marker, [TAG.job]: '1', [TAG.jobStartedAt]: isoAgo({ hours: 1 }) } }), s)).toBe('hooks');
  });

  test('the marker must be our contract version', () => {
    expect(hasHooksMarker({ [TAG.jobHooks]: '1' })).toBe(true);
    expect(hasHooksMarker({ [TAG.jobHooks]: ' 1 ' })).toBe(true);
    expect(hasHooksMarker({ [TAG.jobHooks]: '2' })).toBe(false);
    expect(hasHooksMarker({})).toBe(false);
  });
});
