import type { Config } from '../../src/config/schema';
import { decideScaleDown } from '../../src/core/scale-down';
import { TAG } from '../../src/core/tags';
import type { Decision, InstanceView, OwnerRunners, ReasonCode, RunnerView } from '../../src/core/types';
import { ago, expectDecision, failedListing, instance, isoAgo, listing, NOW, ORG, REPO, runner, snapshot, type Expected } from './fixtures';

const NOW_ISO = NOW.toISOString();
const HOOKS: Partial<Config> = { jobEvidence: 'hooks', idleConfirmationSeconds: 60, minimumRunningTimeMinutes: { linux: 5, windows: 5, macos: 5 } };
const OFF: Partial<Config> = { ...HOOKS, jobEvidence: 'off' };

interface Case {
  tags?: Record<string, string | undefined>;
  state?: InstanceView['state'];
  launchTime?: Date;
  /** The instance's runner; 'none' = not listed. */
  runner?: Partial<RunnerView> | 'none';
  listingOf?: 'failed' | 'missing';
  config?: Partial<Config>;
}

/** Decide one instance with its runner (unless told otherwise) under the given config. */
function decideOne(c: Case, mode: Partial<Config> = HOOKS): Decision {
  const i = instance({
    tags: c.tags ?? {},
    ...(c.state ? { state: c.state } : {}),
    ...(c.launchTime ? { launchTime: c.launchTime } : {}),
  });
  const runners = c.runner === 'none' ? [] : [runner({ for: i, ...(c.runner ?? {}) })];
  const listings: OwnerRunners[] = [];
  if (c.listingOf === 'failed') listings.push(failedListing(ORG));
  else if (c.listingOf !== 'missing') listings.push(listing(ORG, runners));
  const decisions = decideScaleDown(snapshot({ instances: [i], listings, config: { ...mode, ...c.config } }));
  expect(decisions).toHaveLength(1);
  expect(decisions[0]!.instanceId).toBe(i.id);
  return decisions[0]!;
}

const confirmedIdle = { [TAG.idleSince]: isoAgo({ minutes: 10 }) };

