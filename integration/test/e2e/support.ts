/**
 * Shared set-up of the end-to-end suites: one local world per test file (moto, the twin and
 * the two built zips in warm Lambda-like processes), a clean round before every test.
 */
import { TAG } from '../../../lambda/src/core/tags';
import type { LaunchSpec } from '../../agents/fleet';
import type { JobRecord } from '../../ledger';
import { MotoServer } from '../../moto';
import { FAST_AGENT, LocalWorld, waitFor, type LocalWorldOptions, type ReaperRun } from '../../world/world';

export { TAG, FAST_AGENT, waitFor };

/** Registers beforeAll/beforeEach/afterAll hooks and returns a getter for the file's world. */
export function useWorld(opts: Omit<LocalWorldOptions, 'moto'> = {}): () => LocalWorld {
  const moto = new MotoServer();
  let world: LocalWorld | undefined;
  beforeAll(async () => {
    await moto.start();
    world = await LocalWorld.start({ ...opts, moto });
  });
  beforeEach(async () => {
    await world!.reset();
  });
  afterAll(async () => {
    await world?.stop();
    await moto.stop();
  });
  return () => world!;
}

/** Launches runners that poll fast and whose hooks fire well inside the settle. */
export async function launch(world: LocalWorld, spec: Partial<LaunchSpec> = {}): Promise<string[]> {
  const launched = await world.fleet.launch({ owner: world.org, ...FAST_AGENT, ...spec });
  return launched.map((l) => l.instanceId);
}

/** Puts a job on the instance's runner now and waits until the job-started hook tagged the instance. */
export async function startJob(world: LocalWorld, instanceId: string, id: string, durationMs: number, opts: { waitForTag?: boolean } = {}): Promise<void> {
  world.twin.dispatcher.assignNow({ runnerId: world.runnerIdOf(instanceId), id, durationMs });
  await waitForJobPhase(world, id, 'running');
  if (opts.waitForTag !== false) await waitForTag(world, instanceId, TAG.job);
}

export async function waitForJobPhase(world: LocalWorld, jobId: string, phase: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(`job ${jobId} ${phase}`, () => world.twin.dispatcher.getJob(jobId)?.phase === phase, timeoutMs, 20);
}

export async function waitForTag(world: LocalWorld, instanceId: string, key: string, present = true): Promise<void> {
  await waitFor(`${key} ${present ? 'on' : 'off'} ${instanceId}`, async () => key in (await world.instance(instanceId)).tags === present, 10_000, 50);
}

/** The run's outcome for one instance (throws when the run logged none). */
export function outcomeOf(run: ReaperRun, instanceId: string): { result: string; reason: string } {
  const found = run.outcomes.find((o) => o.instanceId === instanceId);
  if (!found) throw new Error(`no outcome for ${instanceId}; run: ${run.error ?? JSON.stringify(run.summary)}`);
  return { result: found.result, reason: found.reason };
}

/** Fails with the invocation error when the handler did not return. */
export function expectReturned(run: ReaperRun): void {
  if (run.error) throw new Error(`the function failed: ${run.error}`);
}

export function fate(world: LocalWorld, jobId: string): JobRecord['fate'] | undefined {
  return world.ledger.getJob(jobId)?.fate;
}

export async function stateOf(world: LocalWorld, instanceId: string): Promise<string> {
  return (await world.instance(instanceId)).state;
}

/** Whether the twin still lists the instance's runner. */
export function isRegistered(world: LocalWorld, instanceId: string): boolean {
  const id = world.fleet.agent(instanceId)?.runnerId;
  const runner = id === undefined ? undefined : world.twin.dispatcher.runnerById(id);
  return !!runner && !runner.deleted && !runner.consumed;
}
