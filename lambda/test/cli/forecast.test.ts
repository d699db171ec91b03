import { decideOrphans, decideScaleDown, HOOKS_CONTRACT_VERSION, TAG, type Decision, type InstanceView, type Snapshot } from '../../src/core';
import { forecast, HORIZON_SECONDS, type Decide, type Forecast } from '../../src/cli/forecast';
import { ago, failedListing, instance, isoAgo, listing, NOW, ORG, registered, snapshot } from '../core/fixtures';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const at = (ms: number) => new Date(NOW.getTime() + ms);
/** The boot marker that makes an instance's hooks count as machine evidence. */
const HOOKS = { [TAG.jobHooks]: HOOKS_CONTRACT_VERSION };
const PROBE_CONFIG = { jobEvidence: 'auto' as const, probe: { documentName: 'probe', timeoutSeconds: 10 } };

/** A snapshot in which SSM says these instances can be probed. */
function withProbe(s: Snapshot, online: InstanceView[]): Snapshot {
  return { ...s, probe: { enabled: true, online: new Set(online.map((i) => i.id)) } };
}

function only(decide: Decide, s: Snapshot): Decision {
  return decide(s)[0]!;
}

function forecastOf(decide: Decide, s: Snapshot): Forecast {
  return forecast(decide, s, s.instances[0]!, only(decide, s));
}

/** Replays the forecast's bookkeeping with the real core and checks it acts exactly then, and not a second before. */
function expectCoreAgrees(decide: Decide, s: Snapshot, f: Forecast): void {
  if (f.kind !== 'acts-later') throw new Error(`expected acts-later, got ${f.kind}`);
  let inst: InstanceView = s.instances[0]!;
  const apply = (d: Pick<Decision, 'setTags' | 'removeTags'>) => {
    const tags = { ...inst.tags };
    for (const k of d.removeTags ?? []) delete tags[k];
    inst = { ...inst, tags: { ...tags, ...(d.setTags ?? {}) } };
  };
  apply(only(decide, s));
  for (const step of f.steps.slice(0, -1)) apply(step);
  const finalAt = f.at.getTime();
  const before = only(decide, { ...s, now: new Date(finalAt - SECOND), instances: [inst] });
  const then = only(decide, { ...s, now: new Date(finalAt), instances: [inst] });
  if (finalAt - SECOND >= NOW.getTime() && f.steps.length > 0) expect(before.action).toBe('keep');
  expect({ action: then.action, reason: then.reason }).toEqual({ action: f.action, reason: f.reason });
}

