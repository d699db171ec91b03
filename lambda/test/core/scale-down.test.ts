import type { Config } from '../../src/config/schema';
import { decideScaleDown } from '../../src/core/scale-down';
import { TAG } from '../../src/core/tags';
import type { Decision, InstanceView, OwnerRunners, ReasonCode, RunnerView } from '../../src/core/types';
import { ago, ENVIRONMENT, expectDecision, failedListing, instance, isoAgo, listing, NOW, ORG, REPO, runner, snapshot, type Expected } from './fixtures';

const NOW_ISO = NOW.toISOString();
const HOOKS: Partial<Config> = { jobEvidence: 'hooks', idleConfirmationSeconds: 60, minimumRunningTimeMinutes: { linux: 5, windows: 5, macos: 5 } };
const OFF: Partial<Config> = { ...HOOKS, jobEvidence: 'off' };
/** The boot marker that makes an instance's hook tags count. */
const MARKER = { [TAG.jobHooks]: '1' };

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
function decideOne(c: Case, mode: Partial<Config> = HOOKS, extraTags: Record<string, string> = {}): Decision {
  const i = instance({
    tags: { ...extraTags, ...(c.tags ?? {}) },
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
const RECLAIM: Expected = { action: 'reclaim', reason: 'idle-confirmed' };

/** The three ways an instance can be judged: hooks proven by the marker, and no evidence (off, or hooks without the marker). */
const VARIANTS = [
  ['hooks (marker present)', HOOKS, MARKER, 'hooks'],
  ['none (JOB_EVIDENCE=off)', OFF, {}, 'none'],
  ['none (JOB_EVIDENCE=hooks, no marker: partial rollout)', HOOKS, {}, 'none'],
] as const;

describe('decideScaleDown: rules for every evidence source', () => {
  /** [name, case, expected without machine evidence, expected with hooks (when different)] */
  const cases: [string, Case, Expected, Expected?][] = [
    // 1. bypass wins over everything
    ['bypass on a healthy idle runner', { tags: { [TAG.bypassRemoval]: 'true', ...confirmedIdle } }, { action: 'keep', reason: 'bypass-tag' }],
    ['bypass beats not running and a missing owner', { state: 'stopped', tags: { [TAG.bypassRemoval]: 'true', [TAG.owner]: undefined } }, { action: 'keep', reason: 'bypass-tag' }],
    ['bypass=false is no bypass', { tags: { [TAG.bypassRemoval]: 'false', ...confirmedIdle } }, RECLAIM],
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
    ['draining but still listed: mark dropped, then idle rules', { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), [TAG.idleSince]: isoAgo({ seconds: 30 }), [TAG.lastJobCompletedAt]: isoAgo({ seconds: 30 }) } }, { action: 'keep', reason: 'idle-not-confirmed', removeTags: [TAG.drainingSince] }, { ...RECLAIM, removeTags: [TAG.drainingSince] }],
    ['draining but listed and busy', { runner: { busy: true }, tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), ...confirmedIdle } }, { action: 'keep', reason: 'busy-on-github', removeTags: [TAG.drainingSince, TAG.idleSince] }],
    ['draining but listed and reclaimable: the stale mark goes, the executor re-marks', { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), ...confirmedIdle } }, { ...RECLAIM, removeTags: [TAG.drainingSince] }],
    ['draining but listed, first idle sighting', { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }), [TAG.lastJobCompletedAt]: isoAgo({ seconds: 10 }) } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO }, removeTags: [TAG.drainingSince] }, { ...RECLAIM, removeTags: [TAG.drainingSince] }],
    // 6. registration
    ['not registered, idle-since dropped', { runner: 'none', tags: confirmedIdle }, { action: 'keep', reason: 'not-registered', removeTags: [TAG.idleSince] }],
    ['not registered, nothing to drop', { runner: 'none' }, { action: 'keep', reason: 'not-registered' }],
    ['not registered beats job evidence', { runner: 'none', tags: { [TAG.job]: '1/a' } }, { action: 'keep', reason: 'not-registered' }],
    // 7. job evidence (honoured whatever the evidence source)
    ['ghr:job', { tags: { [TAG.job]: '991/build', [TAG.jobStartedAt]: isoAgo({ minutes: 3 }), ...confirmedIdle } }, { action: 'keep', reason: 'job-evidence', removeTags: [TAG.idleSince] }],
    ['ghr:job beats busy', { runner: { busy: true }, tags: { [TAG.job]: '991/build' } }, { action: 'keep', reason: 'job-evidence' }],
    ['ghr:job beats minimum running time', { launchTime: ago({ minutes: 1 }), tags: { [TAG.job]: '991/build', [TAG.jobStartedAt]: isoAgo({ seconds: 20 }) } }, { action: 'keep', reason: 'job-evidence' }],
    ['an empty ghr:job is still evidence (issue 10, point 5)', { tags: { [TAG.job]: '', [TAG.jobStartedAt]: isoAgo({ minutes: 3 }), ...confirmedIdle } }, { action: 'keep', reason: 'job-evidence', removeTags: [TAG.idleSince] }],
    ['a blank ghr:job is still evidence', { tags: { [TAG.job]: '  ', [TAG.jobStartedAt]: isoAgo({ minutes: 3 }) } }, { action: 'keep', reason: 'job-evidence' }],
    // 8. busy
    ['busy', { runner: { busy: true }, tags: confirmedIdle }, { action: 'keep', reason: 'busy-on-github', removeTags: [TAG.idleSince] }],
    ['busy, no idle-since', { runner: { busy: true } }, { action: 'keep', reason: 'busy-on-github' }],
    ['busy beats minimum running time', { runner: { busy: true }, launchTime: ago({ minutes: 1 }) }, { action: 'keep', reason: 'busy-on-github' }],
    ['offline idle runner is still judged idle', { runner: { status: 'offline' }, tags: confirmedIdle }, RECLAIM],
    // 9. minimum running time (5 minutes)
    ['launched 4m59s ago', { launchTime: ago({ minutes: 4, seconds: 59 }), tags: confirmedIdle }, { action: 'keep', reason: 'minimum-running-time' }],
    ['launched exactly 5 minutes ago', { launchTime: ago({ minutes: 5 }), tags: confirmedIdle }, RECLAIM],
    ['launch time in the future', { launchTime: new Date(NOW.getTime() + 60_000), tags: confirmedIdle }, { action: 'keep', reason: 'minimum-running-time' }],
    ['invalid launch time', { launchTime: new Date(Number.NaN), tags: confirmedIdle }, { action: 'keep', reason: 'minimum-running-time' }],
    ['minimum 0 and launched now', { launchTime: NOW, config: { minimumRunningTimeMinutes: { linux: 0, windows: 0, macos: 0 } }, tags: confirmedIdle }, RECLAIM],
    // first sighting, a job between sightings, the confirmation: with hooks the first sighting is enough
    ['no idle-since', {}, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['unparsable idle-since is a first sighting', { tags: { [TAG.idleSince]: 'last tuesday' } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['empty idle-since is a first sighting', { tags: { [TAG.idleSince]: '' } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['idle-since far in the future is re-marked', { tags: { [TAG.idleSince]: isoAgo({ days: -30 }) } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['a job that ended 10 s ago, no idle-since', { tags: { [TAG.lastJobCompletedAt]: isoAgo({ seconds: 10 }) } }, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['job started after idle-since', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: 5 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['job completed after idle-since', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: 30 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 2 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['job completed 30 s ago, after idle-since', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: 30 }), [TAG.lastJobCompletedAt]: isoAgo({ seconds: 30 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    ['job started and completed before idle-since', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: 30 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 11 }) } }, RECLAIM],
    ['a job time a minute ahead (clock skew) is activity', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ minutes: -1 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: { [TAG.idleSince]: NOW_ISO } }, RECLAIM],
    // unreadable job times: kept, but bounded (issue 10, point 9); hooks that write them are no evidence
    ['unparsable job-started-at keeps', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: 'garbage' } }, { action: 'keep', reason: 'malformed-tags' }],
    ['unparsable last-job-completed-at keeps', { tags: { ...confirmedIdle, [TAG.lastJobCompletedAt]: '12:00' } }, { action: 'keep', reason: 'malformed-tags' }],
    ['a job time a day in the future keeps, without restarting the idle clock', { tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ days: -1 }) } }, { action: 'keep', reason: 'malformed-tags' }],
    ['unparsable job time, idle on GitHub for 7 hours: the bound is reached', { tags: { [TAG.idleSince]: isoAgo({ hours: 7 }), [TAG.jobStartedAt]: 'garbage' } }, RECLAIM],
    ['a future job time, idle on GitHub for 7 hours: the bound is reached', { tags: { [TAG.idleSince]: isoAgo({ hours: 7 }), [TAG.lastJobCompletedAt]: isoAgo({ days: -2 }) } }, RECLAIM],
  ];

  describe.each(VARIANTS)('evidence %s', (_name, mode, marker, evidence) => {
    // One object per row: a callback with more parameters than the row would get jest's `done`.
    test.each(cases.map(([name, c, expected, withHooks]) => [name, { c, expected, withHooks }] as const))('%s', (_case, row) => {
      const d = decideOne(row.c, mode, marker);
      expectDecision(d, evidence === 'hooks' && row.withHooks ? row.withHooks : row.expected);
      // Past the gate, the evidence is named: the variant's, or none where hooks wrote unreadable times.
      if (d.owner && d.reason !== 'github-unavailable') expect([evidence, 'none']).toContain(d.evidence);
    });
  });
});

