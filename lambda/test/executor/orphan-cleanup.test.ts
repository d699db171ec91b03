import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../src/adapters/ec2';
import type { GitHubPort, ProbeRunPort } from '../../src/adapters/ports';
import { TAG, type Decision, type ProbeRead, type RunnerView } from '../../src/core';
import { runOrphanCleanup } from '../../src/executor/orphan-cleanup';
import { fakeEc2, type Ec2Fake } from '../helpers/ec2-fake';
import { ORG, ORG_PATH, REPO, runnerTags, testConfig, testEnv, testGitHub } from '../helpers/fixtures';
import { startGitHubMock, type GitHubMock } from '../helpers/github-mock';
import { MemoryEc2, RecordedClock, fleetTags } from '../helpers/memory-ports';

const ID = 'i-0000000000000cccc';
const DECIDED_AT = new Date('2026-11-29T12:00:00Z');
const LISTING = /\/actions\/runners$/;

let github: GitHubMock;
let ec2: Ec2Fake;

beforeEach(async () => {
  github = await startGitHubMock();
  ec2 = fakeEc2();
  ec2.add(ID, runnerTags(undefined, { [TAG.reaperOrphanSince]: '2026-11-29T10:00:00Z' }));
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

  it('dry run: first-sighting marks as a real run writes them, no settle, no termination (issue 10, point 12)', async () => {
    ec2.add('i-new', runnerTags());
    const mark: Decision = {
      instanceId: 'i-new',
      action: 'keep',
      reason: 'orphan-first-sighting',
      message: 'm',
      setTags: { [TAG.reaperOrphanSince]: DECIDED_AT.toISOString() },
    };
    const env = testEnv(testConfig({ dryRun: true }));
    const report = await runOrphanCleanup([orphan(), mark], ports(), env, { decidedAt: DECIDED_AT });
    expect(report.outcomes.find((o) => o.instanceId === ID)).toMatchObject({ result: 'kept', reason: 'dry-run' });
    expect(tagsOf('i-new')[TAG.reaperOrphanSince]).toBe(DECIDED_AT.toISOString());
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
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
      setTags: { [TAG.reaperOrphanSince]: DECIDED_AT.toISOString() },
    };
    const repoOrphan: Decision = { ...orphan('orphan-confirmed', 'i-repo'), owner: REPO };
    const report = await runOrphanCleanup([orphan(), repoOrphan, mark, { ...mark, action: 'reclaim' }], ports(), testEnv(testConfig()), {
      decidedAt: DECIDED_AT,
    });
    expect(tagsOf('i-new')[TAG.reaperOrphanSince]).toBe(DECIDED_AT.toISOString());
    expect(tagsOf('i-new')[TAG.orphan]).toBeUndefined();
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

  it('keeps an instance EC2 re-reads without its tag set (issue 10, point 2)', async () => {
    ec2.mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: ID, LaunchTime: new Date('2026-11-29T10:00:00Z'), State: { Name: 'running' } }] }],
    });
    const report = await runOrphanCleanup([orphan()], ports(), testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'aws-error' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('terminates the others when EC2 refuses one, records the refused one and its time (issue 10, point 10)', async () => {
    const ids = ['i-0000000000000d001', 'i-0000000000000d002', 'i-0000000000000d003', 'i-0000000000000d004'];
    for (const id of ids) ec2.add(id, runnerTags());
    ec2.mock.on(TerminateInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
      if (input.InstanceIds.includes(ids[2]!)) {
        throw Object.assign(new Error(`The instance '${ids[2]}' may not be terminated.`), { name: 'OperationNotPermitted' });
      }
      for (const id of input.InstanceIds) ec2.instances.get(id)!.state = 'shutting-down';
      return { TerminatingInstances: input.InstanceIds.map((InstanceId) => ({ InstanceId })) };
    });
    const report = await runOrphanCleanup(ids.map((id) => orphan('orphan-confirmed', id)), ports(), testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.outcomes.map((o) => [o.instanceId, o.reason])).toEqual([
      [ids[0], 'orphan-confirmed'],
      [ids[1], 'orphan-confirmed'],
      [ids[2], 'termination-refused'],
      [ids[3], 'orphan-confirmed'],
    ]);
    expect(report.outcomes.filter((o) => o.result === 'terminated')).toHaveLength(3);
    expect(tagsOf(ids[2]!)[TAG.terminationRefusedAt]).toBe('2026-11-29T12:00:00.000Z');
    // Bisection: the whole call, its halves, the half with the refusing instance split once more.
    expect(ec2.calls(TerminateInstancesCommand).map((c) => c.InstanceIds)).toEqual([ids, ids.slice(0, 2), ids.slice(2), [ids[2]], [ids[3]]]);
  });

  it('reports the instances held without registration or machine evidence', async () => {
    const held: Decision = { instanceId: 'i-held', action: 'keep', reason: 'waiting-max-job-duration', message: 'm.', heldSince: '2026-11-29T11:00:00.000Z' };
    const report = await runOrphanCleanup([held], ports(), testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.held).toEqual({ count: 1, oldestSince: '2026-11-29T11:00:00.000Z', oldestAgeSeconds: 3600 });
  });

  describe('the probe, where it is the evidence', () => {
    const answered = (busy: boolean, idleSince?: string): ProbeRead => ({
      kind: 'answered',
      busy,
      at: DECIDED_AT,
      detail: busy ? 'Runner.Worker 9' : 'idle',
      ...(idleSince ? { idleSince: new Date(idleSince) } : {}),
    });
    const probeOf = (answers: Record<string, ProbeRead>, rounds: string[][] = []): ProbeRunPort => ({
      probe: async (ids) => {
        rounds.push([...ids]);
        return new Map(ids.flatMap((id) => (answers[id] ? [[id, answers[id]!] as const] : [])));
      },
    });
    const probed = (id = ID, extra: Partial<Decision> = {}): Decision => ({ ...orphan('orphan-confirmed', id), evidence: 'probe', ...extra });

    test.each([
      ['idle', answered(false, '2026-11-29T11:00:00Z'), 'terminated', 'orphan-confirmed'],
      ['busy', answered(true), 'kept', 'probe-busy'],
      ['a job ended during the settle', answered(false, '2026-11-29T12:00:05Z'), 'kept', 'job-evidence'],
      ['no answer', undefined, 'kept', 'probe-error'],
    ] as const)('after the settle: %s', async (_name, answer, result, reason) => {
      const report = await runOrphanCleanup([probed()], { ...ports(), probe: probeOf(answer ? { [ID]: answer } : {}) }, testEnv(testConfig()), {
        decidedAt: DECIDED_AT,
      });
      expect(report.outcomes[0]).toMatchObject({ result, reason, evidence: 'probe' });
    });

    test('a probe without an answer does not hold an instance unregistered past MAX_JOB_DURATION_MINUTES', async () => {
      const report = await runOrphanCleanup([probed(ID, { probeOptional: true })], { ...ports(), probe: probeOf({}) }, testEnv(testConfig()), { decidedAt: DECIDED_AT });
      expect(report.outcomes[0]).toMatchObject({ result: 'terminated', reason: 'orphan-confirmed' });
      expect(report.outcomes[0]!.message).toContain('the probe gave no answer');
    });

    test.each([
      ['idle', answered(false, '2026-11-29T11:00:00Z'), {}, 'terminated', 'orphan-confirmed'],
      // An ephemeral runner that took a job left GitHub's list; its job-started hook runs after "Set up job".
      ['busy: a job still in its set-up, before its hook has tagged', answered(true), {}, 'kept', 'probe-busy'],
      ['no answer', undefined, {}, 'kept', 'probe-error'],
      ['no answer after a second sighting: the hooks alone', undefined, { probeOptional: true }, 'terminated', 'orphan-confirmed'],
    ] as const)('hooks with the probe too, after the settle: %s', async (_name, answer, extra, result, reason) => {
      const decision = { ...orphan(), evidence: 'hooks' as const, probeToo: true, ...extra };
      const rounds: string[][] = [];
      const report = await runOrphanCleanup([decision], { ...ports(), probe: probeOf(answer ? { [ID]: answer } : {}, rounds) }, testEnv(testConfig()), {
        decidedAt: DECIDED_AT,
      });
      expect(report.outcomes[0]).toMatchObject({ result, reason, evidence: 'hooks', probed: true });
      expect(rounds).toEqual([[ID]]);
      expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(result === 'terminated' ? 1 : 0);
    });

    test('one round for all probe instances, none for the others', async () => {
      for (const id of ['i-p1', 'i-p2', 'i-h1']) ec2.add(id, runnerTags());
      const rounds: string[][] = [];
      const idle = answered(false, '2026-11-29T11:00:00Z');
      const decisions = [probed('i-p1'), probed('i-p2'), { ...orphan('orphan-confirmed', 'i-h1'), evidence: 'hooks' as const }];
      const report = await runOrphanCleanup(decisions, { ...ports(), probe: probeOf({ 'i-p1': idle, 'i-p2': idle }, rounds) }, testEnv(testConfig()), {
        decidedAt: DECIDED_AT,
      });
      expect(rounds).toEqual([['i-p1', 'i-p2']]);
      expect(report.outcomes.every((o) => o.result === 'terminated')).toBe(true);
      expect(report.outcomes.map((o) => o.probed)).toEqual([true, true, undefined]);
    });
  });
});

