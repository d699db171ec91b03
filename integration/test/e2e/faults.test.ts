/**
 * End to end under failure: GitHub storms, a run killed half-way, dry runs and a broken
 * configuration. The reaper fails closed: whatever goes wrong, no job is harmed, and an
 * instance is only terminated after its runner was deregistered.
 */
import { killRuntimeProcess, type LocalWorld, type ReaperRun } from '../../world/world';
import { ROUTES } from '../../twin';
import { TAG, expectReturned, fate, isRegistered, launch, outcomeOf, startJob, stateOf, useWorld, waitFor, waitForJobPhase } from './support';

jest.setTimeout(120_000);

const world = useWorld({ config: { JOB_EVIDENCE: 'auto' } });
const GONE = /^(shutting-down|terminated)$/;

/** The handler returned, or failed with its own error; never a timeout or a crash. */
function expectCleanEnd(run: ReaperRun): void {
  if (run.invocation.ok) return;
  expect(run.invocation.errorType).not.toMatch(/Sandbox\.Timedout|Runtime\.ExitError/);
}

/**
 * Two idle runners the next run would reclaim, one with proven hooks, one without machine
 * evidence already seen idle once, and two runners whose jobs run.
 */
async function mixedFleet(w: LocalWorld, storm: string): Promise<{ idle: string[]; busy: string[]; jobs: string[] }> {
  const [bare] = await launch(w, { hooks: 'none' });
  const busy = await launch(w, { count: 2 });
  const jobs = [`${storm}-job-1`, `${storm}-job-2`];
  await startJob(w, busy[0]!, jobs[0]!, 120_000);
  await startJob(w, busy[1]!, jobs[1]!, 120_000);
  const sighting = await w.runScaleDown();
  expectReturned(sighting);
  expect(outcomeOf(sighting, bare!)).toEqual({ result: 'kept', reason: 'idle-first-sighting' });
  // Launched after that run: proven hooks make it reclaimable at its first idle sighting.
  const [hooked] = await launch(w);
  return { idle: [bare!, hooked!], busy, jobs };
}

async function expectBusySpared(w: LocalWorld, busy: string[], jobs: string[]): Promise<void> {
  for (const id of busy) expect(await stateOf(w, id)).toBe('running');
  for (const job of jobs) expect(fate(w, job)).toBe('pending');
  expect(w.harmedJobs()).toEqual([]);
}

const dryRun = { result: 'kept', reason: 'dry-run' };

async function tagsOfAll<K extends string>(w: LocalWorld, ids: Record<K, string>): Promise<Record<K, Record<string, string>>> {
  const out = {} as Record<K, Record<string, string>>;
  for (const [name, id] of Object.entries(ids) as [K, string][]) out[name] = (await w.instance(id)).tags;
  return out;
}

/** Terminated instances are exactly those whose runner GitHub no longer lists. */
async function expectNoRegisteredRunnerTerminated(w: LocalWorld, ids: string[]): Promise<void> {
  for (const id of ids) {
    if (GONE.test(await stateOf(w, id))) expect(isRegistered(w, id)).toBe(false);
  }
}

describe('GitHub storms', () => {
  it('5xx storm: nothing wrongly terminated, every run ends cleanly', async () => {
    const w = world();
    const { idle, busy, jobs } = await mixedFleet(w, '5xx');

    w.twin.faults.errorRate(1, { status: 502 });
    const blackout = await w.runScaleDown();
    expectReturned(blackout);
    expect(blackout.summary?.reasons).toEqual({ 'github-unavailable': 4 });
    for (const id of [...idle, ...busy]) expect(await stateOf(w, id)).toBe('running');

    w.twin.faults.clear();
    w.twin.faults.reseed(7);
    w.twin.faults.errorRate(0.5, { status: 503 });
    // Every failed read is retried twice with back-off (1 s, 4 s): one run of each is enough.
    expectCleanEnd(await w.runScaleDown());
    const orphanRun = await w.runOrphanCleanup();
    expectCleanEnd(orphanRun);

    expect(w.twin.log.statuses()[502]).toBeGreaterThan(0);
    expect(w.twin.log.statuses()[503]).toBeGreaterThan(0);
    await expectBusySpared(w, busy, jobs);
    await expectNoRegisteredRunnerTerminated(w, idle);
  });

  it('secondary rate-limit storm: refused DELETEs keep their instances, nothing wrongly terminated', async () => {
    const w = world();
    const { idle, busy, jobs } = await mixedFleet(w, 'secondary');
    // At most 2 requests in flight and 8 points a minute per endpoint: one DELETE (5
    // points) fits in a minute, the second is refused with 403 and retry-after.
    w.twin.limits.configure({ secondary: { maxConcurrent: 2, pointsPerMinute: 8, concurrencyRetryAfterSeconds: 1 } });

    const run = await w.runScaleDown();
    expectCleanEnd(run);
    const deletes = w.twin.log.filter('DELETE', ROUTES.orgRunner).map((e) => e.status).sort();
    expect(deletes).toEqual([204, 403]);
    const refused = idle.find((id) => isRegistered(w, id))!;
    expect(refused).toBeDefined();
    expect(outcomeOf(run, refused)).toEqual({ result: 'kept', reason: 'github-error' });
    expect(await stateOf(w, refused)).toBe('running');
    const reclaimed = idle.find((id) => id !== refused)!;
    expect(await stateOf(w, reclaimed)).toMatch(GONE);

    expectCleanEnd(await w.runOrphanCleanup());
    await expectBusySpared(w, busy, jobs);
    await expectNoRegisteredRunnerTerminated(w, idle);
    expect(await stateOf(w, refused)).toBe('running');
  });
});

