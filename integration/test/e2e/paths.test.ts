/**
 * End to end, the ordinary paths: the built zips in Lambda-like processes against the
 * GitHub twin and moto, with simulated runners, in the default configuration
 * (`JOB_EVIDENCE=auto`). The ledger, not the reaper's logs, says whether a job was harmed.
 *
 * Each path is shown for both kinds of instance (docs/design.md, "What each evidence
 * source changes"): with machine evidence (proven hooks, or the probe) a reclaim takes one
 * run; without (`none`) the conservative rules stay: two sightings for scale-down, a hold of
 * MAX_JOB_DURATION_MINUTES for an instance without a registration.
 */
import { ROUTES } from '../../twin';
import type { ReaperRun } from '../../world/world';
import { TAG, expectReturned, fate, isRegistered, launch, outcomeOf, startJob, stateOf, useWorld, waitFor, waitForJobPhase } from './support';

jest.setTimeout(90_000);

const world = useWorld({ config: { JOB_EVIDENCE: 'auto' } });
const GONE = /^(shutting-down|terminated)$/;
/** The world's MAX_JOB_DURATION_MINUTES (FAST_REAPER_CONFIG): the hold of instances without evidence. */
const MAX_JOB_MS = 60 * 60_000;

/** The machine evidence the run's decision line named for the instance. */
function evidenceOf(run: ReaperRun, instanceId: string): string | undefined {
  return run.outcomes.find((o) => o.instanceId === instanceId)?.evidence;
}

/** Moves the instance's orphan mark back by more than MAX_JOB_DURATION_MINUTES: the hold has passed. */
async function holdPassed(instanceId: string): Promise<void> {
  const mark = (await world().instance(instanceId)).tags[TAG.reaperOrphanSince];
  expect(mark).toBeDefined();
  await world().tagInstance(instanceId, { [TAG.reaperOrphanSince]: new Date(Date.parse(mark!) - MAX_JOB_MS - 60_000).toISOString() });
}

