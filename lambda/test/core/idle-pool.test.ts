import type { IdleWindow } from '../../src/config/schema';
import { activeIdleWindow, idlePoolSize, isWindowActive, selectIdlePoolKeepers } from '../../src/core/idle-pool';
import { ago, instance } from './fixtures';

function window(cron: string, timeZone = 'UTC', idleCount = 2, evictionStrategy: IdleWindow['evictionStrategy'] = 'oldest_first'): IdleWindow {
  return { cron, timeZone, idleCount, evictionStrategy };
}

describe('isWindowActive', () => {
  const amsterdamOfficeHours = window('* * 9-17 * * 1-5', 'Europe/Amsterdam');
  test.each([
    // CEST (UTC+2)
    ['Amsterdam 10:30 Monday, summer', amsterdamOfficeHours, '2026-06-01T08:30:00Z', true],
    ['Amsterdam 09:00 exactly', amsterdamOfficeHours, '2026-06-01T07:00:00Z', true],
    ['Amsterdam 08:59:59', amsterdamOfficeHours, '2026-06-01T06:59:59Z', false],
    ['Amsterdam 17:59:59 (hour 17 is inside)', amsterdamOfficeHours, '2026-06-01T15:59:59Z', true],
    ['Amsterdam 18:00', amsterdamOfficeHours, '2026-06-01T16:00:00Z', false],
    ['Amsterdam Saturday noon', amsterdamOfficeHours, '2026-06-06T10:00:00Z', false],
    // CET (UTC+1)
    ['Amsterdam 09:30 Monday, winter', amsterdamOfficeHours, '2026-01-12T08:30:00Z', true],
    ['Amsterdam 08:30 Monday, winter', amsterdamOfficeHours, '2026-01-12T07:30:00Z', false],
    // the same cron in UTC differs from Amsterdam by the offset
    ['UTC window at 07:30Z (Amsterdam would be active)', window('* * 9-17 * * 1-5'), '2026-06-01T07:30:00Z', false],
    ['UTC window at 16:30Z (Amsterdam would be inactive)', window('* * 9-17 * * 1-5'), '2026-06-01T16:30:00Z', true],
    // 5 fields (no seconds)
    ['5 fields, inside', window('* 9-17 * * 1-5', 'Europe/Amsterdam'), '2026-06-01T08:30:00Z', true],
    ['5 fields, outside', window('* 9-17 * * 1-5', 'Europe/Amsterdam'), '2026-06-01T06:30:00Z', false],
    ['5 fields, one minute only, at it', window('30 8 * * *'), '2026-06-01T08:30:45Z', true],
    ['5 fields, one minute only, the minute after', window('30 8 * * *'), '2026-06-01T08:31:00Z', false],
    ['5 fields, one minute only, the second before', window('30 8 * * *'), '2026-06-01T08:29:59Z', false],
    // 6 fields with a fixed second still match that whole minute
    ['6 fields, second 0, later in the minute', window('0 * * * * *'), '2026-06-01T08:30:45Z', true],
    ['6 fields, second 30, early in the minute', window('30 * * * * *'), '2026-06-01T08:30:05Z', true],
    ['always', window('* * * * *'), '2026-06-01T08:30:00Z', true],
  ])('%s', (_name, w, at, expected) => {
    expect(isWindowActive(w, new Date(at))).toBe(expected);
  });

  test('a hand-built window without a time zone is read in UTC', () => {
    const noZone = { cron: '* 8 * * *', idleCount: 1, evictionStrategy: 'oldest_first' } as unknown as IdleWindow;
    expect(isWindowActive(noZone, new Date('2026-06-01T08:30:00Z'))).toBe(true);
    expect(isWindowActive(noZone, new Date('2026-06-01T09:30:00Z'))).toBe(false);
  });

  test('a cron that does not parse is never active', () => {
    expect(isWindowActive(window('not a cron'), new Date('2026-06-01T08:30:00Z'))).toBe(false);
  });
});

describe('idlePoolSize', () => {
  const at = new Date('2026-06-01T08:30:00Z');
  test.each([
    ['no windows', [], 0],
    ['one active', [window('* * * * *', 'UTC', 3)], 3],
    ['one inactive', [window('* 0-1 * * *', 'UTC', 3)], 0],
    ['several active: the largest wins', [window('* * * * *', 'UTC', 1), window('* 8 * * *', 'UTC', 4), window('* * * * *', 'UTC', 2)], 4],
    ['the largest is inactive', [window('* * * * *', 'UTC', 1), window('* 20 * * *', 'UTC', 9)], 1],
    ['active with idleCount 0', [window('* * * * *', 'UTC', 0)], 0],
  ])('%s', (_name, windows, expected) => {
    expect(idlePoolSize(windows, at)).toBe(expected);
  });

  test('the first of equally large active windows gives the strategy', () => {
    const first = window('* * * * *', 'UTC', 2, 'newest_first');
    const second = window('* * * * *', 'UTC', 2, 'oldest_first');
    expect(activeIdleWindow([first, second], at)).toBe(first);
    expect(activeIdleWindow([], at)).toBeUndefined();
  });
});

describe('selectIdlePoolKeepers', () => {
  const oldest = instance({ id: 'i-old', launchTime: ago({ hours: 3 }) });
  const middle = instance({ id: 'i-mid', launchTime: ago({ hours: 2 }) });
  const newest = instance({ id: 'i-new', launchTime: ago({ hours: 1 }) });
  const all = [middle, newest, oldest];

  test.each([
    ['oldest_first keeps the newest', 'oldest_first', 1, ['i-new']],
    ['oldest_first keeps the two newest', 'oldest_first', 2, ['i-mid', 'i-new']],
    ['newest_first keeps the oldest', 'newest_first', 1, ['i-old']],
    ['newest_first keeps the two oldest', 'newest_first', 2, ['i-mid', 'i-old']],
    ['a pool larger than the candidates keeps all', 'oldest_first', 5, ['i-mid', 'i-new', 'i-old']],
    ['size 0 keeps none', 'newest_first', 0, []],
  ] as const)('%s', (_name, strategy, size, expected) => {
    expect([...selectIdlePoolKeepers(all, size, strategy)].sort()).toEqual([...expected].sort());
  });

  test('equal launch times are broken by id, the same way every run', () => {
    const t = ago({ hours: 1 });
    const a = instance({ id: 'i-a', launchTime: t });
    const b = instance({ id: 'i-b', launchTime: t });
    expect([...selectIdlePoolKeepers([b, a], 1, 'newest_first')]).toEqual(['i-a']);
    expect([...selectIdlePoolKeepers([a, b], 1, 'newest_first')]).toEqual(['i-a']);
    expect([...selectIdlePoolKeepers([a, b], 1, 'oldest_first')]).toEqual(['i-b']);
  });
});
