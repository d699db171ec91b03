import { hasBypass, hasJobEvidence, hasMalformedJobTimes, jobActivityAfter } from '../../src/core/evidence';
import { TAG } from '../../src/core/tags';
import { isOldEnough, parseTagTime } from '../../src/core/time';
import { ago, isoAgo, NOW } from './fixtures';

describe('hasJobEvidence', () => {
  test.each([
    [{ [TAG.job]: '123/build' }, true],
    [{ [TAG.job]: 'x' }, true],
    [{ [TAG.job]: '' }, false],
    [{ [TAG.job]: '   ' }, false],
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
