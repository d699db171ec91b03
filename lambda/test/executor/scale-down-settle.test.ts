/**
 * The scale-down executor's settles (issue 11): each window of DELETEs settles from its own
 * last DELETE, not the batch's, and where the probe answered before the DELETE the probe's
 * shorter settle applies, with the full one kept for whatever would be judged without it.
 * In-memory ports on a recorded clock (a sleep moves it on).
 */
import { TAG, type Decision, type EvidenceSource } from '../../src/core';
import type { ExecutorEnv } from '../../src/executor/outcome';
import { runScaleDown } from '../../src/executor/scale-down';
import { MAX_TERMINATE_CALLS } from '../../src/executor/terminate';
import { ENVIRONMENT, ORG, idleRunner, testConfig } from '../helpers/fixtures';
import { fleetTags, memoryWorld, type MemoryEc2, type MemoryGitHub, type MemoryProbe, type RecordedClock } from '../helpers/memory-ports';

let clock: RecordedClock;
let ec2: MemoryEc2;
let github: MemoryGitHub;
let probe: MemoryProbe;

beforeEach(() => ({ clock, ec2, github, probe } = memoryWorld()));

const SETTLE_MS = 15_000;
const PROBE_SETTLE_MS = 3_000;

/**
 * A sleep lets the re-checks already started run first (on this clock their calls take no
 * time), as they would while a real sleep waits.
 */
async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  clock.advance(ms);
}

function env(overrides: Partial<ExecutorEnv> = {}): ExecutorEnv {
  return {
    config: testConfig({ settleSeconds: SETTLE_MS / 1000, probe: { documentName: 'probe-doc', timeoutSeconds: 10, settleSeconds: PROBE_SETTLE_MS / 1000 } }),
    now: clock.now,
    sleep,
    ...overrides,
  };
}

function fleet(n: number, evidence: EvidenceSource, extra: Partial<Decision> = {}, first = 0): Decision[] {
  return Array.from({ length: n }, (_, k) => {
    const id = `i-${String(first + k).padStart(17, '0')}`;
    ec2.add(id, fleetTags(evidence === 'hooks' ? { [TAG.jobHooks]: '1' } : {}));
    const runner = github.add(idleRunner(1000 + first + k, id));
    return { instanceId: id, action: 'reclaim', reason: 'idle-confirmed', message: 'm.', owner: ORG, runner, evidence, environment: ENVIRONMENT, ...extra } as Decision;
  });
}

const ports = () => ({ ec2, github, probe });
const idle = () => ({ kind: 'answered' as const, busy: false, at: clock.now(), detail: 'no Runner.Worker' });

/** When each instance's runner was deleted and when the instance was terminated. */
function timesOf(instanceId: string): { deletedAt: number; terminatedAt: number | undefined } {
  const runnerId = String(1000 + Number(instanceId.slice(2)));
  const deletedAt = github.log.find((r) => r.call === 'delete' && r.ids[0] === runnerId)!.at;
  const terminatedAt = ec2.log.find((r) => r.call === 'terminate' && r.ids.includes(instanceId))?.at;
  return { deletedAt, terminatedAt };
}

describe('scale-down: each window settles from its own DELETEs', () => {
  test('the first window is terminated while the last still settles; none before the settle after its own DELETE', async () => {
    const decisions = fleet(15, 'hooks');
    const report = await runScaleDown(decisions, ports(), env());
    expect(report.outcomes.every((o) => o.result === 'terminated')).toBe(true);
    const times = decisions.map((d) => timesOf(d.instanceId));
    for (const { deletedAt, terminatedAt } of times) expect(terminatedAt! - deletedAt).toBeGreaterThanOrEqual(SETTLE_MS);
    // Three windows of five: one TerminateInstances each, the first as soon as its own settle is over.
    expect(ec2.calls('terminate')).toHaveLength(3);
    const lastDeleteOfFirstWindow = times[4]!.deletedAt;
    expect(times[0]!.terminatedAt! - lastDeleteOfFirstWindow).toBeLessThan(SETTLE_MS + github.deleteMs * 2);
    expect(times[0]!.terminatedAt!).toBeLessThan(times[14]!.deletedAt + SETTLE_MS);
  });
});

