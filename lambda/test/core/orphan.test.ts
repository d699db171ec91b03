import type { Config } from '../../src/config/schema';
import { decideOrphans, heldSummary } from '../../src/core/orphan';
import { TAG } from '../../src/core/tags';
import type { Decision, InstanceView, OwnerRunners, RunnerView } from '../../src/core/types';
import { ago, expectDecision, failedListing, instance, isoAgo, listing, NOW, ORG, REPO, runner, snapshot, type Expected } from './fixtures';

const NOW_ISO = NOW.toISOString();
const HOOKS: Partial<Config> = {
  jobEvidence: 'hooks',
  idleConfirmationSeconds: 60,
  runnerBootTimeMinutes: 5,
  maxJobDurationMinutes: 360,
};
const OFF: Partial<Config> = { ...HOOKS, jobEvidence: 'off' };

interface Case {
  tags?: Record<string, string | undefined>;
  state?: InstanceView['state'];
  launchTime?: Date;
  /** A runner registered for the instance; absent by default (orphan-cleanup's subject). */
  registered?: Partial<RunnerView>;
  listingOf?: 'failed' | 'missing';
  config?: Partial<Config>;
}

function decideOne(c: Case, mode: Partial<Config>): Decision {
  const i = instance({
    tags: c.tags ?? {},
    ...(c.state ? { state: c.state } : {}),
    ...(c.launchTime ? { launchTime: c.launchTime } : {}),
  });
  const runners = c.registered ? [runner({ for: i, ...c.registered })] : [runner({ name: 'someone-else' })];
  const listings: OwnerRunners[] = [];
  if (c.listingOf === 'failed') listings.push(failedListing(ORG));
  else if (c.listingOf !== 'missing') listings.push(listing(ORG, runners));
  const decisions = decideOrphans(snapshot({ instances: [i], listings, config: { ...mode, ...c.config } }));
  expect(decisions).toHaveLength(1);
  expect(decisions[0]!.instanceId).toBe(i.id);
  return decisions[0]!;
}

const MARKER = { [TAG.jobHooks]: '1' };
const firstSighting = { [TAG.reaperOrphanSince]: NOW_ISO };
/** Unregistered for longer than every threshold of every evidence source. */
const longOrphan = { [TAG.reaperOrphanSince]: isoAgo({ hours: 7 }) };

