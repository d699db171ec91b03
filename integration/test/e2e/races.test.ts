/**
 * A job landing between each pair of the scale-down executor's steps (docs/design.md,
 * a-f), forced deterministically with twin hooks on the reaper's own requests. In every
 * case the ledger must show the job alive or completed, never killed by termination.
 * Runners with proven hooks are reclaimed at their first idle sighting, so the race lands in
 * the run that decides; runners without machine evidence are seen idle by a run before.
 */
import { hookInstall, type LaunchSpec } from '../../agents';
import type { LocalWorld } from '../../world/world';
import { ROUTES } from '../../twin';
import { TAG, expectReturned, fate, isRegistered, launch, outcomeOf, stateOf, useWorld, waitFor, waitForJobPhase } from './support';

jest.setTimeout(90_000);

const world = useWorld();
const runnerRoute = (w: LocalWorld, instanceId: string, method: 'GET' | 'DELETE') => ({
  method,
  route: ROUTES.orgRunner,
  params: { runner_id: w.runnerIdOf(instanceId) },
});

/** GitHub as reported in 2026: busy flag minutes late, DELETE of a runner holding a job answers 204, the job runs on. */
function github2026(w: LocalWorld): void {
  w.twin.dispatcher.setSwitches({ busyFlagDelayMs: 300_000, deleteWhileAssigned: '204-if-flag-idle', afterForcedDelete: 'continues' });
}

/**
 * One idle runner the next scale-down run decides to reclaim: with proven hooks (the boot
 * marker) at once; without machine evidence after a first run has seen it idle.
 */
async function idleRunnerAboutToBeReclaimed(w: LocalWorld, spec: Partial<LaunchSpec> = {}): Promise<string> {
  const [instanceId] = await launch(w, spec);
  if (hookInstall(spec.hooks) === 'proven') {
    expect((await w.instance(instanceId!)).tags[TAG.jobHooks]).toBe('1');
  } else {
    const first = await w.runScaleDown();
    expect(outcomeOf(first, instanceId!)).toEqual({ result: 'kept', reason: 'idle-first-sighting' });
  }
  return instanceId!;
}

async function assign(w: LocalWorld, instanceId: string, jobId: string, durationMs: number, waitUntilRunning: boolean): Promise<void> {
  w.twin.dispatcher.assignNow({ runnerId: w.runnerIdOf(instanceId), id: jobId, durationMs });
  if (waitUntilRunning) await waitForJobPhase(w, jobId, 'running');
}

async function expectJobCompletesUnharmed(w: LocalWorld, instanceId: string, jobId: string): Promise<void> {
  expect(fate(w, jobId)).not.toBe('killed-by-termination');
  expect(await stateOf(w, instanceId)).toBe('running');
  await waitForJobPhase(w, jobId, 'completed');
  await w.fleet.sweep();
  expect(fate(w, jobId)).toBe('completed');
  expect(w.harmedJobs()).toEqual([]);
}

it.each(['proven', 'none'] as const)('a job assigned just before the GET is answered (hooks %s): the GET reads busy, nothing is deleted', async (hooks) => {
  const w = world();
  const victim = await idleRunnerAboutToBeReclaimed(w, { hooks });
  const jobId = `before-get-${hooks}`;
  const hook = w.twin.before(runnerRoute(w, victim, 'GET'), () => assign(w, victim, jobId, 3_000, false), { times: 1 });

  const run = await w.runScaleDown();
  expectReturned(run);
  expect(hook.calls).toBe(1);
  expect(outcomeOf(run, victim)).toEqual({ result: 'kept', reason: 'race-busy-before-delete' });
  expect(w.twin.log.count('DELETE', ROUTES.orgRunner)).toBe(0);
  expect(isRegistered(w, victim)).toBe(true);
  await expectJobCompletesUnharmed(w, victim, jobId);
});

it('a job started after the listing while the busy flag lags: the tag re-read of the look catches it before any DELETE', async () => {
  const w = world();
  github2026(w);
  const victim = await idleRunnerAboutToBeReclaimed(w);
  // The decision is made on the listing (and the tags read before it): both say idle.
  w.twin.after({ method: 'GET', route: ROUTES.orgRunners }, async () => {
    await assign(w, victim, 'after-listing', 4_000, true);
    await waitFor('ghr:job', async () => TAG.job in (await w.instance(victim)).tags);
  }, { times: 1 });

  const run = await w.runScaleDown();
  expect(outcomeOf(run, victim)).toEqual({ result: 'kept', reason: 'race-job-evidence-before-delete' });
  expect(w.twin.log.count('DELETE', ROUTES.orgRunner)).toBe(0);
  expect(isRegistered(w, victim)).toBe(true);
  await expectJobCompletesUnharmed(w, victim, 'after-listing');
});