describe('decideScaleDown: idle confirmation window', () => {
  test.each([
    ['none (off, doubled)', OFF, {}, { seconds: 60 }, 'keep', 'idle-not-confirmed'],
    ['none (off, doubled)', OFF, {}, { seconds: 119 }, 'keep', 'idle-not-confirmed'],
    ['none (off, doubled)', OFF, {}, { seconds: 119, ms: 999 }, 'keep', 'idle-not-confirmed'],
    ['none (off, doubled)', OFF, {}, { seconds: 120 }, 'reclaim', 'idle-confirmed'],
    ['none (hooks mode, no marker: doubled)', HOOKS, {}, { seconds: 60 }, 'keep', 'idle-not-confirmed'],
    ['none (hooks mode, no marker: doubled)', HOOKS, {}, { seconds: 120 }, 'reclaim', 'idle-confirmed'],
    ['none, confirmation 0', { ...OFF, idleConfirmationSeconds: 0 }, {}, { seconds: 0 }, 'reclaim', 'idle-confirmed'],
    ['none, idle-since a little in the future', OFF, {}, { seconds: -30 }, 'keep', 'idle-not-confirmed'],
    // Machine evidence: GitHub's lag is covered by the machine's word at the look and after the settle.
    ['hooks: the first sighting is enough', HOOKS, MARKER, { seconds: 0 }, 'reclaim', 'idle-confirmed'],
    ['hooks, a job ended a second ago', HOOKS, MARKER, { seconds: 1 }, 'reclaim', 'idle-confirmed'],
  ] as const)('evidence %s, idle for %p', (_name, mode, marker, idleFor, action, reason) => {
    const d = decideOne({ tags: { [TAG.idleSince]: isoAgo(idleFor), [TAG.lastJobCompletedAt]: isoAgo(idleFor) } }, mode, marker);
    expectDecision(d, { action, reason });
  });

  test('the doubled wait says why', () => {
    const d = decideOne({ tags: { [TAG.idleSince]: isoAgo({ seconds: 90 }) } }, OFF);
    expect(d.message).toContain('no machine evidence');
    expect(d.message).toContain('120 s');
  });

  test('job evidence honoured with JOB_EVIDENCE=off says so', () => {
    expect(decideOne({ tags: { [TAG.job]: '1/x' } }, OFF).message).toContain('JOB_EVIDENCE=off');
  });
});