describe('orphan-cleanup executor: the re-listing of a large fleet', () => {
  test('each owner is re-listed once and indexed once: work grows with candidates plus runners, not their product', async () => {
    const clock = new RecordedClock();
    const memory = new MemoryEc2(clock);
    const ids = Array.from({ length: 300 }, (_, k) => `i-${String(k).padStart(17, '0')}`);
    for (const id of ids) memory.add(id, fleetTags());
    let nameReads = 0;
    let listings = 0;
    // 100 of the candidates registered again during the settle, among 300 other runners.
    const names = [...ids.slice(0, 100).map((id) => `runner-${id}`), ...Array.from({ length: 300 }, (_, k) => `other-${k}`)];
    const github = {
      listRunners: async () => {
        listings += 1;
        return names.map((name, k) => {
          const r = { id: 1 + k, status: 'online', busy: false, labels: [] } as unknown as RunnerView;
          Object.defineProperty(r, 'name', { enumerable: true, get: () => ((nameReads += 1), name) });
          return r;
        });
      },
    } as unknown as GitHubPort;
    const decisions = ids.map((id) => orphan('orphan-confirmed', id));
    const report = await runOrphanCleanup(decisions, { ec2: memory, github }, testEnv(testConfig()), { decidedAt: DECIDED_AT });
    expect(report.outcomes.filter((o) => o.reason === 'race-registered-again')).toHaveLength(100);
    expect(report.outcomes.filter((o) => o.result === 'terminated')).toHaveLength(200);
    expect(listings).toBe(1);
    // A scan per candidate reads 300 x 400 names; an index a few per runner and per candidate.
    expect(nameReads).toBeLessThan(10 * (ids.length + names.length));
  });
});