describe('forecast: scale-down', () => {
  it('acts now when the core acts now', () => {
    const { instance: i, runner: r } = registered({ tags: { [TAG.idleSince]: isoAgo({ minutes: 10 }) } });
    expect(forecastOf(decideScaleDown, snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks' } }))).toEqual({ kind: 'acts-now' });
  });

  it('with hooks evidence, the first idle sighting is a reclaim on this run', () => {
    const { instance: i, runner: r } = registered({ tags: HOOKS });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    expect(only(decideScaleDown, s)).toMatchObject({ action: 'reclaim', reason: 'idle-confirmed', evidence: 'hooks' });
    expect(forecastOf(decideScaleDown, s)).toEqual({ kind: 'acts-now' });
  });

  it('without machine evidence, a first idle sighting: the run writes ghr:idle-since now and reclaims two confirmations later', () => {
    // JOB_EVIDENCE=hooks, but no boot marker: the hooks are not proven to run.
    const { instance: i, runner: r } = registered();
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    expect(only(decideScaleDown, s)).toMatchObject({ reason: 'idle-first-sighting', evidence: 'none' });
    const f = forecastOf(decideScaleDown, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(120 * SECOND), action: 'reclaim', reason: 'idle-confirmed' });
    expect(f).not.toHaveProperty('probe');
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it('with the probe, reclaims on this run if the probe answers idle; with no answer, once the idle streak would confirm it alone', () => {
    const { instance: i, runner: r } = registered();
    const s = withProbe(snapshot({ instances: [i], runners: [r], config: { ...PROBE_CONFIG, idleConfirmationSeconds: 60 } }), [i]);
    const d = only(decideScaleDown, s);
    expect(d).toMatchObject({ action: 'reclaim', evidence: 'probe', setTags: { [TAG.idleSince]: NOW.toISOString() } });
    expect(d.probeOptional).toBeUndefined();
    const f = forecastOf(decideScaleDown, s);
    expect(f).toEqual({ kind: 'acts-now', probe: { withoutAnswer: false, withoutAnswerFrom: at(120 * SECOND) } });
    // The core agrees: with the mark this run writes, not a second sooner.
    const marked = { ...i, tags: { ...i.tags, ...d.setTags } };
    const decideAt = (ms: number) => only(decideScaleDown, { ...s, now: at(ms), instances: [marked] });
    expect(decideAt(119 * SECOND).probeOptional).toBeUndefined();
    expect(decideAt(120 * SECOND)).toMatchObject({ action: 'reclaim', probeOptional: true });
  });

  it('with the probe and no confirmation at all: the clock this run starts already lets a missing answer pass on the next run', () => {
    const { instance: i, runner: r } = registered();
    const s = withProbe(snapshot({ instances: [i], runners: [r], config: { ...PROBE_CONFIG, idleConfirmationSeconds: 0 } }), [i]);
    expect(only(decideScaleDown, s).probeOptional).toBeUndefined();
    expect(forecastOf(decideScaleDown, s)).toEqual({ kind: 'acts-now', probe: { withoutAnswer: false, withoutAnswerFrom: NOW } });
  });

  it('with the probe and an idle streak already long enough, a missing answer no longer holds the reclaim back', () => {
    const { instance: i, runner: r } = registered({ tags: { [TAG.idleSince]: isoAgo({ minutes: 10 }) } });
    const s = withProbe(snapshot({ instances: [i], runners: [r], config: { ...PROBE_CONFIG, idleConfirmationSeconds: 60 } }), [i]);
    expect(only(decideScaleDown, s)).toMatchObject({ action: 'reclaim', probeOptional: true });
    expect(forecastOf(decideScaleDown, s)).toEqual({ kind: 'acts-now', probe: { withoutAnswer: true, withoutAnswerFrom: NOW } });
  });

  it('doubles the wait where JOB_EVIDENCE=off doubles the confirmation', () => {
    const { instance: i, runner: r } = registered();
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'off', idleConfirmationSeconds: 60 } });
    expect(forecastOf(decideScaleDown, s)).toMatchObject({ kind: 'acts-later', at: at(120 * SECOND) });
  });

  it('with no confirmation, the next run reclaims what this run marks', () => {
    const { instance: i, runner: r } = registered();
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 0 } });
    expect(forecastOf(decideScaleDown, s)).toMatchObject({ kind: 'acts-later', at: NOW, action: 'reclaim' });
  });

  it('an unconfirmed idle runner without machine evidence is reclaimed when its sighting is two confirmations old', () => {
    const { instance: i, runner: r } = registered({ tags: { [TAG.idleSince]: isoAgo({ seconds: 20 }) } });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    const f = forecastOf(decideScaleDown, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(100 * SECOND), action: 'reclaim' });
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it('a young instance with hooks evidence: reclaimed as soon as the minimum running time is over', () => {
    const { instance: i, runner: r } = registered({ launchTime: ago({ minutes: 2 }), tags: HOOKS });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    expect(only(decideScaleDown, s).reason).toBe('minimum-running-time');
    const f = forecastOf(decideScaleDown, s);
    if (f.kind !== 'acts-later') throw new Error(f.kind);
    expect(f.steps.map((step) => [step.reason, step.at.getTime() - NOW.getTime()])).toEqual([['idle-confirmed', 3 * MINUTE]]);
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it('a young instance without machine evidence: first sighting once the minimum running time is over, reclaim two confirmations after that', () => {
    const { instance: i, runner: r } = registered({ launchTime: ago({ minutes: 2 }) });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    expect(only(decideScaleDown, s).reason).toBe('minimum-running-time');
    const f = forecastOf(decideScaleDown, s);
    if (f.kind !== 'acts-later') throw new Error(f.kind);
    expect(f.steps.map((step) => [step.reason, step.at.getTime() - NOW.getTime()])).toEqual([
      ['idle-first-sighting', 3 * MINUTE],
      ['idle-confirmed', 5 * MINUTE],
    ]);
    expect(f.steps[0]!.setTags).toEqual({ [TAG.idleSince]: at(3 * MINUTE).toISOString() });
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it('a young instance with the probe: the reclaim once the minimum running time is over still waits for the probe, or for the streak', () => {
    const { instance: i, runner: r } = registered({ launchTime: ago({ minutes: 2 }) });
    const s = withProbe(snapshot({ instances: [i], runners: [r], config: { ...PROBE_CONFIG, idleConfirmationSeconds: 60 } }), [i]);
    const f = forecastOf(decideScaleDown, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(3 * MINUTE), action: 'reclaim', probe: { withoutAnswer: false, withoutAnswerFrom: at(5 * MINUTE) } });
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it('a runner whose DELETE failed waits out its back-off, then is reclaimed', () => {
    const { instance: i, runner: r } = registered({ tags: { ...HOOKS, [TAG.deleteFailures]: '2', [TAG.deleteFailedAt]: isoAgo({ minutes: 1 }) } });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks' } });
    expect(only(decideScaleDown, s).reason).toBe('delete-backoff');
    // Two failures: 5 min doubled, from the last failure a minute ago.
    const f = forecastOf(decideScaleDown, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(9 * MINUTE), action: 'reclaim', reason: 'idle-confirmed' });
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it('ghr:job of unknown start on a runner GitHub calls idle: bounded by MAX_JOB_DURATION_MINUTES from this first sighting (stale-job-evidence)', () => {
    const { instance: i, runner: r } = registered({ tags: { [TAG.job]: '42/build' } });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', maxJobDurationMinutes: 60 } });
    expect(only(decideScaleDown, s)).toMatchObject({ reason: 'job-evidence', setTags: { [TAG.idleSince]: NOW.toISOString() } });
    const f = forecastOf(decideScaleDown, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(60 * MINUTE), action: 'reclaim', reason: 'stale-job-evidence' });
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it.each([
    ['busy on GitHub', { busy: true }, {}],
    ['job evidence on a runner GitHub calls busy', { busy: true }, { ...HOOKS, [TAG.job]: '42/build' }],
    ['bypass tag', {}, { ...HOOKS, [TAG.bypassRemoval]: 'true' }],
  ])('holds while %s holds', (_what, runnerOverrides, tags) => {
    const { instance: i, runner: r } = registered({ tags }, runnerOverrides);
    expect(forecastOf(decideScaleDown, snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks' } }))).toEqual({ kind: 'holds', steps: [] });
  });

  it('holds while the owner listing fails', () => {
    const i = instance();
    const s = snapshot({ instances: [i], listings: [failedListing(ORG)] });
    expect(only(decideScaleDown, s).reason).toBe('github-unavailable');
    expect(forecastOf(decideScaleDown, s)).toEqual({ kind: 'holds', steps: [] });
  });

  it('does not tell a story the fleet decides: an idle-pool keeper', () => {
    const { instance: i, runner: r } = registered();
    const s = snapshot({ instances: [i], runners: [r], config: { idleConfig: [{ cron: '* * * * *', timeZone: 'UTC', idleCount: 1, evictionStrategy: 'oldest_first' }] } });
    expect(only(decideScaleDown, s).reason).toBe('idle-pool');
    expect(forecastOf(decideScaleDown, s)).toMatchObject({ kind: 'depends-on-fleet', why: expect.stringContaining('idle pool') });
  });

  it('leaves the snapshot and its instance untouched', () => {
    const { instance: i, runner: r } = registered();
    const s = snapshot({ instances: [i], runners: [r] });
    const tagsBefore = { ...i.tags };
    forecastOf(decideScaleDown, s);
    expect(i.tags).toEqual(tagsBefore);
    expect(s.instances).toEqual([i]);
    expect(s.now).toEqual(NOW);
  });

  it('finds a change up to the horizon and none beyond it', () => {
    const { instance: i, runner: r } = registered({ tags: { [TAG.idleSince]: NOW.toISOString() } });
    // Without machine evidence the confirmation is doubled: half the horizon, and a second more.
    const within = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: HORIZON_SECONDS / 2 } });
    expect(forecastOf(decideScaleDown, within)).toMatchObject({ kind: 'acts-later', at: at(HORIZON_SECONDS * SECOND) });
    const beyond = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: HORIZON_SECONDS / 2 + 1 } });
    expect(forecastOf(decideScaleDown, beyond)).toEqual({ kind: 'holds', steps: [] });
  });
});

describe('forecast: orphan-cleanup', () => {
  it('a first orphan sighting without machine evidence waits MAX_JOB_DURATION_MINUTES', () => {
    const i = instance();
    const s = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'off', idleConfirmationSeconds: 60, maxJobDurationMinutes: 360 } });
    expect(only(decideOrphans, s).reason).toBe('orphan-first-sighting');
    const f = forecastOf(decideOrphans, s);
    if (f.kind !== 'acts-later') throw new Error(f.kind);
    expect(f.steps.map((step) => [step.reason, step.at.getTime() - NOW.getTime()])).toEqual([
      ['waiting-max-job-duration', 60 * SECOND],
      ['orphan-confirmed', 360 * MINUTE],
    ]);
    expect(f).toMatchObject({ action: 'terminate', at: at(360 * MINUTE) });
    expectCoreAgrees(decideOrphans, s, f);
  });

  it('a booting instance with hooks evidence: terminated as soon as the boot time is over, no second sighting', () => {
    const i = instance({ launchTime: ago({ minutes: 1 }), tags: HOOKS });
    const s = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60, runnerBootTimeMinutes: 5 } });
    expect(only(decideOrphans, s).reason).toBe('booting');
    const f = forecastOf(decideOrphans, s);
    if (f.kind !== 'acts-later') throw new Error(f.kind);
    expect(f.steps.map((step) => [step.reason, step.at.getTime() - NOW.getTime()])).toEqual([['orphan-confirmed', 4 * MINUTE]]);
    expectCoreAgrees(decideOrphans, s, f);
  });

  it('a booting instance without machine evidence: first sighting after the boot time, then held MAX_JOB_DURATION_MINUTES', () => {
    const i = instance({ launchTime: ago({ minutes: 1 }) });
    const s = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60, runnerBootTimeMinutes: 5, maxJobDurationMinutes: 360 } });
    const f = forecastOf(decideOrphans, s);
    if (f.kind !== 'acts-later') throw new Error(f.kind);
    expect(f.steps.map((step) => [step.reason, step.at.getTime() - NOW.getTime()])).toEqual([
      ['orphan-first-sighting', 4 * MINUTE],
      ['waiting-max-job-duration', 5 * MINUTE],
      ['orphan-confirmed', 364 * MINUTE],
    ]);
    expect(f.steps[0]!.setTags).toEqual({ [TAG.reaperOrphanSince]: at(4 * MINUTE).toISOString() });
    expect(f).not.toHaveProperty('sooner');
    expectCoreAgrees(decideOrphans, s, f);
  });

  it('an unregistered instance with the probe: terminated on this run if the probe answers idle; with no answer, after MAX_JOB_DURATION_MINUTES', () => {
    const i = instance();
    const s = withProbe(snapshot({ instances: [i], runners: [], config: { ...PROBE_CONFIG, maxJobDurationMinutes: 60 } }), [i]);
    expect(only(decideOrphans, s)).toMatchObject({ action: 'terminate', evidence: 'probe', setTags: { [TAG.reaperOrphanSince]: NOW.toISOString() } });
    expect(forecastOf(decideOrphans, s)).toEqual({ kind: 'acts-now', probe: { withoutAnswer: false, withoutAnswerFrom: at(60 * MINUTE) } });
  });

  it("0.1.0's orphan marks: the time is carried over to ghr:reaper-orphan-since and the hold counts from it", () => {
    const since = isoAgo({ minutes: 20 });
    const i = instance({ tags: { [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: since } });
    const s = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'off', maxJobDurationMinutes: 60 } });
    expect(only(decideOrphans, s)).toMatchObject({
      reason: 'waiting-max-job-duration',
      heldSince: since,
      setTags: { [TAG.reaperOrphanSince]: since },
      removeTags: expect.arrayContaining([TAG.orphan, TAG.legacyOrphanSince]),
    });
    const f = forecastOf(decideOrphans, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(40 * MINUTE), action: 'terminate', reason: 'orphan-confirmed' });
    expectCoreAgrees(decideOrphans, s, f);
  });

  it('a held instance may go sooner where UNREGISTERED_HOLD_MAX_INSTANCES weighs the fleet, and the forecast says so', () => {
    const i = instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 20 }) } });
    const limited = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'off', maxJobDurationMinutes: 60, unregisteredHold: { maxMinutes: 60, maxInstances: 5 } } });
    expect(only(decideOrphans, limited).reason).toBe('waiting-max-job-duration');
    expect(forecastOf(decideOrphans, limited)).toMatchObject({ kind: 'acts-later', at: at(40 * MINUTE), sooner: 'unregistered-hold-limit' });
    const unlimited = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'off', maxJobDurationMinutes: 60, unregisteredHold: { maxMinutes: 60, maxInstances: 0 } } });
    expect(forecastOf(decideOrphans, unlimited)).not.toHaveProperty('sooner');
  });

  it('a shortened hold (UNREGISTERED_HOLD_MINUTES) ends with its own reason', () => {
    const i = instance({ tags: { [TAG.reaperOrphanSince]: isoAgo({ minutes: 20 }) } });
    const s = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'off', maxJobDurationMinutes: 60, unregisteredHold: { maxMinutes: 30, maxInstances: 0 } } });
    const f = forecastOf(decideOrphans, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(10 * MINUTE), action: 'terminate', reason: 'unregistered-hold-exceeded' });
    expectCoreAgrees(decideOrphans, s, f);
  });

  it('a job on an unregistered instance is cut only when older than MAX_JOB_DURATION_MINUTES', () => {
    const i = instance({ tags: { [TAG.job]: '7/test', [TAG.jobStartedAt]: isoAgo({ minutes: 50 }) } });
    const s = snapshot({ instances: [i], runners: [], config: { maxJobDurationMinutes: 60 } });
    expect(only(decideOrphans, s).reason).toBe('job-evidence');
    expect(forecastOf(decideOrphans, s)).toMatchObject({ kind: 'acts-later', at: at(10 * MINUTE), reason: 'max-job-duration-exceeded' });
  });

  it('a registered instance is never orphan-cleanup\'s', () => {
    const { instance: i, runner: r } = registered();
    const s = snapshot({ instances: [i], listings: [listing(ORG, [r])] });
    expect(forecastOf(decideOrphans, s)).toEqual({ kind: 'holds', steps: [] });
  });
});
