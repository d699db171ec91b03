/**
 * The scale-down executor's look before each DELETE, the probe and the order of the
 * DELETE stream, on in-memory ports with a recorded clock (no wall time is measured).
 */
import { TAG, decideScaleDown, ownerKey, type Decision, type EvidenceSource, type Snapshot } from '../../src/core';
import { DELETE_COST_MS, LOOK_LEAD_MS, LOOK_WINDOW_SIZE, MAX_LOOK_AGE_MS, type ExecutorEnv } from '../../src/executor/outcome';
import { runScaleDown } from '../../src/executor/scale-down';
import { ENVIRONMENT, ORG, idleRunner, testConfig } from '../helpers/fixtures';
import { fleetTags, memoryWorld, type MemoryEc2, type MemoryGitHub, type MemoryProbe, type RecordedClock } from '../helpers/memory-ports';

let clock: RecordedClock;
let ec2: MemoryEc2;
let github: MemoryGitHub;
let probe: MemoryProbe;

beforeEach(() => ({ clock, ec2, github, probe } = memoryWorld()));

function env(overrides: Partial<ExecutorEnv> = {}): ExecutorEnv {
  return {
    config: testConfig({ settleSeconds: 15 }),
    now: clock.now,
    sleep: async (ms) => clock.advance(ms),
    ...overrides,
  };
}

/** n idle registered runners with confirmed reclaim decisions. */
function fleet(n: number, evidence: EvidenceSource = 'hooks', extra: Partial<Decision> = {}): Decision[] {
  return Array.from({ length: n }, (_, k) => {
    const id = `i-${String(k).padStart(17, '0')}`;
    ec2.add(id, fleetTags());
    const runner = github.add(idleRunner(1000 + k, id));
    return { instanceId: id, action: 'reclaim', reason: 'idle-confirmed', message: 'm.', owner: ORG, runner, evidence, environment: ENVIRONMENT, ...extra } as Decision;
  });
}

const ports = () => ({ ec2, github, probe });

/** For each DELETE, how old its look was: the runner's last GET and the last DescribeInstances that covered it. */
function lookAges(): number[] {
  return github.log
    .filter((r) => r.call === 'delete')
    .map((del) => {
      const runnerId = del.ids[0]!;
      const id = `i-${String(Number(runnerId) - 1000).padStart(17, '0')}`;
      const get = github.log.filter((r) => r.call === 'get' && r.ids[0] === runnerId && r.at <= del.at).pop();
      const describe = ec2.log.filter((r) => r.call === 'describe' && r.ids.includes(id) && r.at <= del.at).pop();
      if (!get || !describe) return Number.POSITIVE_INFINITY;
      return del.at - Math.min(get.at, describe.at);
    });
}

describe('scale-down: a fresh look right before each DELETE (issue 8, point 3)', () => {
  test('the last DELETE of a 250-runner batch follows its own look by seconds, not minutes', async () => {
    github.deleteMs = 400;
    github.getMs = 50;
    const report = await runScaleDown(fleet(250), ports(), env());
    expect(report.outcomes.filter((o) => o.result === 'terminated')).toHaveLength(250);
    const ages = lookAges();
    expect(ages).toHaveLength(250);
    // One look per window of LOOK_WINDOW_SIZE runners, begun while the last DELETEs before
    // it (at most LOOK_LEAD_MS of them) still go out: the last DELETE of a window waits for
    // the GETs of its window, those DELETEs and its own.
    expect(Math.max(...ages)).toBeLessThanOrEqual(MAX_LOOK_AGE_MS);
    expect(Math.max(...ages)).toBeLessThanOrEqual((LOOK_WINDOW_SIZE + LOOK_LEAD_MS / DELETE_COST_MS + 1) * (400 + 50));
  });

  test('a DELETE whose look has aged past the bound is not sent: the runner stays registered for the next run', async () => {
    github.deleteMs = 3_000;
    const decisions = fleet(LOOK_WINDOW_SIZE);
    const report = await runScaleDown(decisions, ports(), env());
    const sent = github.count('delete');
    expect(sent).toBeLessThan(LOOK_WINDOW_SIZE);
    expect(Math.max(...lookAges())).toBeLessThanOrEqual(MAX_LOOK_AGE_MS);
    const refused = report.outcomes.filter((o) => o.reason === 'look-too-old');
    expect(refused).toHaveLength(LOOK_WINDOW_SIZE - sent);
    for (const o of refused) {
      expect(github.runners.has(o.runnerId!)).toBe(true);
      expect(ec2.tagsOf(o.instanceId)[TAG.drainingSince]).toBeUndefined();
      expect(o.message).toMatch(/^Kept for the next run: its look is \d+ s old/);
    }
  });

  test('a slow look (a GitHub GET that takes 9 s) refuses its DELETEs', async () => {
    github.getMs = 9_000;
    const report = await runScaleDown(fleet(1), ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'look-too-old' });
    expect(github.count('delete')).toBe(0);
  });
});