describe('decideScaleDown: rules in both JOB_EVIDENCE modes', () => {
  const cases: [string, Case, Expected][] = [
    // 1. bypass wins over everything
    ['bypass on a healthy idle runner', { tags: { [TAG.bypassRemoval]: 'true', ...confirmedIdle } }, { action: 'keep', reason: 'bypass-tag' }],
    ['bypass beats not running and a missing owner', { state: 'stopped', tags: { [TAG.bypassRemoval]: 'true', [TAG.owner]: undefined } }, { action: 'keep', reason: 'bypass-tag' }],
    ['bypass=false is no bypass', { tags: { [TAG.bypassRemoval]: 'false', ...confirmedIdle } }, { action: 'reclaim', reason: 'idle-confirmed' }],
    // 2. state
    ['pending', { state: 'pending', tags: confirmedIdle }, { action: 'keep', reason: 'not-running' }],
    ['stopping', { state: 'stopping', tags: confirmedIdle }, { action: 'keep', reason: 'not-running' }],
    ['not running beats a missing owner', { state: 'pending', tags: { [TAG.owner]: undefined } }, { action: 'keep', reason: 'not-running' }],
    // discovery re-check: never act on another environment's instance
    ['another environment', { tags: { [TAG.environment]: 'prod', ...confirmedIdle } }, { action: 'keep', reason: 'malformed-tags' }],
    ['no application tag', { tags: { [TAG.application]: undefined, ...confirmedIdle } }, { action: 'keep', reason: 'malformed-tags' }],
    // 3. owner
    ['no owner tag', { tags: { [TAG.owner]: undefined, ...confirmedIdle } }, { action: 'keep', reason: 'missing-owner-tag' }],
    ['no type tag', { tags: { [TAG.type]: undefined, ...confirmedIdle } }, { action: 'keep', reason: 'missing-owner-tag' }],
    ['Org owner with a slash', { tags: { [TAG.owner]: 'a/b', ...confirmedIdle } }, { action: 'keep', reason: 'missing-owner-tag' }],
    ['missing owner beats a failed listing', { listingOf: 'failed', tags: { [TAG.type]: 'Team' } }, { action: 'keep', reason: 'missing-owner-tag' }],
    // 4. listing
    ['listing failed', { listingOf: 'failed', tags: confirmedIdle }, { action: 'keep', reason: 'github-unavailable' }],
    ['listing missing', { listingOf: 'missing', tags: confirmedIdle }, { action: 'keep', reason: 'github-unavailable' }],
    ['listing failed beats job evidence and draining', { listingOf: 'failed', tags: { [TAG.job]: '1/a', [TAG.drainingSince]: isoAgo({ hours: 9 }) } }, { action: 'keep', reason: 'github-unavailable' }],
    // 5. draining
    ['draining and gone', { runner: 'none', tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), ...confirmedIdle } }, { action: 'keep', reason: 'draining' }],
    ['draining but still listed: mark dropped, then idle rules', { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), [TAG.idleSince]: isoAgo({ seconds: 30 }) } }, { action: 'keep', reason: 'idle-not-confirmed', removeTags: [TAG.drainingSince] }],
    ['draining but listed and busy', { runner: { busy: true }, tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), ...confirmedIdle } }, { action: 'keep', reason: 'busy-on-github', removeTags: [TAG.drainingSince, TAG.idleSince] }],
    ['draining but listed and reclaimable: the executor re-marks, no removal', { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), ...confirmedIdle } }, { action: 'reclaim', reason: 'idle-confirmed' }],
    ['draining but listed, first idle sighting', { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO }, removeTags: [TAG.drainingSince] }],
    // 6. registration
    ['not registered, idle-since dropped', { runner: 'none', tags: confirmedIdle }, { action: 'keep', reason: 'not-registered', removeTags: [TAG.idleSince] }],
    ['not registered, nothing to drop', { runner: 'none' }, { action: 'keep', reason: 'not-registered' }],
    ['not registered beats job evidence', { runner: 'none', tags: { [TAG.job]: '1/a' } }, { action: 'keep', reason: 'not-registered' }],
    // 7. job evidence (honoured in both modes)
    ['ghr:job', { tags: { [TAG.job]: '991/build', ...confirmedIdle } }, { action: 'keep', reason: 'job-evidence', removeTags: [TAG.idleSince] }],
    ['ghr:job beats busy', { runner: { busy: true }, tags: { [TAG.job]: '991/build' } }, { action: 'keep', reason: 'job-evidence' }],
    ['ghr:job beats minimum running time', { launchTime: ago({ minutes: 1 }), tags: { [TAG.job]: '991/build' } }, { action: 'keep', reason: 'job-evidence' }],
    ['empty ghr:job is no evidence', { tags: { [TAG.job]: '', ...confirmedIdle } }, { action: 'reclaim', reason: 'idle-confirmed' }],
    // 8. busy
    ['busy', { runner: { busy: true }, tags: confirmedIdle }, { action: 'keep', reason: 'busy-on-github', removeTags: [TAG.idleSince] }],
    ['busy, no idle-since', { runner: { busy: true } }, { action: 'keep', reason: 'busy-on-github' }],
    ['busy beats minimum running time', { runner: { busy: true }, launchTime: ago({ minutes: 1 }) }, { action: 'keep', reason: 'busy-on-github' }],
    ['offline idle runner is still judged idle', { runner: { status: 'offline' }, tags: confirmedIdle }, { action: 'reclaim', reason: 'idle-confirmed' }],
    // 9. minimum running time (5 minutes)
    ['launched 4m59s ago', { launchTime: ago({ minutes: 4, seconds: 59 }), tags: confirmedIdle }, { action: 'keep', reason: 'minimum-running-time' }],
    ['launched exactly 5 minutes ago', { launchTime: ago({ minutes: 5 }), tags: confirmedIdle }, { action: 'reclaim', reason: 'idle-confirmed' }],
    ['launch time in the future', { launchTime: new Date(NOW.getTime() + 60_000), tags: confirmedIdle }, { action: 'keep', reason: 'minimum-running-time' }],
    ['invalid launch time', { launchTime: new Date(Number.NaN), tags: confirmedIdle }, { action: 'keep', reason: 'minimum-running-time' }],
    ['minimum 0 and launched now', { launchTime: NOW, config: { minimumRunningTimeMinutes: { linux: 0, windows: 0, macos: 0 } }, tags: confirmedIdle }, { action: 'reclaim', reason: 'idle-confirmed' }],
    // 11. first sighting
    ['no idle-since', {}, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }],
    ['unparsable idle-since is a first sighting', { tags: { [TAG.idleSince]: 'last tuesday' } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }],
    ['empty idle-since is a first sighting', { tags: { [TAG.idleSince]: '' } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }],
    // 12. a job between sightings
    ['job started after idle-since', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: 5 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }],
    ['job completed after idle-since', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: 30 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 2 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }],
    ['job started and completed before idle-since', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: 30 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 11 }) } }, { action: 'reclaim', reason: 'idle-confirmed' }],
    ['unparsable job-started-at keeps', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: 'garbage' } }, { action: 'keep', reason: 'malformed-tags' }],
    ['unparsable last-job-completed-at keeps', { tags: { ...confirmedIdle, [TAG.lastJobCompletedAt]: '12:00' } }, { action: 'keep', reason: 'malformed-tags' }],
  ];

  describe.each([
    ['hooks', HOOKS],
    ['off', OFF],
  ])('JOB_EVIDENCE=%s', (_mode, mode) => {
    test.each(cases)('%s', (_name, c, expected) => {
      expectDecision(decideOne(c, mode), expected);
    });
  });
});