describe('decideScaleDown: evidence and environment on every decision past the gate', () => {
  const probeSnapshot = (instances: InstanceView[], online: string[], mode: Partial<Config> = { ...HOOKS, jobEvidence: 'auto' }) => ({
    ...snapshot({ instances, runners: instances.map((i) => runner({ for: i })), config: mode }),
    probe: { enabled: true, online: new Set(online) },
  });

  test('auto: hooks where the marker is, else the probe where SSM reaches, else none', () => {
    const hooked = instance({ tags: { ...MARKER, ...confirmedIdle } });
    const probed = instance({ tags: confirmedIdle });
    const bare = instance({ tags: confirmedIdle });
    const oldMarker = instance({ tags: { [TAG.jobHooks]: '0', ...confirmedIdle } });
    const decisions = decideScaleDown(probeSnapshot([hooked, probed, bare, oldMarker], [probed.id, hooked.id]));
    expect(decisions.map((d) => [d.evidence, d.environment])).toEqual([
      ['hooks', ENVIRONMENT],
      ['probe', ENVIRONMENT],
      ['none', ENVIRONMENT],
      ['none', ENVIRONMENT],
    ]);
  });

  test('hooks mode never uses the probe; off uses nothing', () => {
    const probed = instance({ tags: confirmedIdle });
    expect(decideScaleDown(probeSnapshot([probed], [probed.id], HOOKS))[0]!.evidence).toBe('none');
    const hooked = instance({ tags: { ...MARKER, ...confirmedIdle } });
    expect(decideScaleDown(probeSnapshot([hooked], [hooked.id], OFF))[0]!.evidence).toBe('none');
  });

  test('a failed SSM read makes nothing probe-able', () => {
    const probed = instance({ tags: confirmedIdle });
    const s = probeSnapshot([probed], [probed.id]);
    expect(decideScaleDown({ ...s, probe: { ...s.probe, error: 'AccessDenied' } })[0]!.evidence).toBe('none');
  });

  test('probe evidence: the first sighting is a reclaim, which the probe before the DELETE and after the settle must allow', () => {
    const probed = instance({});
    const [d] = decideScaleDown(probeSnapshot([probed], [probed.id]));
    // The idle streak is kept beside it (see the next test).
    expectDecision(d!, { action: 'reclaim', reason: 'idle-confirmed', setTags: { [TAG.idleSince]: NOW_ISO } });
    expect(d!.evidence).toBe('probe');
    expect(d!.message).toContain('probe');
    expect(d!.probeOptional).toBeUndefined();
  });

  test('probe evidence: once the streak would confirm it without evidence, a missing probe answer no longer holds it', () => {
    const streak = (tags: Record<string, string>) => {
      const i = instance({ tags });
      return decideScaleDown(probeSnapshot([i], [i.id]))[0]!;
    };
    expect(streak({ [TAG.idleSince]: isoAgo({ seconds: 119 }) }).probeOptional).toBeUndefined();
    expect(streak({ [TAG.idleSince]: isoAgo({ seconds: 120 }) }).probeOptional).toBe(true);
    expect(streak({ [TAG.idleSince]: isoAgo({ minutes: 10 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 1 }) }).probeOptional).toBeUndefined();
  });

  test('probe evidence: a job since the streak began starts the streak again, so a probe that never answers cannot hold the runner for ever', () => {
    const tags = { [TAG.idleSince]: isoAgo({ minutes: 10 }), [TAG.jobStartedAt]: isoAgo({ minutes: 3 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 2 }) };
    const i = instance({ tags });
    const d = decideScaleDown(probeSnapshot([i], [i.id]))[0]!;
    expectDecision(d, { action: 'reclaim', reason: 'idle-confirmed', setTags: { [TAG.idleSince]: NOW_ISO } });
    expect(d.probeOptional).toBeUndefined();
    // Hooks with the probe too: the same restart.
    const h = instance({ tags: { ...MARKER, ...tags } });
    expect(decideScaleDown(probeSnapshot([h], [h.id]))[0]!.setTags).toEqual({ [TAG.idleSince]: NOW_ISO });
  });

  test('hooks where SSM reaches too: the probe is asked as well (the job-started hook lags a job by its set-up)', () => {
    const hooked = instance({ tags: { ...MARKER } });
    const [d] = decideScaleDown(probeSnapshot([hooked], [hooked.id]));
    // Still the first sighting's reclaim of hooks evidence, now with the probe asked too, and the idle streak kept for a failing probe.
    expectDecision(d!, { action: 'reclaim', reason: 'idle-confirmed', setTags: { [TAG.idleSince]: NOW_ISO } });
    expect(d).toMatchObject({ evidence: 'hooks', probeToo: true });
    expect(d!.probeOptional).toBeUndefined();
    expect(d!.message).toContain('the probe is asked too');
  });

  test.each([
    ['SSM cannot reach it', [] as string[], { ...HOOKS, jobEvidence: 'auto' } as Partial<Config>, undefined],
    ['JOB_EVIDENCE=hooks', ['self'], HOOKS, undefined],
    ['the SSM read failed', ['self'], { ...HOOKS, jobEvidence: 'auto' } as Partial<Config>, 'AccessDenied'],
  ])('hooks without the probe when %s: no probe asked, no idle streak kept', (_name, online, mode, error) => {
    const hooked = instance({ tags: { ...MARKER } });
    const s = probeSnapshot([hooked], online.map((o) => (o === 'self' ? hooked.id : o)), mode);
    const [d] = decideScaleDown(error ? { ...s, probe: { ...s.probe, error } } : s);
    expectDecision(d!, { action: 'reclaim', reason: 'idle-confirmed' });
    expect(d).toMatchObject({ evidence: 'hooks' });
    expect(d!.probeToo).toBeUndefined();
  });

  test('hooks with the probe too: after a second sighting with no job between, a missing probe answer no longer holds it', () => {
    const decide = (tags: Record<string, string>) => {
      const i = instance({ tags: { ...MARKER, ...tags } });
      return decideScaleDown(probeSnapshot([i], [i.id]))[0]!;
    };
    // IDLE_CONFIRMATION_SECONDS (60) once: hooks back GitHub's word, the streak only bounds a failing probe.
    expect(decide({ [TAG.idleSince]: isoAgo({ seconds: 59 }) }).probeOptional).toBeUndefined();
    expect(decide({ [TAG.idleSince]: isoAgo({ seconds: 60 }) })).toMatchObject({ probeToo: true, probeOptional: true });
    expect(decide({ [TAG.idleSince]: isoAgo({ minutes: 10 }), [TAG.jobStartedAt]: isoAgo({ minutes: 2 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 1 }) }).probeOptional).toBeUndefined();
  });

  test('an instance with unreadable hook times has no machine evidence, probe or not: the sightings and the bound decide', () => {
    const probed = instance({ tags: { [TAG.jobStartedAt]: 'garbage' } });
    expectDecision(decideScaleDown(probeSnapshot([probed], [probed.id]))[0]!, { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } });
    expect(decideScaleDown(probeSnapshot([probed], [probed.id]))[0]!.evidence).toBe('none');
    const later = instance({ tags: { [TAG.jobStartedAt]: 'garbage', [TAG.idleSince]: isoAgo({ minutes: 10 }) } });
    expectDecision(decideScaleDown(probeSnapshot([later], [later.id]))[0]!, { action: 'keep', reason: 'malformed-tags' });
  });

  test('every act decision carries the hook tags it saw, for the executor to compare', () => {
    const i = instance({ tags: { ...confirmedIdle, [TAG.jobStartedAt]: isoAgo({ hours: 2 }), [TAG.lastJobCompletedAt]: isoAgo({ hours: 1 }) } });
    const [d] = decideScaleDown(snapshot({ instances: [i], runners: [runner({ for: i })], config: OFF }));
    expect(d).toMatchObject({ action: 'reclaim', hookTags: { jobStartedAt: i.tags[TAG.jobStartedAt], lastJobCompletedAt: i.tags[TAG.lastJobCompletedAt] } });
  });
});

