import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../src/adapters/ec2';
import type { GitHubPort } from '../../src/adapters/ports';
import { TAG, type Decision } from '../../src/core';
import { runScaleDown } from '../../src/executor/scale-down';
import { fakeEc2, type Ec2Fake } from '../helpers/ec2-fake';
import { ORG_PATH, idleRunner, reclaim, runnerTags, testConfig, testEnv, testGitHub } from '../helpers/fixtures';
import { startGitHubMock, type GitHubMock } from '../helpers/github-mock';

const ID = 'i-0000000000000aaaa';
const RUNNER_PATH = /\/actions\/runners\/101$/;

let github: GitHubMock;
let ec2: Ec2Fake;
let events: string[];

beforeEach(async () => {
  events = [];
  github = await startGitHubMock();
  github.onRequest = (r) => {
    if (r.path.includes('/actions/runners')) events.push(`${r.method} ${r.path}`);
  };
  ec2 = fakeEc2(events);
  ec2.add(ID, runnerTags(undefined, { [TAG.idleSince]: '2026-11-29T11:00:00.000Z' }));
  github.addRunner(ORG_PATH, { id: 101, name: `runner-${ID}` });
});

afterEach(async () => {
  ec2.mock.restore();
  await github.close();
});

function ports(options: Parameters<typeof testGitHub>[1] = {}) {
  return { ec2: new Ec2Adapter(ec2.client), github: testGitHub(github, options) };
}

const decision = (): Decision => reclaim(ID, idleRunner(101, ID));

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