describe('decideScaleDown: idle confirmation window', () => {
  test.each([
    ['hooks', HOOKS, { seconds: 59 }, 'keep', 'idle-not-confirmed'],
    ['hooks', HOOKS, { seconds: 59, ms: 999 }, 'keep', 'idle-not-confirmed'],
    ['hooks', HOOKS, { seconds: 60 }, 'reclaim', 'idle-confirmed'],
    ['hooks', HOOKS, { seconds: 61 }, 'reclaim', 'idle-confirmed'],
    ['off (doubled)', OFF, { seconds: 60 }, 'keep', 'idle-not-confirmed'],
    ['off (doubled)', OFF, { seconds: 119 }, 'keep', 'idle-not-confirmed'],
    ['off (doubled)', OFF, { seconds: 120 }, 'reclaim', 'idle-confirmed'],
    ['hooks, confirmation 0', { ...HOOKS, idleConfirmationSeconds: 0 }, { seconds: 0 }, 'reclaim', 'idle-confirmed'],
    ['hooks, idle-since in the future', HOOKS, { seconds: -30 }, 'keep', 'idle-not-confirmed'],
  ] as const)('JOB_EVIDENCE=%s, idle for %p', (_mode, mode, idleFor, action, reason) => {
    const d = decideOne({ tags: { [TAG.idleSince]: isoAgo(idleFor) } }, mode);
    expectDecision(d, { action, reason });
  });

  test('the conservative mode is named in the message', () => {
    const d = decideOne({ tags: { [TAG.idleSince]: isoAgo({ seconds: 90 }) } }, OFF);
    expect(d.message).toContain('JOB_EVIDENCE=off');
    expect(d.message).toContain('120 s');
  });

  test('job evidence honoured with JOB_EVIDENCE=off says so', () => {
    expect(decideOne({ tags: { [TAG.job]: '1/x' } }, OFF).message).toContain('JOB_EVIDENCE=off');
  });
});