describe('scale-down: the tags are read after GitHub has answered', () => {
  /** The runner's GET answers a little later, and the job's hook tags the instance meanwhile. */
  function hookWritesWhileGetInFlight(id: string, from: 'look' | 'recheck'): void {
    const get = github.getRunner.bind(github);
    let gets = 0;
    github.getRunner = async (owner, runnerId) => {
      gets += 1;
      if ((from === 'look' && gets === 1) || (from === 'recheck' && gets === 2)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await ec2.setTags([id], { [TAG.job]: '77/build', [TAG.jobStartedAt]: clock.now().toISOString() });
      }
      return get(owner, runnerId);
    };
  }

  test('before the DELETE: a hook that writes while the GET is in flight keeps the runner registered', async () => {
    const [d] = fleet(1, 'hooks', { hookTags: {} });
    hookWritesWhileGetInFlight(d!.instanceId, 'look');
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes.map((o) => [o.result, o.reason])).toEqual([['kept', 'race-job-evidence-before-delete']]);
    expect(github.count('delete')).toBe(0);
  });

  test('after the settle: a hook that writes while the re-check GET is in flight keeps the instance', async () => {
    const [d] = fleet(1, 'hooks', { hookTags: {} });
    hookWritesWhileGetInFlight(d!.instanceId, 'recheck');
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes.map((o) => [o.result, o.reason])).toEqual([['kept', 'race-job-evidence-after-delete']]);
    expect(github.count('delete')).toBe(1);
    expect(ec2.log.filter((r) => r.call === 'terminate')).toEqual([]);
  });
});

