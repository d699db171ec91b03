/**
 * End to end, the ordinary paths: the built zips in Lambda-like processes against the
 * GitHub twin and moto, with simulated runners. The ledger, not the reaper's logs, says
 * whether a job was harmed.
 */
import { ROUTES } from '../../twin';
import { TAG, expectReturned, fate, isRegistered, launch, outcomeOf, startJob, stateOf, useWorld, waitFor, waitForJobPhase } from './support';

jest.setTimeout(90_000);

const world = useWorld();
const GONE = /^(shutting-down|terminated)$/;

describe('scale-down', () => {
  it('reclaims an idle runner in two runs: deregistered, then its instance terminated', async () => {
    const [idle] = await launch(world());

    const first = await world().runScaleDown();
    expectReturned(first);
    expect(outcomeOf(first, idle!)).toEqual({ result: 'kept', reason: 'idle-first-sighting' });
    expect((await world().instance(idle!)).tags[TAG.idleSince]).toBeDefined();
    expect(await stateOf(world(), idle!)).toBe('running');

    const second = await world().runScaleDown();
    expect(outcomeOf(second, idle!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(await stateOf(world(), idle!)).toMatch(GONE);
    expect(isRegistered(world(), idle!)).toBe(false);
    expect(second.died).toEqual([idle]);
    expect(world().twin.log.count('DELETE', ROUTES.orgRunner)).toBe(1);
  });

  it('keeps a busy runner whose job runs (busy flag true, job hooks tagged) and the job lives on', async () => {
    const [withHooks] = await launch(world());
    const [withoutHooks] = await launch(world(), { hooks: false });
    await startJob(world(), withHooks!, 'hooked-job', 60_000);
    await startJob(world(), withoutHooks!, 'flag-only-job', 60_000, { waitForTag: false });
    const runnerId = world().runnerIdOf(withoutHooks!);
    expect(world().twin.dispatcher.busyFlag(world().twin.dispatcher.runnerById(runnerId)!)).toBe(true);

    for (let run = 0; run < 2; run++) {
      const result = await world().runScaleDown();
      expectReturned(result);
      expect(outcomeOf(result, withHooks!)).toEqual({ result: 'kept', reason: 'job-evidence' });
      expect(outcomeOf(result, withoutHooks!)).toEqual({ result: 'kept', reason: 'busy-on-github' });
    }
    expect(await stateOf(world(), withHooks!)).toBe('running');
    expect(await stateOf(world(), withoutHooks!)).toBe('running');
    expect(fate(world(), 'hooked-job')).toBe('pending');
    expect(fate(world(), 'flag-only-job')).toBe('pending');
    expect(world().twin.dispatcher.getJob('hooked-job')?.phase).toBe('running');
    expect(world().twin.log.count('DELETE', ROUTES.orgRunner)).toBe(0);
    expect(world().harmedJobs()).toEqual([]);
  });

  it('serves org and repo runners alike: idle ones of both reclaimed, a busy repo runner kept', async () => {
    const [orgIdle] = await launch(world(), { owner: world().org });
    const [repoIdle, repoBusy] = await launch(world(), { owner: world().repo, count: 2 });
    await startJob(world(), repoBusy!, 'repo-job', 60_000);

    expectReturned(await world().runScaleDown());
    const second = await world().runScaleDown();
    expect(outcomeOf(second, orgIdle!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(outcomeOf(second, repoIdle!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(outcomeOf(second, repoBusy!)).toEqual({ result: 'kept', reason: 'job-evidence' });
    expect(world().twin.log.count('DELETE', ROUTES.orgRunner)).toBe(1);
    expect(world().twin.log.count('DELETE', ROUTES.repoRunner)).toBe(1);
    expect(await stateOf(world(), repoBusy!)).toBe('running');
    expect(fate(world(), 'repo-job')).toBe('pending');
    expect(world().harmedJobs()).toEqual([]);
  });

  it('reclaims an idle JIT runner, matched by its ghr:github_runner_id tag', async () => {
    const [jit] = await launch(world(), { jit: true, labels: ['jit-e2e'] });
    expect((await world().instance(jit!)).tags[TAG.githubRunnerId]).toBe(String(world().runnerIdOf(jit!)));
    expectReturned(await world().runScaleDown());
    const second = await world().runScaleDown();
    expect(outcomeOf(second, jit!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(isRegistered(world(), jit!)).toBe(false);
  });
});

describe('ephemeral runners', () => {
  it('keeps one running its job although GitHub no longer lists it, and reclaims it once the job is over', async () => {
    const [eph] = await launch(world(), { ephemeral: true });
    await startJob(world(), eph!, 'ephemeral-job', 4_000);
    // GitHub consumed the registration at assignment: absent from the list while it runs.
    expect(isRegistered(world(), eph!)).toBe(false);

    const scaleDown = await world().runScaleDown();
    expect(outcomeOf(scaleDown, eph!)).toEqual({ result: 'kept', reason: 'not-registered' });
    const whileRunning = await world().runOrphanCleanup();
    expectReturned(whileRunning);
    expect(outcomeOf(whileRunning, eph!)).toEqual({ result: 'kept', reason: 'job-evidence' });
    expect(await stateOf(world(), eph!)).toBe('running');

    await waitForJobPhase(world(), 'ephemeral-job', 'completed');
    await waitFor('the ephemeral runner to exit', () => world().fleet.agent(eph!)?.state === 'exited');
    await waitFor('ghr:job removed', async () => !(TAG.job in (await world().instance(eph!)).tags));
    const first = await world().runOrphanCleanup();
    expect(outcomeOf(first, eph!)).toEqual({ result: 'kept', reason: 'orphan-first-sighting' });
    const second = await world().runOrphanCleanup();
    expect(outcomeOf(second, eph!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed' });
    expect(await stateOf(world(), eph!)).toMatch(GONE);
    expect(fate(world(), 'ephemeral-job')).toBe('completed');
  });

  it('reclaims an idle ephemeral runner through scale-down', async () => {
    const [eph] = await launch(world(), { ephemeral: true });
    expectReturned(await world().runScaleDown());
    const second = await world().runScaleDown();
    expect(outcomeOf(second, eph!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
  });
});

describe('orphan-cleanup', () => {
  it('reclaims a never-registered instance in two runs (scale-down leaves it alone)', async () => {
    const [neverRegistered] = await launch(world(), { register: false });
    const scaleDown = await world().runScaleDown();
    expect(outcomeOf(scaleDown, neverRegistered!)).toEqual({ result: 'kept', reason: 'not-registered' });

    const first = await world().runOrphanCleanup();
    expect(outcomeOf(first, neverRegistered!)).toEqual({ result: 'kept', reason: 'orphan-first-sighting' });
    expect((await world().instance(neverRegistered!)).tags).toMatchObject({ [TAG.orphan]: 'true' });
    expect(await stateOf(world(), neverRegistered!)).toBe('running');

    const second = await world().runOrphanCleanup();
    expect(outcomeOf(second, neverRegistered!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed' });
    expect(await stateOf(world(), neverRegistered!)).toMatch(GONE);
  });

  it('reclaims a deregistered-and-kept instance only after its job has ended', async () => {
    // GitHub 2026: the busy flag lags and DELETE answers 204 on a runner holding a job,
    // which runs on. The job hooks make scale-down keep the instance, marked draining.
    world().twin.dispatcher.setSwitches({ busyFlagDelayMs: 300_000, deleteWhileAssigned: '204-if-flag-idle', afterForcedDelete: 'continues' });
    const [victim] = await launch(world());
    expectReturned(await world().runScaleDown());
    world().twin.before({ method: 'DELETE', route: ROUTES.orgRunner, params: { runner_id: world().runnerIdOf(victim!) } }, async () => {
      world().twin.dispatcher.assignNow({ runnerId: world().runnerIdOf(victim!), id: 'outlives-its-runner', durationMs: 6_000 });
      await waitForJobPhase(world(), 'outlives-its-runner', 'running');
    }, { times: 1 });
    const scaleDown = await world().runScaleDown();
    expect(outcomeOf(scaleDown, victim!)).toEqual({ result: 'kept', reason: 'race-job-evidence-after-delete' });
    expect(isRegistered(world(), victim!)).toBe(false);
    expect((await world().instance(victim!)).tags[TAG.drainingSince]).toBeDefined();

    const whileRunning = await world().runOrphanCleanup();
    expect(outcomeOf(whileRunning, victim!)).toEqual({ result: 'kept', reason: 'job-evidence' });
    expect(await stateOf(world(), victim!)).toBe('running');

    await waitForJobPhase(world(), 'outlives-its-runner', 'completed');
    await waitFor('ghr:job removed', async () => !(TAG.job in (await world().instance(victim!)).tags));
    const after = await world().runOrphanCleanup();
    expect(outcomeOf(after, victim!)).toEqual({ result: 'terminated', reason: 'drained' });
    expect(await stateOf(world(), victim!)).toMatch(GONE);
    expect(fate(world(), 'outlives-its-runner')).toBe('completed');
    expect(world().harmedJobs()).toEqual([]);
  });
});