describe('decideScaleDown: owners and matching', () => {
  test('a repo runner is matched within its repo listing only', () => {
    const repoInstance = instance({ owner: REPO, tags: confirmedIdle });
    const orgInstance = instance({ owner: ORG, tags: confirmedIdle });
    const decisions = decideScaleDown(
      snapshot({
        instances: [repoInstance, orgInstance],
        // The org listing holds the repo instance's runner: that does not register it.
        listings: [listing(ORG, [runner({ for: repoInstance })]), listing(REPO, [runner({ for: orgInstance })])],
        config: HOOKS,
      }),
    );
    expect(decisions.map((d) => [d.reason, d.owner])).toEqual([
      ['not-registered', REPO],
      ['not-registered', ORG],
    ]);
  });

  test('a failed listing of one owner keeps only that owner', () => {
    const repoInstance = instance({ owner: REPO, tags: confirmedIdle });
    const orgInstance = instance({ owner: ORG, tags: confirmedIdle });
    const decisions = decideScaleDown(
      snapshot({
        instances: [repoInstance, orgInstance],
        listings: [failedListing(REPO, 'timeout'), listing(ORG, [runner({ for: orgInstance })])],
        config: HOOKS,
      }),
    );
    expect(decisions.map((d) => d.reason)).toEqual(['github-unavailable', 'idle-confirmed']);
    expect(decisions[0]!.message).toContain('timeout');
  });

  test.each([
    ['by ghr:github_runner_id', { [TAG.githubRunnerId]: '4242' }, { id: 4242, name: 'jit-runner-1' }],
    ['by name equal to the instance id', {}, { name: 'SELF' }],
    ['by name ending with the instance id', {}, { name: 'env-action-runner-SELF' }],
  ])('matching %s registers the runner', (_name, tags, runnerShape) => {
    const i = instance({ tags: { ...tags, ...confirmedIdle } });
    const r = runner({ ...runnerShape, name: runnerShape.name.replace('SELF', i.id) });
    const [d] = decideScaleDown(snapshot({ instances: [i], runners: [r], config: HOOKS }));
    expect(d).toMatchObject({ action: 'reclaim', reason: 'idle-confirmed', runner: r, owner: ORG });
  });

  test('one decision per instance, in input order', () => {
    const instances = [instance(), instance({ state: 'pending' }), instance({ tags: confirmedIdle })];
    const runners = instances.map((i) => runner({ for: i }));
    const decisions = decideScaleDown(snapshot({ instances, runners, config: HOOKS }));
    expect(decisions.map((d) => d.instanceId)).toEqual(instances.map((i) => i.id));
    expect(decideScaleDown(snapshot({ instances: [] }))).toEqual([]);
  });
});