describe('scale-down: the probe, where it is the evidence (issue 8, point 2)', () => {
  const answered = (busy: boolean, idleSince?: Date) => ({ kind: 'answered' as const, busy, at: clock.now(), detail: busy ? 'Runner.Worker 77' : 'no Runner.Worker', ...(idleSince ? { idleSince } : {}) });

  test('asked in one round per look window and one after its settle, never once per instance', async () => {
    const decisions = fleet(12, 'probe');
    for (const d of decisions) probe.answers.set(d.instanceId, answered(false, new Date('2026-11-29T11:00:00Z')));
    const report = await runScaleDown(decisions, ports(), env());
    expect(report.outcomes.every((o) => o.result === 'terminated' && o.evidence === 'probe')).toBe(true);
    expect(probe.rounds.map((r) => r.length).sort()).toEqual([2, 2, 5, 5, 5, 5]);
  });

  test('only decisions that ask the probe are probed: hooks decisions without probeToo are not', async () => {
    const decisions = [...fleet(2, 'hooks'), ...fleet(1, 'none')];
    const report = await runScaleDown(decisions, ports(), env());
    expect(probe.rounds).toEqual([]);
    expect(report.outcomes.map((o) => o.probed)).toEqual([undefined, undefined, undefined]);
  });

  test.each([
    ['busy before the DELETE', () => answered(true), 'race-probe-busy-before-delete', 0],
    ['no answer before the DELETE', undefined, 'probe-error', 0],
  ] as const)('%s: kept, not deregistered', async (_name, answer, reason, deletes) => {
    const [d] = fleet(1, 'probe');
    if (answer) probe.answers.set(d!.instanceId, answer());
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason });
    expect(github.count('delete')).toBe(deletes);
    expect(ec2.calls('terminate')).toHaveLength(0);
  });

  test('busy after the settle: deregistered, kept running for orphan-cleanup', async () => {
    const [d] = fleet(1, 'probe');
    probe.answers.set(d!.instanceId, answered(false, new Date('2026-11-29T11:00:00Z')));
    const report = await runScaleDown([d!], ports(), {
      ...env(),
      sleep: async (ms) => {
        clock.advance(ms);
        probe.answers.set(d!.instanceId, answered(true));
      },
    });
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'race-probe-busy-after-delete', deregistered: true });
    expect(ec2.tagsOf(d!.instanceId)[TAG.drainingSince]).toBeDefined();
    expect(ec2.calls('terminate')).toHaveLength(0);
  });

  test('a probe that never answers does not hold a runner the rules without evidence would reclaim', async () => {
    const [d] = fleet(1, 'probe', { probeOptional: true });
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'terminated' });
    expect(report.outcomes[0]!.message).toContain('the probe gave no answer');
    // ... but a busy answer keeps it.
    const [busy] = fleet(1, 'probe', { probeOptional: true });
    probe.answers.set(busy!.instanceId, answered(true));
    expect((await runScaleDown([busy!], ports(), env())).outcomes[0]).toMatchObject({ result: 'kept', reason: 'race-probe-busy-before-delete' });
  });

  test('after the settle, GitHub is asked only where the probe gave no answer: a Worker shows a job from its first second', async () => {
    const [answeredIdle, silent] = fleet(2, 'probe', { probeOptional: true });
    probe.answers.set(answeredIdle!.instanceId, answered(false, new Date('2026-11-29T11:00:00Z')));
    // The silent one gives no answer at all; probeOptional lets both go on without it.
    const report = await runScaleDown([answeredIdle!, silent!], ports(), env());
    expect(report.outcomes.map((o) => o.result)).toEqual(['terminated', 'terminated']);
    const getsAfterDelete = (runnerId: number) => {
      const deleted = github.log.findIndex((r) => r.call === 'delete' && r.ids[0] === String(runnerId));
      return github.log.filter((r, i) => i > deleted && r.call === 'get' && r.ids[0] === String(runnerId)).length;
    };
    expect(getsAfterDelete(answeredIdle!.runner!.id)).toBe(0);
    expect(getsAfterDelete(silent!.runner!.id)).toBe(1);
  });

  test('without a probe port, probe-evidence instances are kept', async () => {
    const [d] = fleet(1, 'probe');
    const report = await runScaleDown([d!], { ec2, github }, env());
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'probe-error' });
    expect(github.count('delete')).toBe(0);
  });

  test('a vanished runner on a probe instance skips the DELETE; the probe after the settle decides', async () => {
    const [d] = fleet(1, 'probe');
    github.runners.clear();
    probe.answers.set(d!.instanceId, answered(false, new Date('2026-11-29T11:00:00Z')));
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'terminated' });
    expect(github.count('delete')).toBe(0);
    expect(probe.rounds).toHaveLength(2);
  });
});

