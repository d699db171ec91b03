import type { Config } from '../../src/config/schema';
import { decideOrphans } from '../../src/core/orphan';
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

const firstSighting = { [TAG.orphan]: 'true', [TAG.orphanSince]: NOW_ISO };
/** Unregistered for longer than every threshold of both modes. */
const longOrphan = { [TAG.orphan]: 'true', [TAG.orphanSince]: isoAgo({ hours: 7 }) };

const sameInBothModes: [string, Case, Expected][] = [
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
  // 2. registered
  ['registered, marks dropped', { registered: {}, tags: longOrphan }, { action: 'keep', reason: 'registered', removeTags: [TAG.orphan, TAG.orphanSince] }],
  ['registered, nothing to drop', { registered: {} }, { action: 'keep', reason: 'registered' }],
  ['registered beats draining', { registered: {}, tags: { [TAG.drainingSince]: isoAgo({ days: 1 }) } }, { action: 'keep', reason: 'registered' }],
  ['registered beats an overdue job', { registered: { busy: true }, tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ days: 2 }) } }, { action: 'keep', reason: 'registered' }],
  ['registered by ghr:github_runner_id', { registered: { id: 777, name: 'jit' }, tags: { [TAG.githubRunnerId]: '777', ...longOrphan } }, { action: 'keep', reason: 'registered', removeTags: [TAG.orphan, TAG.orphanSince] }],
  // 3. job evidence, bounded by MAX_JOB_DURATION_MINUTES (360)
  ['job running for 1 hour', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ hours: 1 }), ...longOrphan } }, { action: 'keep', reason: 'job-evidence' }],
  ['job running for 359m59s', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 359, seconds: 59 }) } }, { action: 'keep', reason: 'job-evidence' }],
  ['job running for exactly 360 minutes', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 360 }) } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job running for 2 days', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ days: 2 }) } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job without start time, old draining mark', { tags: { [TAG.job]: '1/a', [TAG.drainingSince]: isoAgo({ minutes: 361 }) } }, { action: 'terminate', reason: 'max-job-duration-exceeded' }],
  ['job without start time, recent draining mark', { tags: { [TAG.job]: '1/a', [TAG.drainingSince]: isoAgo({ minutes: 10 }) } }, { action: 'keep', reason: 'job-evidence' }],
  ['job without any time', { tags: { [TAG.job]: '1/a', ...longOrphan } }, { action: 'keep', reason: 'job-evidence' }],
  ['job with unparsable start time keeps, even with an old draining mark', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: 'soon', [TAG.drainingSince]: isoAgo({ days: 3 }) } }, { action: 'keep', reason: 'job-evidence' }],
  ['job with a recent start beats an old draining mark', { tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 3 }), [TAG.drainingSince]: isoAgo({ days: 3 }) } }, { action: 'keep', reason: 'job-evidence' }],
  ['job evidence beats booting', { launchTime: ago({ minutes: 1 }), tags: { [TAG.job]: '1/a', [TAG.jobStartedAt]: isoAgo({ minutes: 1 }) } }, { action: 'keep', reason: 'job-evidence' }],
  // 5. booting (5 minutes)
  ['launched 4m59s ago', { launchTime: ago({ minutes: 4, seconds: 59 }) }, { action: 'keep', reason: 'booting' }],
  ['launched 4m59s ago with an old orphan mark', { launchTime: ago({ minutes: 4, seconds: 59 }), tags: longOrphan }, { action: 'keep', reason: 'booting' }],
  ['launched exactly 5 minutes ago', { launchTime: ago({ minutes: 5 }) }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }],
  ['invalid launch time', { launchTime: new Date(Number.NaN) }, { action: 'keep', reason: 'booting' }],
  // 6. first sighting
  ['no orphan-since', {}, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }],
  ['ghr:orphan=true without orphan-since', { tags: { [TAG.orphan]: 'true' } }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }],
  ['unparsable orphan-since', { tags: { [TAG.orphanSince]: 'a while ago' } }, { action: 'keep', reason: 'orphan-first-sighting', setTags: firstSighting }],
  // 7. a job since the sighting
  ['job started after orphan-since', { tags: { ...longOrphan, [TAG.jobStartedAt]: isoAgo({ hours: 1 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: firstSighting }],
  ['job completed after orphan-since', { tags: { ...longOrphan, [TAG.lastJobCompletedAt]: isoAgo({ minutes: 1 }) } }, { action: 'keep', reason: 'job-since-idle-sighting', setTags: firstSighting }],
  ['unparsable job time keeps', { tags: { ...longOrphan, [TAG.lastJobCompletedAt]: 'nope' } }, { action: 'keep', reason: 'malformed-tags' }],
  // 8. confirmation (60 s)
  ['orphan for 59 s', { tags: { [TAG.orphan]: 'true', [TAG.orphanSince]: isoAgo({ seconds: 59 }) } }, { action: 'keep', reason: 'orphan-not-confirmed' }],
  ['orphan-since in the future', { tags: { [TAG.orphan]: 'true', [TAG.orphanSince]: isoAgo({ seconds: -600 }) } }, { action: 'keep', reason: 'orphan-not-confirmed' }],
  // 10. long orphans go in both modes
  ['orphan for 7 hours', { tags: longOrphan }, { action: 'terminate', reason: 'orphan-confirmed' }],
  ['orphan for 7 hours, jobs long before', { tags: { ...longOrphan, [TAG.jobStartedAt]: isoAgo({ hours: 9 }), [TAG.lastJobCompletedAt]: isoAgo({ hours: 8 }) } }, { action: 'terminate', reason: 'orphan-confirmed' }],
];

describe.each([
  ['hooks', HOOKS],
  ['off', OFF],
])('decideOrphans, JOB_EVIDENCE=%s: rules that do not depend on the mode', (_mode, mode) => {
  test.each(sameInBothModes)('%s', (_name, c, expected) => {
    expectDecision(decideOne(c, mode), expected);
  });
});

describe('decideOrphans: rules that depend on the mode', () => {
  test.each([
    // 4. draining: hooks terminate at once; off waits MAX_JOB_DURATION_MINUTES
    ['hooks', 'draining for 1 minute', HOOKS, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, 'terminate', 'drained'],
    ['hooks', 'draining, launched a moment ago', HOOKS, { launchTime: ago({ minutes: 1 }), tags: { [TAG.drainingSince]: isoAgo({ seconds: 1 }) } }, 'terminate', 'drained'],
    ['off', 'draining for 1 minute', OFF, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'draining for 359m59s', OFF, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 359, seconds: 59 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'draining for exactly 360 minutes', OFF, { tags: { [TAG.drainingSince]: isoAgo({ minutes: 360 }) } }, 'terminate', 'drained'],
    ['off', 'draining for a day', OFF, { tags: { [TAG.drainingSince]: isoAgo({ days: 1 }) } }, 'terminate', 'drained'],
    // an unreadable draining mark: the slower orphan path instead
    ['hooks', 'unparsable draining mark, first sighting', HOOKS, { tags: { [TAG.drainingSince]: 'x' } }, 'keep', 'orphan-first-sighting'],
    ['off', 'unparsable draining mark, first sighting', OFF, { tags: { [TAG.drainingSince]: 'x' } }, 'keep', 'orphan-first-sighting'],
    // 8/9/10: confirmation, then in off mode the max job duration
    ['hooks', 'orphan for exactly 60 s', HOOKS, { tags: { [TAG.orphanSince]: isoAgo({ seconds: 60 }) } }, 'terminate', 'orphan-confirmed'],
    ['off', 'orphan for exactly 60 s', OFF, { tags: { [TAG.orphanSince]: isoAgo({ seconds: 60 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'orphan for 59 s', OFF, { tags: { [TAG.orphanSince]: isoAgo({ seconds: 59 }) } }, 'keep', 'orphan-not-confirmed'],
    ['off', 'orphan for 359m59s', OFF, { tags: { [TAG.orphanSince]: isoAgo({ minutes: 359, seconds: 59 }) } }, 'keep', 'waiting-max-job-duration'],
    ['off', 'orphan for exactly 360 minutes', OFF, { tags: { [TAG.orphanSince]: isoAgo({ minutes: 360 }) } }, 'terminate', 'orphan-confirmed'],
    ['off', 'orphan for 31 minutes, max 30', { ...OFF, maxJobDurationMinutes: 30 }, { tags: { [TAG.orphanSince]: isoAgo({ minutes: 31 }) } }, 'terminate', 'orphan-confirmed'],
  ] as const)('JOB_EVIDENCE=%s: %s', (_mode, _name, mode, c, action, reason) => {
    const d = decideOne(c as Case, mode);
    expect([d.action, d.reason]).toEqual([action, reason]);
  });

  test('the conservative mode is named where it makes the core wait', () => {
    const draining = decideOne({ tags: { [TAG.drainingSince]: isoAgo({ minutes: 1 }) } }, OFF);
    const orphan = decideOne({ tags: { [TAG.orphanSince]: isoAgo({ minutes: 10 }) } }, OFF);
    for (const d of [draining, orphan]) {
      expect(d.message).toContain('JOB_EVIDENCE=off');
      expect(d.message).toContain('360 minutes');
    }
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