/** [name, case, expected without machine evidence, expected with hooks (when different)] */
const sameForEveryEvidence: [string, Case, Expected, Expected?][] = [
  // 1. the shared gate
  ['bypass', { tags: { [TAG.bypassRemoval]: 'true', ...longOrphan } }, { action: 'keep', reason: 'bypass-tag' }],
  ['bypass beats an overdue job', { tags: { [TAG.bypassRemoval]: 'true', [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ days: 2 }) } }, { action: 'keep', reason: 'bypass-tag' }],
  ['pending', { state: 'pending', tags: longOrphan }, { action: 'keep', reason: 'not-running' }],
  ['shutting-down', { state: 'shutting-down', tags: longOrphan }, { action: 'keep', reason: 'not-running' }],
  ['another environment', { tags: { [TAG.environment]: 'other', ...longOrphan } }, { action: 'keep', reason: 'malformed-tags' }],
  ['no owner', { tags: { [TAG.owner]: undefined, ...longOrphan } }, { action: 'keep', reason: 'missing-owner-tag' }],
  ['Repo owner without a slash', { tags: { [TAG.type]: 'Repo', ...longOrphan } }, { action: 'keep', reason: 'missing-owner-tag' }],
  ['listing failed', { listingOf: 'failed', tags: longOrphan }, { action: 'keep', reason: 'github-unavailable' }],
  ['listing missing', { listingOf: 'missing', tags: { [TAG.drainingSince]: isoAgo({ days: 1 }) } }, { action: 'keep', reason: 'github-unavailable' }],
  // 2. registered: our mark goes, and so does the pair 0.1.0 wrote
  ['registered, mark dropped', { registered: {}, tags: longOrphan }, { action: 'keep', reason: 'registered', removeTags: [TAG.reaperOrphanSince] }],
  ['registered, 0.1.0 marks dropped', { registered: {}, tags: { [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: isoAgo({ hours: 1 }) } }, { action: 'keep', reason: 'registered', removeTags: [TAG.orphan, TAG.legacyOrphanSince] }],
  ["registered, github-aws-runners' own ghr:orphan left alone", { registered: {}, tags: { [TAG.orphan]: 'true' } }, { action: 'keep', reason: 'registered' }],
  ['registered, nothing to drop', { registered: {} }, { action: 'keep', reason: 'registered' }],
  ['registered beats draining', { registered: {}, tags: { [TAG.drainingSince]: isoAgo({ days: 1 }) } }, { action: 'keep', reason: 'registered' }],
  ['registered beats an overdue job', { registered: { busy: true }, tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ days: 2 }) } }, { action: 'keep', reason: 'registered' }],
  ['registered by ghr:github_runner_id', { registered: { id: 777, name: 'jit' }, tags: { [TAG.githubRunnerId]: '777', ...longOrphan } }, { action: 'keep', reason: 'registered', removeTags: [TAG.reaperOrphanSince] }],
  // 3. EC2 refused to terminate it recently
  ['termination refused 10 minutes ago', { tags: { ...longOrphan, [TAG.terminationRefusedAt]: isoAgo({ minutes: 10 }) } }, { action: 'keep', reason: 'termination-refused' }],
  // 4. job evidence, bounded by MAX_JOB_DURATION_MINUTES (360)
  ['job running for 1 hour', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ hours: 1 }), ...longOrphan } }, { action: 'keep', reason: 'job-evidence' }],
  ['job running for 359m59s, first sighting marked', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 359, seconds: 59 }) } }, { action: 'keep', reason: 'job-evidence', setTags: firstSighting }],
  ['job running for exactly 360 minutes', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 360 }) } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job running for 2 days', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ days: 2 }) } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['an empty ghr:job is evidence', { tags: { [TAG.job]: '', [TAG.jobStartedAt]: isoAgo({ hours: 1 }), ...longOrphan } }, { action: 'keep', reason: 'job-evidence' }],
  ['job without start time, old draining mark', { tags: { [TAG.job]: '1/a', [TAG.drainingSince]: isoAgo({ minutes: 361 }) } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job without start time, recent draining mark', { tags: { [TAG.job]: '1/a', [TAG.drainingSince]: isoAgo({ minutes: 10 }) } }, { action: 'keep', reason: 'job-evidence', setTags: firstSighting }],
  ['job without any time: the first sighting starts the bound', { tags: { [TAG.job]: '1/a' } }, { action: 'keep', reason: 'job-evidence', setTags: firstSighting }],
  ['job without start time, unregistered for 7 hours', { tags: { [TAG.job]: '1/a', ...longOrphan } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job with unparsable start time and an old draining mark: bounded', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: 'soon', [TAG.drainingSince]: isoAgo({ days: 3 }) } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job with unparsable start time, unregistered for 5 hours', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: 'soon', [TAG.reaperOrphanSince]: isoAgo({ hours: 5 }) } }, { action: 'keep', reason: 'job-evidence' }],
  ['job with a start in the far future, unregistered for 7 hours: bounded', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ days: -1 }), ...longOrphan } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job with a recent start beats an old draining mark', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 3 }), [TAG.drainingSince]: isoAgo({ days: 3 }), ...longOrphan } }, { action: 'keep', reason: 'job-evidence' }],
  ['job evidence beats booting', { launchTime: ago({ minutes: 1 }), tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 1 }), ...longOrphan } }, { action: 'keep', reason: 'job-evidence' }],
  // 6. booting (5 minutes)
  ['launched 4m59s ago', { launchTime: ago({ minutes: 4, seconds: 59 }) }, { action: 'keep', reason: 'booting' }],
  ['launched 4m59s ago with an old orphan mark', { launchTime: ago({ minutes: 4, seconds: 59 }), tags: longOrphan }, { action: 'keep', reason: 'booting' }],
  ['launched exactly 5 minutes ago', { launchTime: ago({ minutes: 5 }) }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['invalid launch time', { launchTime: new Date(Number.NaN) }, { action: 'keep', reason: 'booting' }],
  // 7. first sighting: our own key, never ghr:orphan
  ['no mark', {}, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ["github-aws-runners' ghr:orphan=true alone is not ours: first sighting, left alone", { tags: { [TAG.orphan]: 'true' } }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['unparsable mark', { tags: { [TAG.reaperOrphanSince]: 'a while ago' } }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['0.1.0 marks: the time is carried over to our key, the pair removed', { tags: { [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: isoAgo({ seconds: 30 }) } }, { action: 'keep', reason: 'orphan-not-confirmed', setTags: { [TAG.reaperOrphanSince]: isoAgo({ seconds: 30 }) }, removeTags: [TAG.orphan, TAG.legacyOrphanSince] }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['0.1.0 mark with an unreadable time: removed, first sighting', { tags: { [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: 'x' } }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting, removeTags: [TAG.orphan, TAG.legacyOrphanSince] }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['0.1.0 marks beside ours: ours counts, theirs removed', { tags: { ...longOrphan, [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: isoAgo({ seconds: 1 }), [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ hours: 1 }) } }, { action: 'keep', reason: 'job-evidence', removeTags: [TAG.orphan, TAG.legacyOrphanSince] }],
  // 8. a job since the sighting
  ['job started after the mark', { tags: { ...longOrphan, [TAG.jobStartedAt]: isoAgo({ hours: 1 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: firstSighting }, { action: 'terminate', reason: 'orphan-confirmed' }],
  // unreadable job times: kept, bounded by MAX_JOB_DURATION_MINUTES without a registration
  ['unparsable job time, unregistered for 1 hour', { tags: { [TAG.reaperOrphanSince]: isoAgo({ hours: 1 }), [TAG.lastJobCompletedAt]: 'nope' } }, { action: 'keep', reason: 'malformed-tags' }],
  ['a job time far in the future, unregistered for 1 hour: kept without restarting the clock', { tags: { [TAG.reaperOrphanSince]: isoAgo({ hours: 1 }), [TAG.jobStartedAt]: isoAgo({ days: -1 }) } }, { action: 'keep', reason: 'malformed-tags' }],
  ['unparsable job time, unregistered for 7 hours: the bound is reached', { tags: { ...longOrphan, [TAG.lastJobCompletedAt]: 'nope' } }, { action: 'terminate', reason: 'orphan-confirmed' }],
  // 9. confirmation (60 s)
  ['orphan for 59 s', { tags: { [TAG.reaperOrphanSince]: isoAgo({ seconds: 59 }) } }, { action: 'keep', reason: 'orphan-not-confirmed' }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['mark in the future (re-marked)', { tags: { [TAG.reaperOrphanSince]: isoAgo({ seconds: -600 }) } }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }, { action: 'terminate', reason: 'orphan-confirmed' }],
  // 11. long orphans go whatever the evidence
  ['orphan for 7 hours', { tags: longOrphan }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['orphan for 7 hours, jobs long before', { tags: { ...longOrphan, [TAG.jobStartedAt]: isoAgo({ hours: 9 }), [TAG.lastJobCompletedAt]: isoAgo({ hours: 8 }) } }, { action: 'terminate', reason: 'orphan-confirmed' }],
];

const EVIDENCE_VARIANTS = [
  ['hooks (marker present)', HOOKS, MARKER],
  ['none (JOB_EVIDENCE=off)', OFF, {}],
  ['none (JOB_EVIDENCE=hooks, no marker)', HOOKS, {}],
] as const;

describe.each(EVIDENCE_VARIANTS)('decideOrphans, evidence %s: the rules', (_name, mode, marker) => {
  test.each(sameForEveryEvidence.map(([name, c, expected, withHooks]) => [name, { c, expected, withHooks }] as const))('%s', (_n, row) => {
    const d = decideOne({ ...row.c, tags: { ...marker, ...row.c.tags } }, mode);
    expectDecision(d, 'ghr:job-hooks' in marker && mode.jobEvidence !== 'off' && row.withHooks ? row.withHooks : row.expected);
    // Never the tag github-aws-runners' scale-down kills on.
    expect(Object.keys(d.setTags ?? {})).not.toContain(TAG.orphan);
  });
});

describe('decideOrphans: rules that depend on the evidence', () => {
  test.each([
    // 5. draining: machine evidence terminates at once; none holds MAX_JOB_DURATION_MINUTES
    ['hooks', 'draining for 1 minute', HOOKS, MARKER, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, 'terminate', 'drained'],
    ['hooks', 'draining, launched a moment ago', HOOKS, MARKER, { launchTime: ago({ minutes: 1 }), tags: { [TAG.drainingSince]: isoAgo({ seconds: 1 }) } }, 'terminate', 'drained'],
    ['off', 'draining for 1 minute', OFF, {}, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, 'keep', 'waiting-max-job-duration'],
    ['hooks, no marker', 'draining for 1 minute', HOOKS, {}, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'draining for 359m59s', OFF, {}, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 359, seconds: 59 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'draining for exactly 360 minutes', OFF, {}, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 360 }) } }, 'terminate', 'drained'],
    ['off', 'draining for a day', OFF, {}, { tags: { [TAG.drainingSince]: isoAgo({ days: 1 }) } }, 'terminate', 'drained'],
    // an unreadable draining mark: the slower orphan path instead
    ['hooks', 'unparsable draining mark: the orphan rules', HOOKS, MARKER, { tags: { [TAG.drainingSince]: 'x' } }, 'terminate', 'orphan-confirmed'],
    ['off', 'unparsable draining mark, first sighting', OFF, {}, { tags: { [TAG.drainingSince]: 'x' } }, 'keep', 'orphan-first-sighting'],
    // confirmation, then without machine evidence the hold
    ['hooks', 'orphan for exactly 60 s', HOOKS, MARKER, { tags: { [TAG.reaperOrphanSince]: isoAgo({ seconds: 60 }) } }, 'terminate', 'orphan-confirmed'],
    ['hooks', 'first sighting: the executor re-reads the tags and re-lists after the settle', HOOKS, MARKER, {}, 'terminate', 'orphan-confirmed'],
    ['off', 'orphan for exactly 60 s', OFF, {}, { tags: { [TAG.reaperOrphanSince]: isoAgo({ seconds: 60 }) } }, 'keep', 'waiting-max-job-duration'],
    ['hooks, no marker', 'orphan for 10 minutes', HOOKS, {}, { tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 10 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'orphan for 59 s', OFF, {}, { tags: { [TAG.reaperOrphanSince]: isoAgo({ seconds: 59 }) } }, 'keep', 'orphan-not-confirmed'],
    ['off', 'orphan for 359m59s', OFF, {}, { tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 359, seconds: 59 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'orphan for exactly 360 minutes', OFF, {}, { tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 360 }) } }, 'terminate', 'orphan-confirmed'],
    ['off', 'orphan for 31 minutes, max 30', { ...OFF, maxJobDurationMinutes: 30, unregisteredHold: { maxMinutes: 30, maxInstances: 0 } }, {}, { tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 31 }) } }, 'terminate', 'orphan-confirmed'],
    // hooks: no second sighting needed, but booting still waits
    ['hooks', 'last job ended 30 s ago, no mark', HOOKS, MARKER, { tags: { [TAG.jobStartedAt]: isoAgo({ minutes: 5 }), [TAG.lastJobCompletedAt]: isoAgo({ seconds: 30 }) } }, 'terminate', 'orphan-confirmed'],
    ['hooks', 'booting', HOOKS, MARKER, { launchTime: ago({ minutes: 4 }) }, 'keep', 'booting'],
    ['off', 'the marker does not count with JOB_EVIDENCE=off', OFF, MARKER, { tags: { [TAG.lastJobCompletedAt]: isoAgo({ minutes: 2 }) } }, 'keep', 'orphan-first-sighting'],
  ] as const)('JOB_EVIDENCE=%s: %s', (_mode, _name, mode, marker, c, action, reason) => {
    const d = decideOne({ ...(c as Case), tags: { ...marker, ...(c as Case).tags } }, mode);
    expect([d.action, d.reason]).toEqual([action, reason]);
    if (reason === 'waiting-max-job-duration') expect(d.heldSince).toBeDefined();
    else expect(d.heldSince).toBeUndefined();
  });

  test('the hold says why it waits', () => {
    const draining = decideOne({ tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, OFF);
    const orphan = decideOne({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 10 }) } }, OFF);
    for (const d of [draining, orphan]) {
      expect(d.message).toContain('no machine evidence');
      expect(d.message).toContain('360 minutes');
      expect(d.evidence).toBe('none');
    }
  });
});

