/**
 * Issue 8, point 2 end to end: the probe exercised by the real scale-down zip against the
 * SSM twin + moto + GitHub twin, on probe-only instances (no hook marker, SSM-managed).
 *
 * SCAFFOLD: it needs the SSM probe adapter (branch adapters) and the executors' probe use
 * (branch core). Once both are on main, `integration/test/e2e/probe-zip.test.ts` is one line:
 * `describeProbeThroughTheZip();` (a scaffold is not a test file, so jest leaves it alone).
 */
import type { SsmExchange } from '../../ssm-twin';
import { ROUTES } from '../../twin';
import type { LocalWorld, ReaperRun } from '../../world/world';
import { expectReturned, fate, isRegistered, launch, startJob, stateOf, useWorld, waitFor, waitForJobPhase } from './support';

const GONE = /^(shutting-down|terminated)$/;

/** The 2026 behaviour: the busy flag lags far behind, a DELETE of a runner holding a job answers 204. */
const FLAG_LAGS = {
  busyFlagDelayMs: 600_000,
  deleteWhileAssigned: '204-if-flag-idle',
  afterForcedDelete: 'continues',
  getAfterDelete: '404',
} as const;

/** Instance ids targeted by the SendCommand calls the twin served. */
function probedIds(exchanges: SsmExchange[]): string[][] {
  return exchanges
    .filter((e) => e.operation === 'SendCommand' && e.status === 200)
    .map((e) => ((e.request as { InstanceIds?: string[] }).InstanceIds ?? []).slice());
}

function outcome(run: ReaperRun, instanceId: string) {
  const found = run.outcomes.find((o) => o.instanceId === instanceId);
  if (!found) throw new Error(`no outcome for ${instanceId}; run: ${run.error ?? JSON.stringify(run.summary)}`);
  return found;
}

function deletesOf(world: LocalWorld): number {
  return world.twin.log.count('DELETE', ROUTES.orgRunner);
}

export function describeProbeThroughTheZip(): void {
  const world = useWorld({ config: { JOB_EVIDENCE: 'auto' } });

  describe('the probe through the built scale-down zip', () => {
    it('keeps a busy machine on the probe’s word while GitHub’s busy flag still says idle, then reclaims it once idle', async () => {
      world().twin.dispatcher.setSwitches(FLAG_LAGS);
      const [busy] = await launch(world(), { hooks: 'overridden', ssm: true });
      await startJob(world(), busy!, 'lagging-flag-job', 8_000, { waitForTag: false });
      await waitFor('the Runner.Worker', () => world().fleet.agent(busy!)!.machine.busy);
      const runner = world().twin.dispatcher.runnerById(world().runnerIdOf(busy!))!;
      expect(world().twin.dispatcher.busyFlag(runner)).toBe(false);

      for (let i = 0; i < 3; i++) {
        const run = await world().runScaleDown();
        expectReturned(run);
        expect(outcome(run, busy!)).toMatchObject({ result: 'kept', evidence: 'probe' });
      }
      expect(await stateOf(world(), busy!)).toBe('running');
      expect(isRegistered(world(), busy!)).toBe(true);
      expect(deletesOf(world())).toBe(0);
      expect(probedIds(world().ssmTwin.log).flat()).toContain(busy);

      await waitForJobPhase(world(), 'lagging-flag-job', 'completed', 20_000);
      expect(fate(world(), 'lagging-flag-job')).toBe('completed');
      for (let i = 0; i < 3 && !GONE.test(await stateOf(world(), busy!)); i++) expectReturned(await world().runScaleDown());
      expect(await stateOf(world(), busy!)).toMatch(GONE);
      expect(world().harmedJobs()).toEqual([]);
    });

    it('reclaims idle probe-only machines, asking them in one SendCommand before the DELETE and again after the settle', async () => {
      const idle = await launch(world(), { hooks: 'none', ssm: true, count: 3 });
      for (let i = 0; i < 3 && !(await Promise.all(idle.map((id) => stateOf(world(), id)))).every((s) => GONE.test(s)); i++) {
        const run = await world().runScaleDown();
        expectReturned(run);
        for (const id of idle) expect(outcome(run, id).evidence).toBe('probe');
      }
      for (const id of idle) expect(await stateOf(world(), id)).toMatch(GONE);
      const rounds = probedIds(world().ssmTwin.log);
      expect(Math.max(...rounds.map((ids) => ids.length))).toBeGreaterThan(1);
      for (const id of idle) expect(rounds.filter((ids) => ids.includes(id)).length).toBeGreaterThanOrEqual(2);
    });

    it('keeps a machine whose probe times out, fails, answers garbage or is never delivered', async () => {
      const [slow, failing, garbage, offline] = await launch(world(), { hooks: 'none', ssm: true, count: 4 });
      const { engine } = world().ssmTwin;
      engine.setFault(slow!, { kind: 'delay', ms: 60_000 });
      engine.setFault(failing!, { kind: 'failed' });
      engine.setFault(garbage!, { kind: 'output', stdout: '{"probe":"runner-reaper","version":1,"busy":"no"}\n' });
      engine.setFault(offline!, { kind: 'delivery-timeout' });
      for (let i = 0; i < 3; i++) {
        const run = await world().runScaleDown();
        expectReturned(run);
        for (const id of [slow!, failing!, garbage!, offline!]) expect(outcome(run, id).result).toBe('kept');
      }
      for (const id of [slow!, failing!, garbage!, offline!]) {
        expect(await stateOf(world(), id)).toBe('running');
        expect(isRegistered(world(), id)).toBe(true);
      }
      expect(deletesOf(world())).toBe(0);
    });

    it('does not count an instance whose agent lost its connection as probe-able', async () => {
      const [lost] = await launch(world(), { hooks: 'none', ssm: true });
      world().ssmTwin.engine.setOnline(lost!, false);
      const run = await world().runScaleDown();
      expectReturned(run);
      expect(outcome(run, lost!).evidence).toBe('none');
      expect(probedIds(world().ssmTwin.log).flat()).not.toContain(lost);
    });
  });
}