describe('a run killed between DELETE and terminate', () => {
  it('leaves draining marks that the next orphan-cleanup run finishes: idle terminated, a job-holding one after its job, one without evidence after the hold', async () => {
    const w = world();
    w.twin.dispatcher.setSwitches({ busyFlagDelayMs: 300_000, deleteWhileAssigned: '204-if-flag-idle', afterForcedDelete: 'continues' });
    const [bare] = await launch(w, { hooks: 'none' });
    expect(outcomeOf(await w.runScaleDown(), bare!)).toEqual({ result: 'kept', reason: 'idle-first-sighting' });
    const [idle, unlucky] = await launch(w, { count: 2 });
    const all = [bare!, idle!, unlucky!];
    // A job lands on one runner as it is deregistered (GitHub 2026: 204, the job runs on) ...
    w.twin.before({ method: 'DELETE', route: ROUTES.orgRunner, params: { runner_id: w.runnerIdOf(unlucky!) } }, async () => {
      w.twin.dispatcher.assignNow({ runnerId: w.runnerIdOf(unlucky!), id: 'outlives-the-run', durationMs: 5_000 });
      await waitForJobPhase(w, 'outlives-the-run', 'running');
    }, { times: 1 });
    // ... and the Lambda process dies once all three DELETEs went through, before any terminate.
    let deletes = 0;
    const killedPids: number[] = [];
    w.twin.after({ method: 'DELETE', route: ROUTES.orgRunner }, () => {
      if (++deletes === all.length) killedPids.push(...killRuntimeProcess(w.scaleDown));
    });

    const killed = await w.runScaleDown();
    expect(killedPids).toHaveLength(1);
    expect(killed.error).toMatch(/Runtime\.ExitError.*SIGKILL/);
    for (const id of all) {
      expect(isRegistered(w, id)).toBe(false);
      expect(await stateOf(w, id)).toBe('running');
      expect((await w.instance(id)).tags[TAG.drainingSince]).toBeDefined();
    }
    await waitFor('ghr:job on the unlucky instance', async () => TAG.job in (await w.instance(unlucky!)).tags);

    const next = await w.runOrphanCleanup();
    expectReturned(next);
    expect(outcomeOf(next, idle!)).toEqual({ result: 'terminated', reason: 'drained' });
    expect(outcomeOf(next, unlucky!)).toEqual({ result: 'kept', reason: 'job-evidence' });
    // Nothing on the bare machine could tell a job: held for MAX_JOB_DURATION_MINUTES.
    expect(outcomeOf(next, bare!)).toEqual({ result: 'kept', reason: 'waiting-max-job-duration' });
    expect(await stateOf(w, unlucky!)).toBe('running');

    await waitForJobPhase(w, 'outlives-the-run', 'completed');
    await waitFor('ghr:job removed', async () => !(TAG.job in (await w.instance(unlucky!)).tags));
    const later = await w.runOrphanCleanup();
    expect(outcomeOf(later, unlucky!)).toEqual({ result: 'terminated', reason: 'drained' });
    expect(outcomeOf(later, bare!)).toEqual({ result: 'kept', reason: 'waiting-max-job-duration' });
    expect(fate(w, 'outlives-the-run')).toBe('completed');

    // The hold has passed (the draining mark moved back past MAX_JOB_DURATION_MINUTES=60).
    const marked = Date.parse((await w.instance(bare!)).tags[TAG.drainingSince]!);
    await w.tagInstance(bare!, { [TAG.drainingSince]: new Date(marked - 61 * 60_000).toISOString() });
    const last = await w.runOrphanCleanup();
    expect(outcomeOf(last, bare!)).toEqual({ result: 'terminated', reason: 'drained' });
    expect(w.harmedJobs()).toEqual([]);

    // The next scale-down starts a fresh process and leaves the finished instances alone.
    expectReturned(await w.runScaleDown());
  });
});