/** Runs the core as successive runs would, applying its bookkeeping between them. */
function runsOf(i: InstanceView, mode: Partial<Config>, times: Date[], runners: RunnerView[] = []): Decision[] {
  const tags = { ...i.tags };
  return times.map((now) => {
    const [d] = decideOrphans(snapshot({ now, instances: [{ ...i, tags: { ...tags } }], runners, config: mode }));
    for (const key of d!.removeTags ?? []) delete tags[key];
    Object.assign(tags, d!.setTags ?? {});
    return d!;
  });
}

describe('decideOrphans: per-instance evidence during a partial rollout (issue 8, point 1)', () => {
  test('JOB_EVIDENCE=hooks: an unlisted ephemeral runner mid-job without the marker and without hook tags is held, not terminated', () => {
    // Its registration was consumed when GitHub assigned the job; no hooks run on it.
    const ephemeral = instance({ launchTime: ago({ minutes: 30 }) });
    const runs = runsOf(ephemeral, HOOKS, [ago({ minutes: 4 }), ago({ minutes: 2 }), NOW, ago({ minutes: -60 })]);
    expect(runs.map((d) => d.action)).toEqual(['keep', 'keep', 'keep', 'keep']);
    expect(runs.map((d) => d.reason)).toEqual(['orphan-first-sighting', 'waiting-max-job-duration', 'waiting-max-job-duration', 'waiting-max-job-duration']);
    expect(runs.every((d) => d.evidence === 'none')).toBe(true);
  });

  test('the same instance with the marker and no job tags goes to the executor, which settles and re-reads before terminating', () => {
    const hooked = instance({ launchTime: ago({ minutes: 30 }), tags: MARKER });
    const runs = runsOf(hooked, HOOKS, [NOW]);
    expect(runs.map((d) => [d.action, d.reason, d.evidence])).toEqual([['terminate', 'orphan-confirmed', 'hooks']]);
    expect(runs[0]!.hookTags).toEqual({});
  });

  test('probe evidence: drained instances and first sightings go to the executor, which asks the probe', () => {
    const drained = instance({ tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } });
    const fresh = instance({});
    const s = { ...snapshot({ instances: [drained, fresh], runners: [], config: { ...HOOKS, jobEvidence: 'auto' } }), probe: { enabled: true, online: new Set([drained.id, fresh.id]) } };
    const [d1, d2] = decideOrphans(s);
    expect(d1).toMatchObject({ action: 'terminate', reason: 'drained', evidence: 'probe' });
    expect(d2).toMatchObject({ action: 'terminate', reason: 'orphan-confirmed', evidence: 'probe', setTags: firstSighting });
    expect([d1!.probeOptional, d2!.probeOptional]).toEqual([undefined, undefined]);
  });

  test('probe evidence: after MAX_JOB_DURATION_MINUTES without a registration, a missing probe answer no longer holds it', () => {
    const drained = instance({ tags: { [TAG.drainingSince]: isoAgo({ minutes: 361 }) } });
    const orphan = instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 360 }) } });
    const young = instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 359 }) } });
    const s = { ...snapshot({ instances: [drained, orphan, young], runners: [], config: { ...HOOKS, jobEvidence: 'auto' } }), probe: { enabled: true, online: new Set([drained.id, orphan.id, young.id]) } };
    expect(decideOrphans(s).map((d) => d.probeOptional)).toEqual([true, true, undefined]);
  });
});