describe('scale-down executor', () => {
  it('terminates an idle runner: GET, tag read, draining mark, DELETE, settle, re-check, terminate', async () => {
    const env = testEnv(testConfig());
    const report = await runScaleDown([decision()], ports(), env);

    const outcome = only(report.outcomes);
    expect(outcome).toMatchObject({ instanceId: ID, result: 'terminated', reason: 'idle-confirmed', runnerId: 101 });
    expect(env.sleeps).toEqual([15_000]);
    expect(events).toEqual([
      `GET /orgs/acme/actions/runners/101`,
      `CreateTags ${TAG.drainingSince} ${ID}`,
      `DELETE /orgs/acme/actions/runners/101`,
      `GET /orgs/acme/actions/runners/101`,
      `TerminateInstances ${ID}`,
    ]);
    expect(ec2.instances.get(ID)?.tags[TAG.drainingSince]).toBe('2026-11-29T12:00:00.000Z');
    expect(ec2.mock.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
  });

  it('with hooks evidence, skips the DELETE and the re-check GET but still settles and terminates when GitHub already forgot the runner', async () => {
    github.runners.set(ORG_PATH, []);
    const env = testEnv(testConfig({ jobEvidence: 'hooks' }));
    const report = await runScaleDown([{ ...decision(), evidence: 'hooks', environment: 'ci' }], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'terminated', evidence: 'hooks', environment: 'ci' });
    expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
    // A runner GitHub has forgotten cannot come back busy: no second GET (issue 11, point 3).
    expect(github.count('GET', RUNNER_PATH)).toBe(1);
    expect(env.sleeps).toEqual([15_000]);
  });

  it('without machine evidence, keeps an instance whose runner vanished (an ephemeral runner may have taken a job)', async () => {
    github.runners.set(ORG_PATH, []);
    // JOB_EVIDENCE=hooks, but this instance has no marker: its decision says evidence none.
    const env = testEnv(testConfig({ jobEvidence: 'hooks' }));
    const report = await runScaleDown([{ ...decision(), evidence: 'none' }], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'runner-vanished' });
    expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
    expect(ec2.mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps a runner that is busy at the first GET and ends its idle streak', async () => {
    (github.runner(ORG_PATH, 101) as { busy: boolean }).busy = true;
    const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'race-busy-before-delete' });
    expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(ec2.calls(CreateTagsCommand)).toHaveLength(0);
    expect(ec2.instances.get(ID)?.tags[TAG.idleSince]).toBeUndefined();
  });

  it('keeps an instance whose job tag appeared before the DELETE', async () => {
    (ec2.instances.get(ID) as { tags: Record<string, string> }).tags[TAG.job] = '77/build';
    const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'race-job-evidence-before-delete' });
    expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('keeps a runner GitHub refuses to delete (422) and removes the draining mark', async () => {
    github.intercept((r) =>
      r.method === 'DELETE' ? { status: 422, body: { message: 'Runner is currently running a job and cannot be deleted' } } : undefined,
    );
    const env = testEnv(testConfig());
    const report = await runScaleDown([decision()], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'race-delete-refused' });
    expect(ec2.instances.get(ID)?.tags[TAG.drainingSince]).toBeUndefined();
    expect(ec2.calls(DeleteTagsCommand).some((c) => c.Tags?.some((t) => t.Key === TAG.drainingSince))).toBe(true);
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(env.sleeps).toEqual([]);
    expect(github.count('DELETE', RUNNER_PATH)).toBe(1);
  });

  it('treats a 500 that says "running a job" as busy', async () => {
    github.intercept((r) =>
      r.method === 'DELETE' ? { status: 500, body: { message: 'Runner x may be actively running a job' } } : undefined,
    );
    const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'race-delete-refused' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(github.count('DELETE', RUNNER_PATH)).toBe(1);
  });

  it('does not terminate a runner that turns busy between deregistration and re-check', async () => {
    // GitHub answered 204 but the runner is still there and now runs a job.
    github.intercept((r) => (r.method === 'DELETE' ? { status: 204 } : undefined));
    const env = testEnv(testConfig(), () => {
      (github.runner(ORG_PATH, 101) as { busy: boolean }).busy = true;
    });
    const report = await runScaleDown([decision()], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'race-busy-after-delete', deregistered: true });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(ec2.instances.get(ID)?.tags[TAG.drainingSince]).toBeDefined();
  });

  it('does not terminate when the job hook tags the instance during the settle (re-check GET is 404)', async () => {
    const env = testEnv(testConfig(), () => {
      const tags = (ec2.instances.get(ID) as { tags: Record<string, string> }).tags;
      tags[TAG.job] = '88/test';
      tags[TAG.jobStartedAt] = '2026-11-29T12:00:05Z';
    });
    const report = await runScaleDown([decision()], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'race-job-evidence-after-delete' });
    expect(github.count('GET', RUNNER_PATH)).toBe(2);
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(ec2.instances.get(ID)?.tags[TAG.drainingSince]).toBeDefined();
  });

  it('keeps the job-evidence guard with JOB_EVIDENCE=off as well', async () => {
    const env = testEnv(testConfig({ jobEvidence: 'off' }), () => {
      (ec2.instances.get(ID) as { tags: Record<string, string> }).tags[TAG.job] = '88/test';
    });
    const report = await runScaleDown([decision()], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'race-job-evidence-after-delete' });
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  describe('every failure keeps', () => {
    it('first GET fails with 503 (after read retries)', async () => {
      github.intercept((r) => (r.method === 'GET' && RUNNER_PATH.test(r.path) ? { status: 503, body: { message: 'unavailable' } } : undefined));
      const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error' });
      expect(github.count('GET', RUNNER_PATH)).toBe(3);
      expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
      expect(ec2.writes()).toBe(0);
    });

    it('first GET times out', async () => {
      github.intercept((r) => (r.method === 'GET' && RUNNER_PATH.test(r.path) ? { status: 200, body: {}, delayMs: 2000 } : undefined));
      const report = await runScaleDown([decision()], ports({ requestTimeoutMs: 50 }), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error' });
      expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
      expect(ec2.writes()).toBe(0);
    });

    it('malformed runner JSON', async () => {
      github.intercept((r) =>
        r.method === 'GET' && RUNNER_PATH.test(r.path) ? { status: 200, raw: '{"id": 101, "name": "x", "busy": "no"' } : undefined,
      );
      const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error' });
      expect(ec2.writes()).toBe(0);
    });

    it('the tag read before the DELETE fails', async () => {
      ec2.mock.on(DescribeInstancesCommand).rejects(new Error('throttled'));
      const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'aws-error' });
      expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
      expect(ec2.writes()).toBe(0);
    });

    it('writing the draining mark fails', async () => {
      ec2.mock.on(CreateTagsCommand).rejects(new Error('UnauthorizedOperation'));
      const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'aws-error' });
      expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
      expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    });

    it('DELETE fails with 503: sent once, never retried, draining mark stays', async () => {
      github.intercept((r) => (r.method === 'DELETE' ? { status: 503, body: { message: 'unavailable' } } : undefined));
      const env = testEnv(testConfig());
      const report = await runScaleDown([decision()], ports(), env);
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error', deregistered: true });
      expect(github.count('DELETE', RUNNER_PATH)).toBe(1);
      expect(ec2.instances.get(ID)?.tags[TAG.drainingSince]).toBeDefined();
      expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
      expect(env.sleeps).toEqual([]);
    });

    it('DELETE hits a secondary rate limit: not retried', async () => {
      github.intercept((r) =>
        r.method === 'DELETE'
          ? { status: 403, body: { message: 'You have exceeded a secondary rate limit' }, headers: { 'retry-after': '1' } }
          : undefined,
      );
      const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error' });
      expect(github.count('DELETE', RUNNER_PATH)).toBe(1);
      expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    });

    it('DELETE times out: sent once, kept', async () => {
      github.intercept((r) => (r.method === 'DELETE' ? { status: 204, delayMs: 2000 } : undefined));
      const report = await runScaleDown([decision()], ports({ requestTimeoutMs: 50 }), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error' });
      expect(github.count('DELETE', RUNNER_PATH)).toBe(1);
      expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    });

    it('the re-check GET fails', async () => {
      let gets = 0;
      github.intercept((r) => {
        if (r.method !== 'GET' || !RUNNER_PATH.test(r.path)) return undefined;
        gets++;
        return gets > 1 ? { status: 502, body: { message: 'bad gateway' } } : undefined;
      });
      const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error', deregistered: true });
      expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    });

    it('the tag read after the settle fails', async () => {
      const env = testEnv(testConfig(), () => {
        ec2.mock.on(DescribeInstancesCommand).rejects(new Error('RequestLimitExceeded'));
      });
      const report = await runScaleDown([decision()], ports(), env);
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'aws-error', deregistered: true });
      expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    });

    it('TerminateInstances fails: draining mark stays for orphan-cleanup', async () => {
      ec2.mock.on(TerminateInstancesCommand).rejects(new Error('InternalError'));
      const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
      expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'aws-error', deregistered: true });
      expect(ec2.instances.get(ID)?.tags[TAG.drainingSince]).toBeDefined();
    });
  });

  it('dry run: the same GETs and first-sighting marks, no draining mark, no DELETE, no termination', async () => {
    const keep: Decision = {
      instanceId: 'i-0000000000000bbbb',
      action: 'keep',
      reason: 'idle-first-sighting',
      message: 'Kept: first idle sighting.',
      setTags: { [TAG.idleSince]: '2026-11-29T12:00:00.000Z' },
    };
    const env = testEnv(testConfig({ dryRun: true }));
    const report = await runScaleDown([decision(), keep], ports(), env);
    ec2.add('i-0000000000000bbbb', runnerTags());
    expect(report.outcomes.find((o) => o.instanceId === ID)).toMatchObject({ result: 'kept', reason: 'dry-run' });
    expect(github.count('GET', RUNNER_PATH)).toBe(1);
    expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
    // The bookkeeping a real run would write, so the second dry cycle shows real reclaims (issue 10, point 12).
    expect(ec2.calls(CreateTagsCommand)).toEqual([
      { Resources: ['i-0000000000000bbbb'], Tags: [{ Key: TAG.idleSince, Value: '2026-11-29T12:00:00.000Z' }] },
    ]);
    expect(ec2.instances.get(ID)?.tags[TAG.drainingSince]).toBeUndefined();
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(env.sleeps).toEqual([]);
  });

  it('applies bookkeeping from keep decisions in one call per identical tag set', async () => {
    const ids = ['i-1', 'i-2', 'i-3', 'i-4'];
    for (const id of ids) ec2.add(id, runnerTags());
    const mark = { [TAG.idleSince]: '2026-11-29T12:00:00.000Z' };
    const decisions: Decision[] = [
      { instanceId: 'i-1', action: 'keep', reason: 'idle-first-sighting', message: 'm', setTags: mark },
      { instanceId: 'i-2', action: 'keep', reason: 'idle-first-sighting', message: 'm', setTags: { ...mark } },
      { instanceId: 'i-3', action: 'keep', reason: 'busy-on-github', message: 'm', removeTags: [TAG.idleSince] },
      { instanceId: 'i-4', action: 'keep', reason: 'job-evidence', message: 'm', removeTags: [TAG.idleSince] },
    ];
    const report = await runScaleDown(decisions, ports(), testEnv(testConfig()));
    expect(report.outcomes.map((o) => o.result)).toEqual(['kept', 'kept', 'kept', 'kept']);
    expect(ec2.calls(CreateTagsCommand)).toEqual([
      { Resources: ['i-1', 'i-2'], Tags: [{ Key: TAG.idleSince, Value: '2026-11-29T12:00:00.000Z' }] },
    ]);
    expect(ec2.calls(DeleteTagsCommand)).toEqual([{ Resources: ['i-3', 'i-4'], Tags: [{ Key: TAG.idleSince }] }]);
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('reports a failed bookkeeping call without acting on anything', async () => {
    ec2.mock.on(CreateTagsCommand).rejects(new Error('denied'));
    const decisions: Decision[] = [
      { instanceId: ID, action: 'keep', reason: 'idle-first-sighting', message: 'm', setTags: { [TAG.idleSince]: 'x' } },
    ];
    const report = await runScaleDown(decisions, ports(), testEnv(testConfig()));
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toContain('denied');
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'idle-first-sighting' });
  });

  it('keeps a reclaim decision that names no runner, and ignores terminate decisions', async () => {
    const bare: Decision = { instanceId: ID, action: 'reclaim', reason: 'idle-confirmed', message: 'm' };
    const foreign: Decision = { instanceId: 'i-9', action: 'terminate', reason: 'orphan-confirmed', message: 'm' };
    const report = await runScaleDown([bare, foreign], ports(), testEnv(testConfig()));
    expect(report.outcomes.map((o) => [o.instanceId, o.result])).toEqual([
      ['i-9', 'kept'],
      [ID, 'kept'],
    ]);
    expect(github.requests).toHaveLength(0);
    expect(ec2.writes()).toBe(0);
  });

  it('works in batches of at most 1,000, each window of DELETEs settled and terminated on its own', async () => {
    const decisions: Decision[] = [];
    for (let i = 0; i < 1001; i++) {
      const id = `i-${String(i).padStart(17, '0')}`;
      ec2.add(id, runnerTags());
      decisions.push(reclaim(id, idleRunner(1000 + i, id)));
    }
    const deletes: number[] = [];
    const fakeGitHub: GitHubPort = {
      listRunners: async () => [],
      getRunner: async (_owner, id) => ({ kind: 'found', runner: idleRunner(id, `x-${id}`) }),
      deleteRunner: async (_owner, id) => {
        deletes.push(id);
        return { kind: 'deleted' };
      },
    };
    const env = testEnv(testConfig());
    const report = await runScaleDown(decisions, { ec2: new Ec2Adapter(ec2.client), github: fakeGitHub }, env);
    expect(env.sleeps).toEqual([15_000, 15_000]);
    // This clock stands still, so every window of a batch has settled after the batch's one sleep.
    const terminated = ec2.calls(TerminateInstancesCommand).map((c) => c.InstanceIds?.length ?? 0);
    expect(terminated).toEqual([...Array(200).fill(5), 1]);
    // The draining mark is written per look window, just ahead of its DELETEs.
    const marks = ec2.calls(CreateTagsCommand).map((c) => c.Resources?.length ?? 0);
    expect(marks.reduce((a, b) => a + b, 0)).toBe(1001);
    expect(Math.max(...marks)).toBe(5);
    expect(new Set(deletes).size).toBe(1001);
    expect(deletes).toHaveLength(1001);
    expect(report.outcomes.filter((o) => o.result === 'terminated')).toHaveLength(1001);
  });

  it('deregisters only as many runners as the invocation can still settle, re-check and terminate', async () => {
    const decisions: Decision[] = [];
    for (let i = 0; i < 4; i++) {
      const id = `i-late-${i}`;
      ec2.add(id, runnerTags());
      decisions.push(reclaim(id, idleRunner(500 + i, id)));
    }
    const deletes: number[] = [];
    const fakeGitHub: GitHubPort = {
      listRunners: async () => [],
      getRunner: async (_owner, id) => (deletes.includes(id) ? { kind: 'gone' } : { kind: 'found', runner: idleRunner(id, `x-${id}`) }),
      deleteRunner: async (_owner, id) => {
        deletes.push(id);
        return { kind: 'deleted' };
      },
    };
    const gets: number[] = [];
    const counting: GitHubPort = { ...fakeGitHub, getRunner: async (owner, id) => (gets.push(id), fakeGitHub.getRunner(owner, id)) };
    // Settle (15 s) + reserve (30 s of work + 20 s of GitHub's worst-case wait, capped)
    // + one look (1 s) + room for two DELETEs of 500 ms.
    const env = { ...testEnv(testConfig()), remainingMs: () => 15_000 + 50_000 + 1_000 + 1_200 };
    const report = await runScaleDown(decisions, { ec2: new Ec2Adapter(ec2.client), github: counting }, env);
    expect(deletes).toEqual([500, 501]);
    // Decided before looking: no GET for a runner the run defers (issue 10, point 14).
    expect(gets.filter((id) => id >= 502)).toEqual([]);
    expect(report.outcomes.map((o) => [o.instanceId, o.result, o.reason]).sort()).toEqual([
      ['i-late-0', 'terminated', 'idle-confirmed'],
      ['i-late-1', 'terminated', 'idle-confirmed'],
      ['i-late-2', 'kept', 'deferred'],
      ['i-late-3', 'kept', 'deferred'],
    ]);
    expect(report.outcomes.find((o) => o.instanceId === 'i-late-2')?.message).toContain('next run');
    expect(ec2.instances.get('i-late-2')?.tags[TAG.drainingSince]).toBeUndefined();
  });

  it('acts on nothing, and asks GitHub nothing, when no time is left', async () => {
    const env = { ...testEnv(testConfig()), remainingMs: () => 20_000 };
    const report = await runScaleDown([decision()], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'deferred' });
    expect(github.requests).toHaveLength(0);
    expect(ec2.writes()).toBe(0);
  });

  it('reserves the worst-case wait for GitHub after the settle (issue 10, point 17)', async () => {
    // Enough for the settle, 30 s of re-check and two DELETEs, but not for a re-check GET
    // that waits on a rate limit (capped at 20 s): nothing is deregistered.
    const env = { ...testEnv(testConfig()), remainingMs: () => 15_000 + 30_000 + 1_000 + 1_200 };
    const report = await runScaleDown([decision()], ports(), env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'deferred' });
    expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
  });

  it('keeps an instance EC2 re-reads without its tag set (issue 10, point 2)', async () => {
    ec2.mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: ID, LaunchTime: new Date('2026-11-29T10:00:00Z'), State: { Name: 'running' } }] }],
    });
    const report = await runScaleDown([decision()], ports(), testEnv(testConfig()));
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'aws-error' });
    expect(only(report.outcomes).message).toContain('partial EC2 answer');
    expect(github.count('DELETE', RUNNER_PATH)).toBe(0);
    expect(ec2.writes()).toBe(0);
  });

  it('terminates the rest of a batch when EC2 refuses one instance, and sets the refused one apart (issue 10, point 10)', async () => {
    const ids = ['i-0000000000000p001', 'i-0000000000000p002', 'i-0000000000000p003'];
    const decisions = ids.map((id, k) => {
      ec2.add(id, runnerTags());
      github.addRunner(ORG_PATH, { id: 300 + k, name: `runner-${id}` });
      return reclaim(id, idleRunner(300 + k, id));
    });
    ec2.mock.on(TerminateInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
      if (input.InstanceIds.includes(ids[1]!)) {
        throw Object.assign(new Error(`The instance '${ids[1]}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`), {
          name: 'OperationNotPermitted',
        });
      }
      for (const id of input.InstanceIds) ec2.instances.get(id)!.state = 'shutting-down';
      return { TerminatingInstances: input.InstanceIds.map((InstanceId) => ({ InstanceId })) };
    });
    const report = await runScaleDown(decisions, ports(), testEnv(testConfig()));
    expect(report.outcomes.map((o) => [o.instanceId, o.result, o.reason]).sort()).toEqual([
      [ids[0], 'terminated', 'idle-confirmed'],
      [ids[1], 'kept', 'termination-refused'],
      [ids[2], 'terminated', 'idle-confirmed'],
    ]);
    expect(ec2.instances.get(ids[1]!)?.tags[TAG.terminationRefusedAt]).toBe('2026-11-29T12:00:00.000Z');
    expect(ec2.instances.get(ids[1]!)?.tags[TAG.drainingSince]).toBeDefined();
    expect(ec2.calls(TerminateInstancesCommand).length).toBeLessThanOrEqual(5);
  });

  it('a re-check GET still waiting when the reserved wait is over counts as no answer: kept, and the run ends in time', async () => {
    const hanging: GitHubPort = {
      listRunners: async () => [],
      getRunner: (() => {
        let calls = 0;
        return async () => (++calls === 1 ? { kind: 'found' as const, runner: idleRunner(101, ID) } : new Promise<never>(() => {}));
      })(),
      deleteRunner: async () => ({ kind: 'deleted' }),
    };
    const env = { ...testEnv(testConfig()), githubWorstCaseWaitMs: 30 };
    const report = await runScaleDown([decision()], { ec2: new Ec2Adapter(ec2.client), github: hanging }, env);
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error', deregistered: true });
    expect(only(report.outcomes).message).toContain('no answer within');
    expect(ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('remembers a failed DELETE on the instance, so the runner backs off (issue 10, point 11)', async () => {
    github.intercept((r) => (r.method === 'DELETE' ? { status: 403, body: { message: 'Resource not accessible by integration' } } : undefined));
    const report = await runScaleDown([{ ...decision(), deleteFailures: 2 }], ports(), testEnv(testConfig()));
    expect(only(report.outcomes)).toMatchObject({ result: 'kept', reason: 'github-error', deregistered: true });
    expect(ec2.instances.get(ID)?.tags).toMatchObject({ [TAG.deleteFailures]: '3', [TAG.deleteFailedAt]: '2026-11-29T12:00:00.000Z' });
  });
});