describe('scale-down: hooks instances the probe reaches too (the job-started hook lags a job by its set-up)', () => {
  const answered = (busy: boolean) => ({ kind: 'answered' as const, busy, at: clock.now(), detail: busy ? 'Runner.Worker 77' : 'no Runner.Worker', idleSince: new Date('2026-11-29T11:00:00Z') });

  /** n registered idle instances with the hooks marker, decided by the core itself; `online` of them reachable by SSM. */
  function decided(n: number, online = n): Decision[] {
    const ids = Array.from({ length: n }, (_, k) => `i-${String(k).padStart(17, '0')}`);
    for (const [k, id] of ids.entries()) {
      ec2.add(id, fleetTags({ [TAG.jobHooks]: '1' }));
      github.add(idleRunner(1000 + k, id));
    }
    const snapshot: Snapshot = {
      now: clock.now(),
      instances: [...ec2.instances.values()],
      runnersByOwner: new Map([[ownerKey(ORG), { ok: true, owner: ORG, runners: [...github.runners.values()] }]]),
      probe: { enabled: true, online: new Set(ids.slice(0, online)) },
      config: testConfig({ settleSeconds: 15, jobEvidence: 'auto' }),
    };
    return decideScaleDown(snapshot);
  }

  test('a job assigned just before the DELETE, still in its set-up after the settle: tag-less, but the probe sees its Worker', async () => {
    const [d] = decided(1);
    expect(d).toMatchObject({ action: 'reclaim', evidence: 'hooks', probeToo: true });
    probe.answers.set(d!.instanceId, answered(false));
    // GitHub hands the runner a job and still accepts the DELETE (204; the job goes on). The
    // Worker starts within a second; the job-started hook only after "Set up job", later
    // than the settle ends: no ghr:job when the settle is over.
    github.deleteHook = () => {
      probe.answers.set(d!.instanceId, answered(true));
      return undefined;
    };
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'race-probe-busy-after-delete', deregistered: true, evidence: 'hooks', probed: true });
    expect(ec2.tagsOf(d!.instanceId)[TAG.job]).toBeUndefined();
    expect(ec2.calls('terminate')).toHaveLength(0);
  });

  test('a job assigned since the listing, still in its set-up at the look: the probe keeps it registered, no DELETE', async () => {
    const [d] = decided(1);
    probe.answers.set(d!.instanceId, answered(true));
    const report = await runScaleDown([d!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'kept', reason: 'race-probe-busy-before-delete', probed: true });
    expect(github.count('delete')).toBe(0);
  });

  test('a probe that gives no answer keeps it, until a second sighting lets the hooks alone decide', async () => {
    const [d] = decided(1);
    expect((await runScaleDown([d!], ports(), env())).outcomes[0]).toMatchObject({ result: 'kept', reason: 'probe-error', probed: true });
    expect(github.count('delete')).toBe(0);
    // The next run: the idle streak the first decision started is a second sighting now.
    clock.advance(5 * 60_000);
    const [again] = decideScaleDown({
      now: clock.now(),
      instances: [...ec2.instances.values()],
      runnersByOwner: new Map([[ownerKey(ORG), { ok: true, owner: ORG, runners: [...github.runners.values()] }]]),
      probe: { enabled: true, online: new Set([d!.instanceId]) },
      config: testConfig({ settleSeconds: 15, jobEvidence: 'auto' }),
    });
    expect(again).toMatchObject({ probeToo: true, probeOptional: true });
    const report = await runScaleDown([again!], ports(), env());
    expect(report.outcomes[0]).toMatchObject({ result: 'terminated', probed: true });
    expect(report.outcomes[0]!.message).toContain('the hooks, seen over a second sighting');
  });

  test('asked in one round per look window and one after its settle; hooks instances SSM cannot reach are not asked', async () => {
    const decisions = decided(12, 7);
    for (const d of decisions) probe.answers.set(d.instanceId, answered(false));
    const report = await runScaleDown(decisions, ports(), env());
    expect(report.outcomes.every((o) => o.result === 'terminated')).toBe(true);
    expect(probe.rounds.map((r) => r.length).sort()).toEqual([2, 2, 5, 5]);
    expect(report.outcomes.map((o) => o.probed ?? false)).toEqual([...Array(7).fill(true), ...Array(5).fill(false)]);
  });
});

describe('scale-down: fair order and the time budget (issue 10, points 11 and 14)', () => {
  test('runners whose DELETEs failed before go last, so healthy ones are not deferred behind them', async () => {
    const decisions = fleet(4);
    decisions[0] = { ...decisions[0]!, deleteFailures: 3 };
    decisions[1] = { ...decisions[1]!, deleteFailures: 1 };
    // Room for two DELETEs after the settle, the reserve and one look.
    const report = await runScaleDown(decisions, ports(), env({ remainingMs: () => 15_000 + 50_000 + 1_000 + 1_000 }));
    expect(github.log.filter((r) => r.call === 'delete').map((r) => r.ids[0])).toEqual(['1002', '1003']);
    expect(report.outcomes.filter((o) => o.reason === 'deferred').map((o) => o.runnerId).sort()).toEqual([1000, 1001]);
    // Deferred runners cost no GitHub call.
    expect([...new Set(github.log.filter((r) => r.call === 'get').map((r) => r.ids[0]))].sort()).toEqual(['1002', '1003']);
  });

  test('a run that turns out slower than planned stops looking and defers the rest, unlooked', async () => {
    const remaining = 15_000 + 50_000 + 20_000;
    github.deleteMs = 2_000;
    const decisions = fleet(20);
    const report = await runScaleDown(decisions, ports(), env({ remainingMs: () => remaining - (clock.time - Date.parse('2026-11-29T12:00:00Z')) }));
    const deferred = report.outcomes.filter((o) => o.reason === 'deferred');
    expect(deferred.length).toBeGreaterThan(0);
    const looked = new Set(github.log.filter((r) => r.call === 'get').map((r) => Number(r.ids[0])));
    for (const o of deferred) expect(looked.has(o.runnerId!)).toBe(false);
    expect(report.outcomes.filter((o) => o.result === 'terminated').length).toBeGreaterThan(0);
  });

  test('every outcome carries the evidence and environment of its decision', async () => {
    const report = await runScaleDown(fleet(2, 'none'), ports(), env());
    expect(report.outcomes.map((o) => [o.evidence, o.environment])).toEqual([
      ['none', ENVIRONMENT],
      ['none', ENVIRONMENT],
    ]);
  });
});