describe('decideOrphans: hooks where SSM reaches too (the job-started hook lags a job by its set-up)', () => {
  const AUTO: Partial<Config> = { ...HOOKS, jobEvidence: 'auto' };
  const reached = (instances: InstanceView[], online = instances.map((i) => i.id), mode = AUTO) => ({
    ...snapshot({ instances, runners: [], config: mode }),
    probe: { enabled: true, online: new Set(online) },
  });

  test('drained instances and first sightings ask the probe too; the orphan mark is kept for a failing probe', () => {
    const drained = instance({ tags: { ...MARKER, [TAG.drainingSince]: isoAgo({ seconds: 30 }) } });
    const fresh = instance({ tags: MARKER });
    const [d1, d2] = decideOrphans(reached([drained, fresh]));
    expect(d1).toMatchObject({ action: 'terminate', reason: 'drained', evidence: 'hooks', probeToo: true });
    expect(d2).toMatchObject({ action: 'terminate', reason: 'orphan-confirmed', evidence: 'hooks', probeToo: true, setTags: firstSighting });
    expect([d1!.probeOptional, d2!.probeOptional]).toEqual([undefined, undefined]);
    expect(d2!.message).toContain('the probe is asked too');
  });

  test('after a second sighting with no job since the first, a missing probe answer no longer holds it', () => {
    const drained = instance({ tags: { ...MARKER, [TAG.drainingSince]: isoAgo({ seconds: 60 }) } });
    const orphan = instance({ tags: { ...MARKER, [TAG.reaperOrphanSince]: isoAgo({ minutes: 5 }) } });
    const young = instance({ tags: { ...MARKER, [TAG.reaperOrphanSince]: isoAgo({ seconds: 59 }) } });
    const jobSince = instance({ tags: { ...MARKER, [TAG.reaperOrphanSince]: isoAgo({ minutes: 5 }), [TAG.lastJobCompletedAt]: isoAgo({ minutes: 1 }) } });
    const decisions = decideOrphans(reached([drained, orphan, young, jobSince]));
    expect(decisions.map((d) => [d.reason, d.probeToo, d.probeOptional])).toEqual([
      ['drained', true, true],
      ['orphan-confirmed', true, true],
      ['orphan-confirmed', true, undefined],
      // A job ran since the first sighting: not a quiet second sighting, so the probe must answer.
      ['orphan-confirmed', true, undefined],
    ]);
  });

  test.each([
    ['SSM cannot reach it', false, AUTO],
    ['JOB_EVIDENCE=hooks', true, HOOKS],
  ])('hooks without the probe when %s: terminated on the hooks alone, no probe asked', (_name, online, mode) => {
    const hooked = instance({ tags: MARKER });
    const [d] = decideOrphans(reached([hooked], online ? [hooked.id] : [], mode));
    expect(d).toMatchObject({ action: 'terminate', reason: 'orphan-confirmed', evidence: 'hooks' });
    expect(d!.probeToo).toBeUndefined();
    expect(d!.setTags).toBeUndefined();
  });

  test('an overdue ghr:job is cut short without asking the probe: the decision is about that job, not about "no job"', () => {
    const overdue = instance({ tags: { ...MARKER, [TAG.job]: '1/x', [TAG.reaperOrphanSince]: isoAgo({ minutes: 361 }) } });
    const [d] = decideOrphans(reached([overdue]));
    expect(d).toMatchObject({ action: 'terminate', reason: 'max-job-duration-exceeded', evidence: 'hooks' });
    expect(d!.probeToo).toBeUndefined();
  });
});