describe('scale-down: the probe settle (PROBE_SETTLE_SECONDS)', () => {
  test('where the probe answered before the DELETE, it is asked again after its own settle, not the full one', async () => {
    const decisions = fleet(3, 'probe');
    for (const d of decisions) probe.answers.set(d.instanceId, idle());
    const report = await runScaleDown(decisions, ports(), env());
    expect(report.outcomes.map((o) => o.result)).toEqual(['terminated', 'terminated', 'terminated']);
    const { deletedAt, terminatedAt } = timesOf(decisions[2]!.instanceId);
    expect(terminatedAt! - deletedAt).toBeGreaterThanOrEqual(PROBE_SETTLE_MS);
    expect(terminatedAt! - deletedAt).toBeLessThan(SETTLE_MS);
    expect(probe.rounds).toHaveLength(2);
  });

  test('hooks instances the probe reaches too settle short as well, and a job the probe sees after it keeps', async () => {
    const decisions = fleet(2, 'hooks', { probeToo: true, probeOptional: true });
    for (const d of decisions) probe.answers.set(d.instanceId, idle());
    github.deleteHook = (runnerId) => {
      if (runnerId === 1001) probe.answers.set(decisions[1]!.instanceId, { ...idle(), busy: true, detail: 'Runner.Worker 42' });
      return undefined;
    };
    const report = await runScaleDown(decisions, ports(), env());
    expect(report.outcomes.find((o) => o.instanceId === decisions[0]!.instanceId)).toMatchObject({ result: 'terminated' });
    expect(report.outcomes.find((o) => o.instanceId === decisions[1]!.instanceId)).toMatchObject({ result: 'kept', reason: 'race-probe-busy-after-delete' });
    const { deletedAt, terminatedAt } = timesOf(decisions[0]!.instanceId);
    expect(terminatedAt! - deletedAt).toBeLessThan(SETTLE_MS);
  });

  test('no answer after the short settle: a hooks instance waits out the full settle, and a hook that tags by then keeps it', async () => {
    const [quiet, tagged] = fleet(2, 'hooks', { probeToo: true, probeOptional: true });
    probe.answers.set(quiet!.instanceId, idle());
    probe.answers.set(tagged!.instanceId, idle());
    const sleeps: number[] = [];
    const report = await runScaleDown([quiet!, tagged!], ports(), {
      ...env(),
      sleep: async (ms) => {
        sleeps.push(ms);
        await sleep(ms);
        if (sleeps.length === 1) {
          // The probe gives no answer after its short settle...
          probe.answers.clear();
        } else {
          // ... and, later, before the full settle is over, the job-started hook of a job in
          // its set-up tags one of them.
          ec2.tagsOf(tagged!.instanceId)[TAG.job] = 'run-1/build';
          ec2.tagsOf(tagged!.instanceId)[TAG.jobStartedAt] = clock.now().toISOString();
        }
      },
    });
    expect(report.outcomes.find((o) => o.instanceId === quiet!.instanceId)).toMatchObject({ result: 'terminated' });
    expect(report.outcomes.find((o) => o.instanceId === quiet!.instanceId)!.message).toContain('the probe gave no answer');
    expect(report.outcomes.find((o) => o.instanceId === tagged!.instanceId)).toMatchObject({ result: 'kept', reason: 'race-job-evidence-after-delete' });
    const { deletedAt, terminatedAt } = timesOf(quiet!.instanceId);
    expect(terminatedAt! - deletedAt).toBeGreaterThanOrEqual(SETTLE_MS);
  });

  test('no answer after the short settle where the probe is the only evidence: kept at once, not judged later on less', async () => {
    const [d] = fleet(1, 'probe');
    probe.answers.set(d!.instanceId, idle());
    github.deleteHook = () => {
      probe.answers.clear();
      return undefined;
    };
    const sleeps: number[] = [];
    const report = await runScaleDown([d!], ports(), { ...env(), sleep: async (ms) => (sleeps.push(ms), sleep(ms)) });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'probe-error', deregistered: true });
    expect(sleeps).toEqual([PROBE_SETTLE_MS]);
    expect(ec2.calls('terminate')).toHaveLength(0);
  });

  test('a probe without an answer before the DELETE gets the full settle (the hooks decide then)', async () => {
    const [d] = fleet(1, 'hooks', { probeToo: true, probeOptional: true });
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'terminated' });
    const { deletedAt, terminatedAt } = timesOf(d!.instanceId);
    expect(terminatedAt! - deletedAt).toBeGreaterThanOrEqual(SETTLE_MS);
  });

  test('without a probe settle in the configuration, the full settle stands', async () => {
    const decisions = fleet(1, 'probe');
    probe.answers.set(decisions[0]!.instanceId, idle());
    const config = testConfig({ settleSeconds: SETTLE_MS / 1000, probe: { documentName: 'probe-doc', timeoutSeconds: 10 } });
    await runScaleDown(decisions, ports(), env({ config }));
    const { deletedAt, terminatedAt } = timesOf(decisions[0]!.instanceId);
    expect(terminatedAt! - deletedAt).toBeGreaterThanOrEqual(SETTLE_MS);
  });
});