describe('decideScaleDown: idle pool', () => {
  const always = (idleCount: number, evictionStrategy: 'oldest_first' | 'newest_first' = 'oldest_first') => ({
    ...HOOKS,
    idleConfig: [{ cron: '* * * * *', timeZone: 'UTC', idleCount, evictionStrategy }],
  });

  function idleFleet(owner = ORG, count = 3, extraTags: Record<string, string> = confirmedIdle) {
    // launched 3h, 2h, 1h ago: index 0 is the oldest
    return Array.from({ length: count }, (_, k) =>
      instance({ owner, launchTime: ago({ hours: count - k }), tags: extraTags }),
    );
  }

  function reasons(decisions: Decision[]): ReasonCode[] {
    return decisions.map((d) => d.reason);
  }

  test.each([
    ['oldest_first keeps the newest', 'oldest_first', 1, ['idle-confirmed', 'idle-confirmed', 'idle-pool']],
    ['oldest_first keeps the two newest', 'oldest_first', 2, ['idle-confirmed', 'idle-pool', 'idle-pool']],
    ['newest_first keeps the oldest', 'newest_first', 1, ['idle-pool', 'idle-confirmed', 'idle-confirmed']],
    ['pool larger than the fleet keeps all', 'newest_first', 5, ['idle-pool', 'idle-pool', 'idle-pool']],
    ['pool of 0 keeps none', 'oldest_first', 0, ['idle-confirmed', 'idle-confirmed', 'idle-confirmed']],
  ] as const)('%s', (_name, strategy, size, expected) => {
    const instances = idleFleet();
    const decisions = decideScaleDown(
      snapshot({ instances, runners: instances.map((i) => runner({ for: i })), config: always(size, strategy) }),
    );
    expect(reasons(decisions)).toEqual(expected);
    for (const d of decisions.filter((x) => x.reason === 'idle-pool')) {
      expect([d.action, d.setTags]).toEqual(['keep', undefined]);
    }
  });

  test('a busy runner of the owner does not fill the pool', () => {
    const [oldIdle, midIdle] = idleFleet(ORG, 2);
    const newestBusy = instance({ launchTime: ago({ minutes: 30 }) });
    const instances = [oldIdle!, midIdle!, newestBusy];
    const runners = [runner({ for: oldIdle }), runner({ for: midIdle }), runner({ for: newestBusy, busy: true })];
    const decisions = decideScaleDown(snapshot({ instances, runners, config: always(1) }));
    expect(reasons(decisions)).toEqual(['idle-confirmed', 'idle-pool', 'busy-on-github']);
  });

  test('runners with job evidence, young ones and unregistered ones do not fill the pool', () => {
    const [idle] = idleFleet(ORG, 1);
    const withJob = instance({ launchTime: ago({ minutes: 40 }), tags: { [TAG.job]: '5/x' } });
    const young = instance({ launchTime: ago({ minutes: 1 }) });
    const unregistered = instance({ launchTime: ago({ minutes: 20 }) });
    const instances = [idle!, withJob, young, unregistered];
    const runners = [runner({ for: idle }), runner({ for: withJob }), runner({ for: young })];
    const decisions = decideScaleDown(snapshot({ instances, runners, config: always(1) }));
    expect(reasons(decisions)).toEqual(['idle-pool', 'job-evidence', 'minimum-running-time', 'not-registered']);
  });

  test('the pool is per owner', () => {
    const org = idleFleet(ORG, 2);
    const repo = idleFleet(REPO, 2);
    const decisions = decideScaleDown(
      snapshot({
        instances: [...org, ...repo],
        listings: [listing(ORG, org.map((i) => runner({ for: i }))), listing(REPO, repo.map((i) => runner({ for: i })))],
        config: always(1),
      }),
    );
    expect(reasons(decisions)).toEqual(['idle-confirmed', 'idle-pool', 'idle-confirmed', 'idle-pool']);
  });

  test('pool members are kept before any idle bookkeeping (no first-sighting tag)', () => {
    const instances = idleFleet(ORG, 2, {});
    const decisions = decideScaleDown(
      snapshot({ instances, runners: instances.map((i) => runner({ for: i })), config: always(1) }),
    );
    expect(decisions.map((d) => [d.reason, d.setTags])).toEqual([
      ['idle-first-sighting', { [TAG.idleSince]: NOW_ISO }],
      ['idle-pool', undefined],
    ]);
  });

  test.each([
    ['active (Amsterdam 10:30 on a Monday)', new Date('2026-06-01T08:30:00Z'), ['idle-confirmed', 'idle-pool']],
    ['inactive (Amsterdam 19:30)', new Date('2026-06-01T17:30:00Z'), ['idle-confirmed', 'idle-confirmed']],
    ['inactive (Amsterdam 08:30)', new Date('2026-06-01T06:30:00Z'), ['idle-confirmed', 'idle-confirmed']],
    ['inactive at 16:30 UTC, which is 18:30 in Amsterdam', new Date('2026-06-01T16:30:00Z'), ['idle-confirmed', 'idle-confirmed']],
    ['active at 07:30 UTC, which is 09:30 in Amsterdam', new Date('2026-06-01T07:30:00Z'), ['idle-confirmed', 'idle-pool']],
  ])('office-hours window in Europe/Amsterdam, %s', (_name, now, expected) => {
    const instances = [0, 1].map((k) =>
      instance({ launchTime: ago({ hours: 2 - k }, now), tags: { [TAG.idleSince]: isoAgo({ minutes: 10 }, now) } }),
    );
    const decisions = decideScaleDown(
      snapshot({
        now,
        instances,
        runners: instances.map((i) => runner({ for: i })),
        config: {
          ...HOOKS,
          idleConfig: [{ cron: '* * 9-17 * * 1-5', timeZone: 'Europe/Amsterdam', idleCount: 1, evictionStrategy: 'oldest_first' }],
        },
      }),
    );
    expect(reasons(decisions)).toEqual(expected);
  });
});