describe('decideOrphans: bounds on what is held without registration and evidence (issue 9, point 7)', () => {
  const hold = (maxMinutes: number, maxInstances = 0): Partial<Config> => ({ ...OFF, unregisteredHold: { maxMinutes, maxInstances } });

  test('by default the hold is MAX_JOB_DURATION_MINUTES, and nothing is traded', () => {
    const d = decideOne({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 61 }) } }, OFF);
    expect([d.action, d.reason]).toEqual(['keep', 'waiting-max-job-duration']);
  });

  test.each([
    ['an orphan', { [TAG.reaperOrphanSince]: isoAgo({ minutes: 61 }) }],
    ['a drained instance', { [TAG.drainingSince]: isoAgo({ minutes: 61 }) }],
  ])('a shorter UNREGISTERED_HOLD_MINUTES terminates %s with its own reason', (_name, tags) => {
    const d = decideOne({ tags }, hold(60));
    expect([d.action, d.reason]).toEqual(['terminate', 'unregistered-hold-exceeded']);
    expect(d.message).toContain('UNREGISTERED_HOLD_MINUTES=60');
    expect(d.message).toContain('a job may still run');
    expect([decideOne({ tags }, hold(62)).reason]).toEqual(['waiting-max-job-duration']);
  });

  test('a hold longer than MAX_JOB_DURATION_MINUTES is capped by it', () => {
    const d = decideOne({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 361 }) } }, hold(1000));
    expect([d.action, d.reason]).toEqual(['terminate', 'orphan-confirmed']);
  });

  test('UNREGISTERED_HOLD_MAX_INSTANCES terminates the longest held beyond the limit, each with its own reason', () => {
    const held = [30, 90, 60, 10].map((minutes) => instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes }) } }));
    const withEvidence = instance({ tags: { ...MARKER, [TAG.reaperOrphanSince]: isoAgo({ seconds: 10 }) } });
    const decisions = decideOrphans(snapshot({ instances: [...held, withEvidence], runners: [], config: hold(360, 2) }));
    expect(decisions.map((d) => d.reason)).toEqual([
      'waiting-max-job-duration',
      'unregistered-hold-limit',
      'unregistered-hold-limit',
      'waiting-max-job-duration',
      'orphan-not-confirmed',
    ]);
    expect(decisions[1]).toMatchObject({ action: 'terminate', evidence: 'none' });
    expect(decisions[1]!.message).toContain('UNREGISTERED_HOLD_MAX_INSTANCES=2');
    expect(heldSummary(decisions, NOW)).toEqual({ count: 2, oldestSince: isoAgo({ minutes: 30 }), oldestAgeSeconds: 1800 });
  });

  test('off by default: any number is held', () => {
    const held = [30, 90, 60].map((minutes) => instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes }) } }));
    const decisions = decideOrphans(snapshot({ instances: held, runners: [], config: OFF }));
    expect(decisions.every((d) => d.reason === 'waiting-max-job-duration')).toBe(true);
    expect(heldSummary(decisions, NOW)).toEqual({ count: 3, oldestSince: isoAgo({ minutes: 90 }), oldestAgeSeconds: 5400 });
    expect(heldSummary([], NOW)).toEqual({ count: 0 });
  });
});