describe('scale-down: what the review of the per-window settles found', () => {
  test('a DELETE the client could not send within the look\'s age is not-sent: kept registered, its draining mark removed', async () => {
    const [d] = fleet(1, 'hooks');
    github.deleteHook = () => ({ kind: 'not-sent', detail: 'not sent: its turn came 900 ms after its deadline' });
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'look-too-old' });
    expect(ec2.tagsOf(d!.instanceId)[TAG.drainingSince]).toBeUndefined();
    expect(ec2.calls('terminate')).toHaveLength(0);
  });

  test('the DELETE is told how long it may wait: what is left of the look\'s age', async () => {
    const [d] = fleet(1, 'hooks');
    await runScaleDown([d!], ports(), env());
    expect(github.sendWithin).toHaveLength(1);
    expect(github.sendWithin[0]).toBeGreaterThan(0);
    expect(github.sendWithin[0]).toBeLessThanOrEqual(8_000);
  });

  test('a runner gone between the look and the DELETE, without machine evidence: kept (runner-vanished), not terminated', async () => {
    const [none] = fleet(1, 'none');
    const [hooks] = fleet(1, 'hooks', {}, 1);
    github.deleteHook = () => ({ kind: 'gone' });
    const report = await runScaleDown([none!, hooks!], ports(), env());
    expect(report.outcomes.find((o) => o.instanceId === none!.instanceId)).toMatchObject({ result: 'kept', reason: 'runner-vanished' });
    // With hooks the settle's re-check sees a job's tag: it goes on.
    expect(report.outcomes.find((o) => o.instanceId === hooks!.instanceId)).toMatchObject({ result: 'terminated' });
  });

  test('a re-check that throws keeps its window (deregistered, for orphan-cleanup) and the run goes on', async () => {
    const first = fleet(5, 'hooks');
    const second = fleet(5, 'hooks', {}, 5);
    let reads = 0;
    ec2.describeHook = (found) => {
      reads++;
      // The look reads each window once; the third read is the first window's re-check.
      if (reads !== 3) return undefined;
      return new Map([...found].map(([id, view]) => [id, { ...view, tags: undefined as unknown as Record<string, string> }]));
    };
    const report = await runScaleDown([...first, ...second], ports(), env());
    expect(report.outcomes).toHaveLength(10);
    for (const d of first) expect(report.outcomes.find((o) => o.instanceId === d.instanceId)).toMatchObject({ result: 'kept', reason: 'aws-error', deregistered: true });
    for (const d of second) expect(report.outcomes.find((o) => o.instanceId === d.instanceId)).toMatchObject({ result: 'terminated' });
    expect(report.errors.some((e) => e.startsWith('re-check failed'))).toBe(true);
  });

  test('after the short settle without an answer, the probe is asked again at the full settle: a Worker that started late keeps it', async () => {
    const [d] = fleet(1, 'hooks', { probeToo: true, probeOptional: true });
    probe.answers.set(d!.instanceId, idle());
    let sleeps = 0;
    const report = await runScaleDown([d!], ports(), {
      ...env(),
      sleep: async (ms) => {
        sleeps++;
        await sleep(ms);
        if (sleeps === 1) probe.answers.clear();
        else probe.answers.set(d!.instanceId, { ...idle(), busy: true, detail: 'Runner.Worker 77' });
      },
    });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'race-probe-busy-after-delete' });
    expect(probe.rounds).toHaveLength(3);
  });
});

describe('scale-down: MAX_TERMINATE_CALLS holds for the whole run, however many windows terminate', () => {
  test('a fleet whose every instance EC2 refuses spends at most MAX_TERMINATE_CALLS splitting calls in one run, besides one call per window', async () => {
    const decisions = fleet(200, 'hooks');
    ec2.terminateHook = (ids) => ({ terminated: [], failed: ids.map((instanceId) => ({ instanceId, error: 'OperationNotPermitted: protected', code: 'OperationNotPermitted' })) });
    const report = await runScaleDown(decisions, ports(), env());
    const windows = 200 / 5;
    expect(ec2.calls('terminate').length).toBeLessThanOrEqual(windows + MAX_TERMINATE_CALLS);
    expect(ec2.calls('terminate').length).toBeGreaterThan(windows);
    expect(report.outcomes.filter((o) => o.result === 'terminated')).toHaveLength(0);
    expect(report.outcomes).toHaveLength(200);
  });
});