describe('scale-down', () => {
  it('reclaims an idle runner with proven hooks in one run: looked at, deregistered, terminated', async () => {
    const [idle] = await launch(world());
    expect((await world().instance(idle!)).tags[TAG.jobHooks]).toBe('1');

    const run = await world().runScaleDown();
    expectReturned(run);
    expect(outcomeOf(run, idle!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(evidenceOf(run, idle!)).toBe('hooks');
    expect(await stateOf(world(), idle!)).toMatch(GONE);
    expect(isRegistered(world(), idle!)).toBe(false);
    expect(run.died).toEqual([idle]);
    // The look right before the DELETE, then the DELETE; the re-check GET after the settle.
    expect(world().twin.log.filter('GET', ROUTES.orgRunner).map((e) => e.status)).toEqual([200, 404]);
    expect(world().twin.log.count('DELETE', ROUTES.orgRunner)).toBe(1);
  });

  it('reclaims an idle runner without machine evidence only at its second idle sighting', async () => {
    const [bare] = await launch(world(), { hooks: 'none' });

    const first = await world().runScaleDown();
    expectReturned(first);
    expect(outcomeOf(first, bare!)).toEqual({ result: 'kept', reason: 'idle-first-sighting' });
    expect(evidenceOf(first, bare!)).toBe('none');
    expect((await world().instance(bare!)).tags[TAG.idleSince]).toBeDefined();
    expect(await stateOf(world(), bare!)).toBe('running');
    expect(world().twin.log.count('DELETE', ROUTES.orgRunner)).toBe(0);

    const second = await world().runScaleDown();
    expect(outcomeOf(second, bare!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(await stateOf(world(), bare!)).toMatch(GONE);
    expect(isRegistered(world(), bare!)).toBe(false);
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

  it('serves org and repo runners alike, each by its own evidence: idle hooked ones reclaimed at once, a bare one seen first, a busy one kept', async () => {
    const [orgIdle] = await launch(world(), { owner: world().org });
    const [repoIdle, repoBusy] = await launch(world(), { owner: world().repo, count: 2 });
    const [repoBare] = await launch(world(), { owner: world().repo, hooks: 'none' });
    await startJob(world(), repoBusy!, 'repo-job', 60_000);

    const run = await world().runScaleDown();
    expectReturned(run);
    expect(outcomeOf(run, orgIdle!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(outcomeOf(run, repoIdle!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(outcomeOf(run, repoBusy!)).toEqual({ result: 'kept', reason: 'job-evidence' });
    expect(outcomeOf(run, repoBare!)).toEqual({ result: 'kept', reason: 'idle-first-sighting' });
    expect(run.summary?.evidence).toEqual({ hooks: 3, probe: 0, none: 1 });
    expect(world().twin.log.count('DELETE', ROUTES.orgRunner)).toBe(1);
    expect(world().twin.log.count('DELETE', ROUTES.repoRunner)).toBe(1);
    expect(await stateOf(world(), repoBusy!)).toBe('running');
    expect(await stateOf(world(), repoBare!)).toBe('running');
    expect(fate(world(), 'repo-job')).toBe('pending');
    expect(world().harmedJobs()).toEqual([]);
  });

  it('reclaims an idle JIT runner, matched by its ghr:github_runner_id tag', async () => {
    const [jit] = await launch(world(), { jit: true, labels: ['jit-e2e'] });
    expect((await world().instance(jit!)).tags[TAG.githubRunnerId]).toBe(String(world().runnerIdOf(jit!)));
    const run = await world().runScaleDown();
    expect(outcomeOf(run, jit!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(isRegistered(world(), jit!)).toBe(false);
  });
});

describe('ephemeral runners', () => {
  it('keeps one running its job although GitHub no longer lists it, and reclaims it in one run once the job is over (hooks)', async () => {
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
    const after = await world().runOrphanCleanup();
    expect(outcomeOf(after, eph!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed' });
    expect(evidenceOf(after, eph!)).toBe('hooks');
    expect(await stateOf(world(), eph!)).toMatch(GONE);
    expect(fate(world(), 'ephemeral-job')).toBe('completed');
  });

  it('holds one without machine evidence while it runs its job, for MAX_JOB_DURATION_MINUTES, and only then reclaims it', async () => {
    const [eph] = await launch(world(), { ephemeral: true, hooks: 'none' });
    await startJob(world(), eph!, 'unseen-job', 6_000, { waitForTag: false });
    expect(isRegistered(world(), eph!)).toBe(false);

    // Nothing on the machine speaks: unlisted, it looks exactly like an orphan, and is held.
    const first = await world().runOrphanCleanup();
    expectReturned(first);
    expect(outcomeOf(first, eph!)).toEqual({ result: 'kept', reason: 'orphan-first-sighting' });
    expect(evidenceOf(first, eph!)).toBe('none');
    expect((await world().instance(eph!)).tags).toMatchObject({ [TAG.reaperOrphanSince]: expect.any(String) });
    expect((await world().instance(eph!)).tags[TAG.orphan]).toBeUndefined();
    const second = await world().runOrphanCleanup();
    expect(outcomeOf(second, eph!)).toEqual({ result: 'kept', reason: 'waiting-max-job-duration' });
    expect(await stateOf(world(), eph!)).toBe('running');

    await waitForJobPhase(world(), 'unseen-job', 'completed');
    expect(fate(world(), 'unseen-job')).toBe('completed');
    const afterTheJob = await world().runOrphanCleanup();
    expect(outcomeOf(afterTheJob, eph!)).toEqual({ result: 'kept', reason: 'waiting-max-job-duration' });

    await holdPassed(eph!);
    const afterTheHold = await world().runOrphanCleanup();
    expect(outcomeOf(afterTheHold, eph!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed' });
    expect(await stateOf(world(), eph!)).toMatch(GONE);
    expect(world().harmedJobs()).toEqual([]);
  });

  it('reclaims an idle ephemeral runner through scale-down', async () => {
    const [eph] = await launch(world(), { ephemeral: true });
    const run = await world().runScaleDown();
    expect(outcomeOf(run, eph!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
  });
});

describe('orphan-cleanup', () => {
  it('holds a never-registered instance without machine evidence, under its own orphan mark, and reclaims it after the hold (scale-down leaves it alone)', async () => {
    const [neverRegistered] = await launch(world(), { register: false });
    const scaleDown = await world().runScaleDown();
    expect(outcomeOf(scaleDown, neverRegistered!)).toEqual({ result: 'kept', reason: 'not-registered' });

    const first = await world().runOrphanCleanup();
    expect(outcomeOf(first, neverRegistered!)).toEqual({ result: 'kept', reason: 'orphan-first-sighting' });
    const tags = (await world().instance(neverRegistered!)).tags;
    expect(Date.parse(tags[TAG.reaperOrphanSince]!)).not.toBeNaN();
    // github-aws-runners terminates whatever carries ghr:orphan: never written by the reaper.
    expect(tags[TAG.orphan]).toBeUndefined();
    expect(tags[TAG.legacyOrphanSince]).toBeUndefined();

    const second = await world().runOrphanCleanup();
    expect(outcomeOf(second, neverRegistered!)).toEqual({ result: 'kept', reason: 'waiting-max-job-duration' });
    expect(await stateOf(world(), neverRegistered!)).toBe('running');

    await holdPassed(neverRegistered!);
    const third = await world().runOrphanCleanup();
    expect(outcomeOf(third, neverRegistered!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed' });
    expect(await stateOf(world(), neverRegistered!)).toMatch(GONE);
  });

  it('reclaims a never-registered instance the probe reaches in one run', async () => {
    const [probed] = await launch(world(), { register: false, hooks: 'none', ssm: true });
    const run = await world().runOrphanCleanup();
    expectReturned(run);
    expect(outcomeOf(run, probed!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed' });
    expect(evidenceOf(run, probed!)).toBe('probe');
    expect(await stateOf(world(), probed!)).toMatch(GONE);
    // Asked once, after the settle, before the termination.
    const sent = world().ssmTwin.log.filter((e) => e.operation === 'SendCommand' && e.status === 200);
    expect(sent.map((e) => (e.request as { InstanceIds?: string[] }).InstanceIds)).toEqual([[probed]]);
  });

  it('moves 0.1.0 orphan marks to its own key: ghr:orphan and ghr:orphan-since removed, the time carried over', async () => {
    const [upgraded] = await launch(world(), { register: false });
    const since = new Date(Date.now() - 10 * 60_000).toISOString();
    await world().tagInstance(upgraded!, { [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: since });

    const run = await world().runOrphanCleanup();
    expectReturned(run);
    expect(outcomeOf(run, upgraded!)).toEqual({ result: 'kept', reason: 'waiting-max-job-duration' });
    const tags = (await world().instance(upgraded!)).tags;
    expect(tags[TAG.reaperOrphanSince]).toBe(since);
    expect(tags[TAG.orphan]).toBeUndefined();
    expect(tags[TAG.legacyOrphanSince]).toBeUndefined();
    expect(await stateOf(world(), upgraded!)).toBe('running');
  });

  it('reclaims a deregistered-and-kept instance only after its job has ended', async () => {
    // GitHub 2026: the busy flag lags and DELETE answers 204 on a runner holding a job,
    // which runs on. The job hooks make scale-down keep the instance, marked draining.
    world().twin.dispatcher.setSwitches({ busyFlagDelayMs: 300_000, deleteWhileAssigned: '204-if-flag-idle', afterForcedDelete: 'continues' });
    const [victim] = await launch(world());
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