describe('configuration', () => {
  it('DRY_RUN=true makes the same decisions, writes only the bookkeeping marks a real run would, and a real run continues from them', async () => {
    const w = world();
    const [hooked] = await launch(w);
    const [bare] = await launch(w, { hooks: 'none' });
    const [probed] = await launch(w, { register: false, hooks: 'none', ssm: true });
    const [neverRegistered] = await launch(w, { register: false });
    const ids = { hooked: hooked!, bare: bare!, probed: probed!, neverRegistered: neverRegistered! };
    const tagsBefore = await tagsOfAll(w, ids);
    w.twin.log.clear();

    const dryScaleDown = await w.startFunction('scale-down', { env: { DRY_RUN: 'true' } });
    const dryOrphans = await w.startFunction('orphan-cleanup', { env: { DRY_RUN: 'true' } });
    const scaleDown = [await w.run(dryScaleDown)];
    const orphans = [await w.run(dryOrphans)];
    scaleDown.push(await w.run(dryScaleDown));
    orphans.push(await w.run(dryOrphans));
    for (const run of [...scaleDown, ...orphans]) expect(run.summary).toMatchObject({ dryRun: true, terminated: 0 });
    // With machine evidence at once; without, at the second sighting (or held, as a real run would).
    expect(scaleDown.map((r) => outcomeOf(r, hooked!))).toEqual([dryRun, dryRun]);
    expect(scaleDown.map((r) => outcomeOf(r, bare!))).toEqual([{ result: 'kept', reason: 'idle-first-sighting' }, dryRun]);
    expect(orphans.map((r) => outcomeOf(r, probed!))).toEqual([dryRun, dryRun]);
    expect(orphans.map((r) => outcomeOf(r, neverRegistered!))).toEqual([
      { result: 'kept', reason: 'orphan-first-sighting' },
      { result: 'kept', reason: 'waiting-max-job-duration' },
    ]);

    // Nothing acted: no DELETE, no draining mark, no termination; the looks still happen
    // (a GET of each runner the run would deregister).
    expect(w.twin.log.count('DELETE', ROUTES.orgRunner)).toBe(0);
    expect(w.twin.log.count('GET', ROUTES.orgRunner)).toBe(3);
    for (const id of Object.values(ids)) expect(await stateOf(w, id)).toBe('running');
    expect(isRegistered(w, hooked!)).toBe(true);
    expect(isRegistered(w, bare!)).toBe(true);
    // Only the marks a real run would have written: ghr:idle-since and ghr:reaper-orphan-since
    // (which the probe's decisions keep too, so a probe that never answers cannot hold for ever).
    const tagsAfter = await tagsOfAll(w, ids);
    expect(tagsAfter.hooked).toEqual(tagsBefore.hooked);
    expect(tagsAfter.probed).toEqual({ ...tagsBefore.probed, [TAG.reaperOrphanSince]: expect.any(String) });
    expect(tagsAfter.bare).toEqual({ ...tagsBefore.bare, [TAG.idleSince]: expect.any(String) });
    expect(tagsAfter.neverRegistered).toEqual({ ...tagsBefore.neverRegistered, [TAG.reaperOrphanSince]: expect.any(String) });

    // Switching to a real run continues the same clocks: the bare runner's second sighting is behind it.
    const real = await w.runScaleDown();
    expect(outcomeOf(real, hooked!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
    expect(outcomeOf(real, bare!)).toEqual({ result: 'terminated', reason: 'idle-confirmed' });
  });

  it('a bad environment fails every invocation, naming the variable, before any GitHub call', async () => {
    const w = world();
    const [idle] = await launch(w);
    const broken = await w.startFunction('scale-down', { env: { SETTLE_SECONDS: 'soon' } });
    const unnamed = await w.startFunction('orphan-cleanup', { env: { ENVIRONMENT: '' } });
    w.twin.log.clear();

    const first = await w.run(broken);
    const again = await w.run(broken);
    const orphan = await w.run(unnamed);
    for (const run of [first, again]) {
      expect(run.invocation.ok).toBe(false);
      expect(run.error).toMatch(/ConfigError/);
      expect(run.error).toContain('SETTLE_SECONDS');
    }
    expect(orphan.error).toMatch(/ConfigError.*ENVIRONMENT/s);
    expect(w.twin.log.size).toBe(0);
    expect(await w.instance(idle!)).toMatchObject({ state: 'running' });
    expect((await w.instance(idle!)).tags[TAG.idleSince]).toBeUndefined();
  });
});