// The look reads the tags once GitHub has answered the GET, so evidence written while the
// GET was in flight still keeps the runner registered (as 0.1.0's executor did).
it('a job started before the GET while the busy flag lags: the tag re-read before the DELETE catches it', async () => {
  const w = world();
  github2026(w);
  const victim = await idleRunnerAboutToBeReclaimed(w);
  w.twin.before(runnerRoute(w, victim, 'GET'), async () => {
    await assign(w, victim, 'before-get-lagging', 4_000, true);
    await waitFor('ghr:job', async () => TAG.job in (await w.instance(victim)).tags);
  }, { times: 1 });

  const run = await w.runScaleDown();
  expect(outcomeOf(run, victim)).toEqual({ result: 'kept', reason: 'race-job-evidence-before-delete' });
  expect(w.twin.log.count('DELETE', ROUTES.orgRunner)).toBe(0);
  await expectJobCompletesUnharmed(w, victim, 'before-get-lagging');
});

it('a job assigned between the GET and the DELETE: GitHub refuses the DELETE (422) and the instance stays', async () => {
  const w = world();
  // A job whose set-up outlasts the look (its hook tags only after the DELETE): the DELETE is what sees the job.
  const victim = await idleRunnerAboutToBeReclaimed(w, { setUpMs: 1_200, hookDelayMs: 300 });
  const hook = w.twin.after(runnerRoute(w, victim, 'GET'), () => assign(w, victim, 'get-to-delete', 3_000, false), { times: 1 });

  const run = await w.runScaleDown();
  expectReturned(run);
  expect(hook.calls).toBe(1);
  expect(outcomeOf(run, victim)).toEqual({ result: 'kept', reason: 'race-delete-refused' });
  expect(w.twin.log.filter('DELETE', ROUTES.orgRunner).map((e) => e.status)).toEqual([422]);
  expect((await w.instance(victim)).tags[TAG.drainingSince]).toBeUndefined();
  expect(isRegistered(w, victim)).toBe(true);
  await expectJobCompletesUnharmed(w, victim, 'get-to-delete');
});

it('a job landing at the DELETE under 2026 GitHub (204, flag still idle): the hooks tag it during the settle, the re-check keeps it', async () => {
  const w = world();
  github2026(w);
  const victim = await idleRunnerAboutToBeReclaimed(w);
  w.twin.before(runnerRoute(w, victim, 'DELETE'), () => assign(w, victim, 'delete-to-recheck', 5_000, true), { times: 1 });

  const run = await w.runScaleDown();
  expectReturned(run);
  // GitHub deregistered the runner under its job: only the machine's own evidence is left.
  expect(w.twin.log.filter('DELETE', ROUTES.orgRunner).map((e) => e.status)).toEqual([204]);
  expect(isRegistered(w, victim)).toBe(false);
  expect(outcomeOf(run, victim)).toEqual({ result: 'kept', reason: 'race-job-evidence-after-delete' });
  expect((await w.instance(victim)).tags[TAG.drainingSince]).toBeDefined();
  await expectJobCompletesUnharmed(w, victim, 'delete-to-recheck');

  // Orphan-cleanup finishes the drained instance once the job is over.
  await waitFor('ghr:job removed', async () => !(TAG.job in (await w.instance(victim)).tags));
  const cleanup = await w.runOrphanCleanup();
  expect(outcomeOf(cleanup, victim)).toEqual({ result: 'terminated', reason: 'drained' });
});

// The re-check reads the tags once GitHub has answered the re-check GET: time GitHub takes
// (a slow answer, a rate-limit wait) is more time for the hook, never less.
it('job evidence appearing after the re-check GET, before the terminate: the tag re-read after the GET keeps it', async () => {
  const w = world();
  github2026(w);
  // A job whose set-up and hook outlast the 2 s settle: its tag lands after the re-check GET.
  const victim = await idleRunnerAboutToBeReclaimed(w, { setUpMs: 2_300, hookDelayMs: 300 });
  w.twin.before(runnerRoute(w, victim, 'DELETE'), async () => {
    await assign(w, victim, 'recheck-to-terminate', 6_000, true);
    // The re-check GET is answered only once the hook has tagged the instance.
    w.twin.after(runnerRoute(w, victim, 'GET'), async () => {
      await waitFor('ghr:job', async () => TAG.job in (await w.instance(victim)).tags, 10_000, 25);
    }, { times: 1 });
  }, { times: 1 });

  const run = await w.runScaleDown();
  expectReturned(run);
  const gets = w.twin.log.filter('GET', ROUTES.orgRunner);
  expect(gets.map((e) => e.status)).toEqual([200, 404]);
  expect(outcomeOf(run, victim)).toEqual({ result: 'kept', reason: 'race-job-evidence-after-delete' });
  await expectJobCompletesUnharmed(w, victim, 'recheck-to-terminate');
});

it('a job landing at the DELETE with hooks off (no machine evidence, seen idle twice): the re-check GET reading busy keeps it', async () => {
  const w = world();
  github2026(w);
  w.twin.dispatcher.setSwitches({ getAfterDelete: 'busy' });
  const victim = await idleRunnerAboutToBeReclaimed(w, { hooks: 'none' });
  w.twin.before(runnerRoute(w, victim, 'DELETE'), () => assign(w, victim, 'hooks-off', 4_000, true), { times: 1 });

  const run = await w.runScaleDown();
  expectReturned(run);
  expect(outcomeOf(run, victim)).toEqual({ result: 'kept', reason: 'race-busy-after-delete' });
  await expectJobCompletesUnharmed(w, victim, 'hooks-off');
});