describe('decideScaleDown: stale and unreadable job evidence is bounded (issue 10, points 8 and 9)', () => {
  test.each(VARIANTS)('a ghr:job older than MAX_JOB_DURATION_MINUTES on an idle registered runner is reclaimed with its own reason (%s)', (_n, mode, marker) => {
    const stale = { [TAG.job]: '12/build', [TAG.jobStartedAt]: isoAgo({ hours: 7 }) };
    expectDecision(decideOne({ tags: stale }, mode, marker), { action: 'keep', reason: 'idle-first-sighting', setTags: { [TAG.idleSince]: NOW_ISO } });
    const d = decideOne({ tags: { ...stale, [TAG.idleSince]: isoAgo({ minutes: 3 }) } }, mode, marker);
    expectDecision(d, { action: 'reclaim', reason: 'stale-job-evidence' });
    // Hooks that left a stale ghr:job are no evidence: the conservative confirmation applies.
    expect(d.evidence).toBe('none');
    expect(d.message).toContain('stale');
    expect(d.hookTags).toEqual({ job: '12/build', jobStartedAt: stale[TAG.jobStartedAt] });
  });

  test('a stale ghr:job on a runner GitHub calls busy is kept', () => {
    const d = decideOne({ runner: { busy: true }, tags: { [TAG.job]: '12/build', [TAG.jobStartedAt]: isoAgo({ hours: 7 }), ...confirmedIdle } });
    expectDecision(d, { action: 'keep', reason: 'busy-on-github', removeTags: [TAG.idleSince] });
  });

  test('a ghr:job of unknown start starts the bound on GitHub idle time, and is reclaimed once it is reached', () => {
    for (const start of [undefined, 'garbage', isoAgo({ days: -3 })]) {
      const job = { [TAG.job]: '12/build', [TAG.jobStartedAt]: start };
      expectDecision(decideOne({ tags: job }), { action: 'keep', reason: 'job-evidence', setTags: { [TAG.idleSince]: NOW_ISO } });
      expectDecision(decideOne({ tags: { ...job, [TAG.idleSince]: isoAgo({ hours: 5 }) } }), { action: 'keep', reason: 'job-evidence' });
      expectDecision(decideOne({ tags: { ...job, [TAG.idleSince]: isoAgo({ hours: 6 }) } }), { action: 'reclaim', reason: 'stale-job-evidence' });
      // GitHub calling it busy ends the idle streak.
      expectDecision(decideOne({ runner: { busy: true }, tags: { ...job, [TAG.idleSince]: isoAgo({ hours: 6 }) } }), {
        action: 'keep',
        reason: 'job-evidence',
        removeTags: [TAG.idleSince],
      });
    }
  });
});

