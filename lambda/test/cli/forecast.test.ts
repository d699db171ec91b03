import { decideOrphans, decideScaleDown, TAG, type Decision, type InstanceView, type Snapshot } from '../../src/core';
import { forecast, HORIZON_SECONDS, type Decide, type Forecast } from '../../src/cli/forecast';
import { ago, failedListing, instance, isoAgo, listing, NOW, ORG, registered, snapshot } from '../core/fixtures';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const at = (ms: number) => new Date(NOW.getTime() + ms);

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

  it('a first idle sighting: the run writes ghr:idle-since now and reclaims one confirmation later', () => {
    const { instance: i, runner: r } = registered();
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    expect(only(decideScaleDown, s).reason).toBe('idle-first-sighting');
    const f = forecastOf(decideScaleDown, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(60 * SECOND), action: 'reclaim', reason: 'idle-confirmed' });
    expectCoreAgrees(decideScaleDown, s, f);
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

  it('an unconfirmed idle runner is reclaimed when its sighting is old enough', () => {
    const { instance: i, runner: r } = registered({ tags: { [TAG.idleSince]: isoAgo({ seconds: 20 }) } });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    const f = forecastOf(decideScaleDown, s);
    expect(f).toMatchObject({ kind: 'acts-later', at: at(40 * SECOND), action: 'reclaim' });
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it('a young instance: first sighting once the minimum running time is over, reclaim a confirmation after that', () => {
    const { instance: i, runner: r } = registered({ launchTime: ago({ minutes: 2 }) });
    const s = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60 } });
    expect(only(decideScaleDown, s).reason).toBe('minimum-running-time');
    const f = forecastOf(decideScaleDown, s);
    if (f.kind !== 'acts-later') throw new Error(f.kind);
    expect(f.steps.map((step) => [step.reason, step.at.getTime() - NOW.getTime()])).toEqual([
      ['idle-first-sighting', 3 * MINUTE],
      ['idle-confirmed', 4 * MINUTE],
    ]);
    expect(f.steps[0]!.setTags).toEqual({ [TAG.idleSince]: at(3 * MINUTE).toISOString() });
    expectCoreAgrees(decideScaleDown, s, f);
  });

  it.each([
    ['busy on GitHub', { busy: true }, {}],
    ['job evidence', {}, { [TAG.job]: '42/build' }],
    ['bypass tag', {}, { [TAG.bypassRemoval]: 'true' }],
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
    const within = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: HORIZON_SECONDS } });
    expect(forecastOf(decideScaleDown, within)).toMatchObject({ kind: 'acts-later', at: at(HORIZON_SECONDS * SECOND) });
    const beyond = snapshot({ instances: [i], runners: [r], config: { jobEvidence: 'hooks', idleConfirmationSeconds: HORIZON_SECONDS + 1 } });
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

  it('a booting instance: first sighting after the boot time, terminate a confirmation later (hooks)', () => {
    const i = instance({ launchTime: ago({ minutes: 1 }) });
    const s = snapshot({ instances: [i], runners: [], config: { jobEvidence: 'hooks', idleConfirmationSeconds: 60, runnerBootTimeMinutes: 5 } });
    expect(only(decideOrphans, s).reason).toBe('booting');
    const f = forecastOf(decideOrphans, s);
    if (f.kind !== 'acts-later') throw new Error(f.kind);
    expect(f.steps.map((step) => [step.reason, step.at.getTime() - NOW.getTime()])).toEqual([
      ['orphan-first-sighting', 4 * MINUTE],
      ['orphan-confirmed', 5 * MINUTE],
    ]);
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
