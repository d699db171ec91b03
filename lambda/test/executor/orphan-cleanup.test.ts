import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../src/adapters/ec2';
import type { GitHubPort } from '../../src/adapters/ports';
import { TAG, type Decision } from '../../src/core';
import { runOrphanCleanup } from '../../src/executor/orphan-cleanup';
import { fakeEc2, type Ec2Fake } from '../helpers/ec2-fake';
import { ORG, ORG_PATH, REPO, runnerTags, testConfig, testEnv, testGitHub } from '../helpers/fixtures';
import { startGitHubMock, type GitHubMock } from '../helpers/github-mock';

const ID = 'i-0000000000000cccc';
const DECIDED_AT = new Date('2026-11-29T12:00:00Z');
const LISTING = /\/actions\/runners$/;

let github: GitHubMock;
let ec2: Ec2Fake;

beforeEach(async () => {
  github = await startGitHubMock();
  ec2 = fakeEc2();
  ec2.add(ID, runnerTags(undefined, { [TAG.orphan]: 'true', [TAG.orphanSince]: '2026-11-29T10:00:00Z' }));
});

afterEach(async () => {
  ec2.mock.restore();
  await github.close();
});

const ports = (options: Parameters<typeof testGitHub>[1] = {}) => ({
  ec2: new Ec2Adapter(ec2.client),
  github: testGitHub(github, options),
});

const orphan = (reason: Decision['reason'] = 'orphan-confirmed', instanceId = ID): Decision => ({
  instanceId,
  action: 'terminate',
  reason,
  message: 'Orphan confirmed.',
  owner: ORG,
});

const tagsOf = (id: string) => (ec2.instances.get(id) as { tags: Record<string, string> }).tags;