describe('decideOrphans: owners', () => {
  test('repo and org owners are listed separately; a failed one keeps only its own', () => {
    const repoOrphan = instance({ owner: REPO, tags: longOrphan });
    const orgOrphan = instance({ owner: ORG, tags: longOrphan });
    const orgRegistered = instance({ owner: ORG });
    const decisions = decideOrphans(
      snapshot({
        instances: [repoOrphan, orgOrphan, orgRegistered],
        listings: [failedListing(REPO, 'HTTP 500'), listing(ORG, [runner({ for: orgRegistered }), runner({ for: repoOrphan })])],
        config: HOOKS,
      }),
    );
    expect(decisions.map((d) => [d.reason, d.owner])).toEqual([
      ['github-unavailable', REPO],
      ['orphan-confirmed', ORG],
      ['registered', ORG],
    ]);
  });

  test('a runner of another owner with a matching name does not register the instance', () => {
    const repoOrphan = instance({ owner: REPO, tags: longOrphan });
    const decisions = decideOrphans(
      snapshot({
        instances: [repoOrphan],
        listings: [listing(REPO, []), listing(ORG, [runner({ for: repoOrphan })])],
        config: HOOKS,
      }),
    );
    expect(decisions[0]).toMatchObject({ action: 'terminate', reason: 'orphan-confirmed', owner: REPO });
  });
});