describe('decideScaleDown: failures remembered between runs (issue 10, points 10 and 11)', () => {
  test.each([
    ['one failure a minute ago: 5 min back-off', '1', { minutes: 1 }, 'keep', 'delete-backoff'],
    ['one failure 5 minutes ago', '1', { minutes: 5 }, 'reclaim', 'idle-confirmed'],
    ['three failures 15 minutes ago: 20 min back-off', '3', { minutes: 15 }, 'keep', 'delete-backoff'],
    ['three failures 20 minutes ago', '3', { minutes: 20 }, 'reclaim', 'idle-confirmed'],
    ['forty failures 119 minutes ago: capped at 2 hours', '40', { minutes: 119 }, 'keep', 'delete-backoff'],
    ['forty failures 2 hours ago', '40', { minutes: 120 }, 'reclaim', 'idle-confirmed'],
  ] as const)('DELETE back-off: %s', (_name, count, ago_, action, reason) => {
    const d = decideOne({ tags: { ...confirmedIdle, [TAG.deleteFailures]: count, [TAG.deleteFailedAt]: isoAgo(ago_) } });
    expect([d.action, d.reason]).toEqual([action, reason]);
    if (action === 'reclaim') expect(d.deleteFailures).toBe(Number(count));
  });

  test('an unreadable failure time does not back off forever', () => {
    const d = decideOne({ tags: { ...confirmedIdle, [TAG.deleteFailures]: '2', [TAG.deleteFailedAt]: 'yesterday' } });
    expect([d.action, d.deleteFailures]).toEqual(['reclaim', 2]);
  });

  test('an instance EC2 refused to terminate is not deregistered again before its retry time', () => {
    expectDecision(decideOne({ tags: { ...confirmedIdle, [TAG.terminationRefusedAt]: isoAgo({ minutes: 10 }) } }), { action: 'keep', reason: 'termination-refused' });
    expectDecision(decideOne({ tags: { ...confirmedIdle, [TAG.terminationRefusedAt]: isoAgo({ minutes: 60 }) } }), RECLAIM);
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

describe('decideScaleDown: a busy runner wins across every matching tier (issue 8, point 4)', () => {
  test.each([
    ['an idle id-tag match hides a busy suffix match', { [TAG.githubRunnerId]: '4242' }, { id: 4242, name: 'jit-1' }, { name: 'env-SELF', busy: true }],
    ['an idle exact-name match hides a busy suffix match', {}, { name: 'SELF' }, { name: 'old-SELF', busy: true }],
    ['an idle id-tag match hides a busy exact-name match', { [TAG.githubRunnerId]: '4242' }, { id: 4242, name: 'jit-1' }, { name: 'SELF', busy: true }],
  ])('%s', (_name, tags, first, second) => {
    const i = instance({ tags: { ...tags, ...confirmedIdle } });
    const r1 = runner({ ...first, name: first.name.replace('SELF', i.id) });
    const r2 = runner({ ...second, name: second.name.replace('SELF', i.id) });
    const [d] = decideScaleDown(snapshot({ instances: [i], runners: [r1, r2], config: HOOKS }));
    expect(d).toMatchObject({ action: 'keep', reason: 'busy-on-github', runner: r2 });
  });
});

describe('decideScaleDown: idle pool scope and several environments', () => {
  const always = (scope: Config['idlePoolScope']): Partial<Config> => ({
    ...HOOKS,
    environments: [ENVIRONMENT, 'other'],
    idlePoolScope: scope,
    idleConfig: [{ cron: '* * * * *', timeZone: 'UTC', idleCount: 1, evictionStrategy: 'oldest_first' }],
  });
  const fleet = () => [
    instance({ owner: ORG, launchTime: ago({ hours: 3 }), tags: confirmedIdle }),
    instance({ owner: REPO, launchTime: ago({ hours: 2 }), tags: confirmedIdle }),
    instance({ owner: ORG, launchTime: ago({ hours: 1 }), tags: { ...confirmedIdle, [TAG.environment]: 'other' } }),
  ];
  const decide = (scope: Config['idlePoolScope']) => {
    const [org, repo, other] = fleet();
    return decideScaleDown(
      snapshot({
        instances: [org!, repo!, other!],
        listings: [listing(ORG, [runner({ for: org! }), runner({ for: other! })]), listing(REPO, [runner({ for: repo! })])],
        config: always(scope),
      }),
    );
  };

  test('owner scope: one warm runner per GitHub owner, across environments', () => {
    expect(decide('owner').map((d) => [d.reason, d.environment])).toEqual([
      ['idle-confirmed', ENVIRONMENT],
      ['idle-pool', ENVIRONMENT],
      ['idle-pool', 'other'],
    ]);
  });

  test('environment scope: one warm runner per environment, across owners (github-aws-runners idle_config)', () => {
    const decisions = decide('environment');
    expect(decisions.map((d) => [d.reason, d.environment])).toEqual([
      ['idle-confirmed', ENVIRONMENT],
      ['idle-pool', ENVIRONMENT],
      ['idle-pool', 'other'],
    ]);
    expect(decisions[1]!.message).toContain(`environment ${ENVIRONMENT}`);
  });

  test('environment scope pools owners together', () => {
    const org = instance({ owner: ORG, launchTime: ago({ hours: 3 }), tags: confirmedIdle });
    const repo = instance({ owner: REPO, launchTime: ago({ hours: 2 }), tags: confirmedIdle });
    const listings = [listing(ORG, [runner({ for: org })]), listing(REPO, [runner({ for: repo })])];
    const byScope = (scope: Config['idlePoolScope']) =>
      decideScaleDown(snapshot({ instances: [org, repo], listings, config: always(scope) })).map((d) => d.reason);
    expect(byScope('owner')).toEqual(['idle-pool', 'idle-pool']);
    expect(byScope('environment')).toEqual(['idle-confirmed', 'idle-pool']);
  });
});