describe('orphan-cleanup executor', () => {
  it('settles once, re-reads and re-lists, then terminates a confirmed orphan', async () => {
    const env = testEnv(testConfig());
    const report = await runOrphanCleanup([orphan()], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes).toEqual([
      expect.objectContaining({ instanceId: ID, result: 'terminated', reason: 'orphan-confirmed' }),
    ]);
    expect(env.sleeps).toEqual([15_000]);
    expect(github.count('GET', LISTING)).toBe(1);
    expect(ec2.calls(TerminateInstancesCommand)).toEqual([{ InstanceIds: [ID] }]);
  });

  it('keeps an instance whose job hook fires during the settle', async () => {
    const env = testEnv(testConfig(), () => {
      tagsOf(ID)[TAG.job] = '9/deploy';
    });
    const report = await runOrphanCleanup([orphan()], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'job-evidence' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps an instance whose last job completed after the decision', async () => {
    const env = testEnv(testConfig(), () => {
      tagsOf(ID)[TAG.lastJobCompletedAt] = '2026-11-29T12:00:10Z';
    });
    const report = await runOrphanCleanup([orphan()], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'job-evidence' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps an instance whose runner registered again during the settle', async () => {
    const env = testEnv(testConfig(), () => {
      github.addRunner(ORG_PATH, { id: 7, name: `runner-${ID}` });
    });
    const report = await runOrphanCleanup([orphan()], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'race-registered-again' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('terminates an overdue job (max-job-duration-exceeded) although ghr:job is still set', async () => {
    tagsOf(ID)[TAG.job] = '1/stuck';
    tagsOf(ID)[TAG.jobStartedAt] = '2026-11-28T00:00:00Z';
    const report = await runOrphanCleanup([orphan('max-job-duration-exceeded')], ports(), testEnv(testConfig()), {
      decidedAt: DECIDED_AT,
    });
    expect(report.outcomes[0]).toMatchObject({ result: 'terminated', reason: 'max-job-duration-exceeded' });
  });

  it('keeps an overdue job when a new job started after the decision', async () => {
    tagsOf(ID)[TAG.job] = '1/stuck';
    const env = testEnv(testConfig(), () => {
      tagsOf(ID)[TAG.job] = '2/new';
      tagsOf(ID)[TAG.jobStartedAt] = '2026-11-29T12:00:03Z';
    });
    const report = await runOrphanCleanup([orphan('max-job-duration-exceeded')], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'job-evidence' });
  });

  it('keeps everything when the re-listing fails', async () => {
    github.intercept((r) => (LISTING.test(r.path) ? { status: 500, body: { message: 'boom' } } : undefined));
    const report = await runOrphanCleanup([orphan()], ports(), testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'github-error' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps everything when the re-listing is malformed', async () => {
    github.intercept((r) => (LISTING.test(r.path) ? { status: 200, body: { total_count: 1, runners: [{ id: 'x' }] } } : undefined));
    const report = await runOrphanCleanup([orphan()], ports(), testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'github-error' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps everything when the instances cannot be re-read', async () => {
    const env = testEnv(testConfig(), () => {
      ec2.mock.on(DescribeInstancesCommand).rejects(new Error('throttled'));
    });
    const report = await runOrphanCleanup([orphan()], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'aws-error' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps an instance that vanished or stopped during the settle', async () => {
    ec2.add('i-gone', runnerTags());
    const env = testEnv(testConfig(), () => {
      ec2.instances.delete('i-gone');
      (ec2.instances.get(ID) as { state: string }).state = 'stopping';
    });
    const report = await runOrphanCleanup([orphan(), orphan('orphan-confirmed', 'i-gone')], ports(), env, {
      decidedAt: DECIDED_AT,
    });
    expect(report.outcomes.map((o) => [o.instanceId, o.reason])).toEqual([
      [ID, 'not-running'],
      ['i-gone', 'aws-error'],
    ]);
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps a terminate decision without an owner', async () => {
    const { owner: _owner, ...ownerless } = orphan();
    const report = await runOrphanCleanup([ownerless], ports(), testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'missing-owner-tag' });
  });

  it('reports a failed termination as kept', async () => {
    ec2.mock.on(TerminateInstancesCommand).rejects(new Error('InternalError'));
    const report = await runOrphanCleanup([orphan()], ports(), testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'aws-error' });
  });

  it('dry run: no settle, no tags, no termination', async () => {
    const mark: Decision = {
      instanceId: 'i-new',
      action: 'keep',
      reason: 'orphan-first-sighting',
      message: 'm',
      setTags: { [TAG.orphan]: 'true', [TAG.orphanSince]: DECIDED_AT.toISOString() },
    };
    const env = testEnv(testConfig({ dryRun: true }));
    const report = await runOrphanCleanup([orphan(), mark], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes.find((o) => o.instanceId === ID)).toMatchObject({ result: 'kept', reason: 'dry-run' });
    expect(ec2.writes()).toBe(0);
    expect(env.sleeps).toEqual([]);
    expect(github.requests).toHaveLength(0);
  });

  it('marks orphans through bookkeeping and lists each affected owner once', async () => {
    ec2.add('i-repo', runnerTags(REPO));
    ec2.add('i-new', runnerTags());
    const mark: Decision = {
      instanceId: 'i-new',
      action: 'keep',
      reason: 'orphan-first-sighting',
      message: 'm',
      setTags: { [TAG.orphan]: 'true', [TAG.orphanSince]: DECIDED_AT.toISOString() },
    };
    const repoOrphan: Decision = { ...orphan('orphan-confirmed', 'i-repo'), owner: REPO };
    const report = await runOrphanCleanup([orphan(), repoOrphan, mark, { ...mark, action: 'reclaim' }], ports(), testEnv(testConfig()), {
      decidedAt: DECIDED_AT,
    });
    expect(tagsOf('i-new')[TAG.orphan]).toBe('true');
    expect(github.count('GET', /^\/orgs\/acme\/actions\/runners$/)).toBe(1);
    expect(github.count('GET', /^\/repos\/acme\/app\/actions\/runners$/)).toBe(1);
    expect(report.outcomes.filter((o) => o.result === 'terminated').map((o) => o.instanceId).sort()).toEqual([ID, 'i-repo']);
  });

  it('splits terminations into batches of at most 1,000 ids', async () => {
    const decisions: Decision[] = [];
    for (let i = 0; i < 1001; i++) {
      const id = `i-${String(i).padStart(17, '0')}`;
      ec2.add(id, runnerTags());
      decisions.push(orphan('orphan-confirmed', id));
    }
    const github: GitHubPort = {
      listRunners: async () => [],
      getRunner: async () => ({ kind: 'gone' }),
      deleteRunner: async () => ({ kind: 'gone' }),
    };
    const report = await runOrphanCleanup(decisions, { ec2: new Ec2Adapter(ec2.client), github }, testEnv(testConfig()), {
      decidedAt: DECIDED_AT,
    });
    expect(ec2.calls(TerminateInstancesCommand).map((c) => c.InstanceIds?.length)).toEqual([1000, 1]);
    expect(report.outcomes.filter((o) => o.result === 'terminated')).toHaveLength(1001);
  });
});
