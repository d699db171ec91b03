/**
 * Issue 8, points 2 and 6 end to end: the machine probe exercised by the built zips
 * (scale-down and orphan-cleanup, in Lambda-like processes) through the SSM twin, which runs
 * the real probe script (modules/probe/scripts/probe.sh) on each instance's real local
 * machine: a real `Runner.Worker` process while a job runs. The instances here are
 * probe-only (no hook marker, SSM-managed) unless a test says otherwise.
 *
 * IDLE_CONFIRMATION_SECONDS is long (10 min) so that a probe without an answer keeps its
 * instance for the whole test: the conservative rules alone would need two sightings 20
 * minutes apart (docs/design.md, scale-down rule 13).
 */
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SsmExchange } from '../../ssm-twin';
import { MOTO_CREDENTIALS, MOTO_REGION } from '../../moto';
import { ROUTES } from '../../twin';
import { probeDocumentName, type LocalWorld, type ReaperRun } from '../../world/world';
import { TAG, expectReturned, fate, isRegistered, launch, startJob, stateOf, useWorld, waitFor, waitForJobPhase } from './support';

jest.setTimeout(120_000);

const IDLE_CONFIRMATION_SECONDS = 600;
const SETTLE_MS = 2_000;
const world = useWorld({ config: { JOB_EVIDENCE: 'auto', IDLE_CONFIRMATION_SECONDS: String(IDLE_CONFIRMATION_SECONDS), SETTLE_SECONDS: String(SETTLE_MS / 1000) } });
const GONE = /^(shutting-down|terminated)$/;
const probeOnly = { hooks: 'none', ssm: true } as const;

/** The 2026 behaviour: the busy flag lags far behind, a DELETE of a runner holding a job answers 204 and the job runs on. */
const FLAG_LAGS = {
  busyFlagDelayMs: 600_000,
  deleteWhileAssigned: '204-if-flag-idle',
  afterForcedDelete: 'continues',
  getAfterDelete: '404',
} as const;

/** The SendCommand calls the twin accepted, oldest first. */
function sendCommands(w: LocalWorld): SsmExchange[] {
  return w.ssmTwin.log.filter((e) => e.operation === 'SendCommand' && e.status === 200);
}

function targets(exchange: SsmExchange): string[] {
  return [...((exchange.request as { InstanceIds?: string[] }).InstanceIds ?? [])].sort();
}

function outcome(run: ReaperRun, instanceId: string): { result: string; reason: string; evidence?: string } {
  const found = run.outcomes.find((o) => o.instanceId === instanceId);
  if (!found) throw new Error(`no outcome for ${instanceId}; run: ${run.error ?? JSON.stringify(run.summary)}`);
  return { result: found.result, reason: found.reason, ...(found.evidence ? { evidence: found.evidence } : {}) };
}

function deletesOf(w: LocalWorld): number {
  return w.twin.log.count('DELETE', ROUTES.orgRunner);
}

describe('the probe through the built zips', () => {
  it('keeps a busy machine on the probe’s word while GitHub’s busy flag says idle, and reclaims it in one run once idle', async () => {
    const w = world();
    w.twin.dispatcher.setSwitches(FLAG_LAGS);
    const [busy] = await launch(w, { hooks: 'overridden', ssm: true });
    await startJob(w, busy!, 'lagging-flag-job', 20_000, { waitForTag: false });
    await waitFor('the Runner.Worker', () => w.fleet.agent(busy!)!.machine.busy);
    expect(w.twin.dispatcher.busyFlag(w.twin.dispatcher.runnerById(w.runnerIdOf(busy!))!)).toBe(false);

    for (let i = 0; i < 2; i++) {
      const run = await w.runScaleDown();
      expectReturned(run);
      expect(outcome(run, busy!)).toEqual({ result: 'kept', reason: 'race-probe-busy-before-delete', evidence: 'probe' });
    }
    expect(await stateOf(w, busy!)).toBe('running');
    expect(isRegistered(w, busy!)).toBe(true);
    expect(deletesOf(w)).toBe(0);
    // One probe round per run, right before the DELETE that never came.
    expect(sendCommands(w).map(targets)).toEqual([[busy], [busy]]);

    await waitForJobPhase(w, 'lagging-flag-job', 'completed', 30_000);
    expect(fate(w, 'lagging-flag-job')).toBe('completed');
    const idle = await w.runScaleDown();
    expect(outcome(idle, busy!)).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'probe' });
    expect(await stateOf(w, busy!)).toMatch(GONE);
    expect(w.harmedJobs()).toEqual([]);
  });

  it('reclaims idle probe-only machines in one run, asking them all in one SendCommand right before the DELETEs and again after the settle', async () => {
    const w = world();
    const idle = await launch(w, { ...probeOnly, count: 3 });
    // SSM-managed too: its boot marker makes the hooks its evidence, and the probe is asked
    // as well (the job-started hook lags a job by its set-up).
    const [hooked] = await launch(w, { hooks: 'proven', ssm: true });
    w.ssmTwin.log.length = 0;

    const run = await w.runScaleDown();
    expectReturned(run);
    for (const id of idle) expect(outcome(run, id)).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'probe' });
    expect(outcome(run, hooked!)).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'hooks' });
    for (const id of [...idle, hooked!]) expect(await stateOf(w, id)).toMatch(GONE);
    expect(run.summary).toMatchObject({ probesSent: 8, probeFailures: 0, evidence: { hooks: 1, probe: 3, none: 0 } });

    const sends = sendCommands(w);
    const asked = [...idle, hooked!].sort();
    expect(sends.map(targets)).toEqual([asked, asked]);
    for (const send of sends) {
      expect(send.request).toMatchObject({ DocumentName: probeDocumentName(w.environment), MaxConcurrency: '100%', MaxErrors: '100%' });
    }
    const deletes = w.twin.log.filter('DELETE', ROUTES.orgRunner);
    expect(deletes).toHaveLength(4);
    expect(sends[0]!.at).toBeLessThan(Math.min(...deletes.map((d) => d.at)));
    expect(sends[1]!.at - Math.max(...deletes.map((d) => d.at))).toBeGreaterThanOrEqual(SETTLE_MS);
    // Each command's answers were read back, not guessed.
    const commandIds = sends.map((s) => (s.response as { Command: { CommandId: string } }).Command.CommandId);
    const reads = w.ssmTwin.log.filter((e) => e.operation === 'ListCommandInvocations' && e.status === 200);
    for (const id of commandIds) expect(reads.some((e) => (e.request as { CommandId?: string }).CommandId === id)).toBe(true);
  });

  it('keeps a machine whose probe times out, fails, answers garbage or is never delivered, and says why', async () => {
    const w = world();
    const [slow, timedOut, failing, garbage, lost, undeliverable] = await launch(w, { ...probeOnly, count: 6 });
    const { engine } = w.ssmTwin;
    engine.setFault(slow!, { kind: 'delay', ms: 60_000 });
    engine.setFault(timedOut!, { kind: 'execution-timeout' });
    engine.setFault(failing!, { kind: 'failed' });
    engine.setFault(garbage!, { kind: 'output', stdout: '{"probe":"runner-reaper","version":1,"busy":"no"}\n' });
    engine.setFault(lost!, { kind: 'delivery-timeout' });
    engine.setFault(undeliverable!, { kind: 'undeliverable' });
    const all = [slow!, timedOut!, failing!, garbage!, lost!, undeliverable!];

    for (let i = 0; i < 2; i++) {
      const run = await w.runScaleDown();
      expectReturned(run);
      for (const id of all) expect({ id, ...outcome(run, id) }).toEqual({ id, result: 'kept', reason: 'probe-error', evidence: 'probe' });
      expect(run.summary).toMatchObject({ probesSent: all.length, probeFailures: all.length });
    }
    for (const id of all) {
      expect(await stateOf(w, id)).toBe('running');
      expect(isRegistered(w, id)).toBe(true);
      expect((await w.instance(id)).tags[TAG.drainingSince]).toBeUndefined();
    }
    expect(deletesOf(w)).toBe(0);
    // Per run one SendCommand per look window of 5 (LOOK_WINDOW_SIZE): 5 instances and 1.
    // The second window's look may begin while the first one's is still out (look-ahead),
    // so the two rounds of a run can go in either order.
    const rounds = sendCommands(w).map(targets);
    expect(rounds).toHaveLength(4);
    for (const run of [rounds.slice(0, 2), rounds.slice(2)]) {
      expect(run.map((ids) => ids.length).sort()).toEqual([1, 5]);
      expect(run.flat().sort()).toEqual([...all].sort());
    }
  });

  it('lets a probe that never answers hold its machine only until the rules without machine evidence would reclaim it', async () => {
    const w = world();
    const [failing, stillHeld] = await launch(w, { ...probeOnly, count: 2 });
    w.ssmTwin.engine.setFault(failing!, { kind: 'failed' });
    w.ssmTwin.engine.setFault(stillHeld!, { kind: 'failed' });
    const first = await w.runScaleDown();
    expect(outcome(first, failing!)).toMatchObject({ result: 'kept', reason: 'probe-error' });
    // Both were first seen idle then; one's streak is now older than 2 x IDLE_CONFIRMATION_SECONDS.
    const since = Date.parse((await w.instance(failing!)).tags[TAG.idleSince]!);
    await w.tagInstance(failing!, { [TAG.idleSince]: new Date(since - 2 * IDLE_CONFIRMATION_SECONDS * 1000 - 60_000).toISOString() });

    const second = await w.runScaleDown();
    expect(outcome(second, failing!)).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'probe' });
    expect(outcome(second, stillHeld!)).toEqual({ result: 'kept', reason: 'probe-error', evidence: 'probe' });
    expect(await stateOf(w, stillHeld!)).toBe('running');
  });

  it('does not count an instance whose agent lost its connection as probe-able: no machine evidence, never sent a command', async () => {
    const w = world();
    const [lost] = await launch(w, probeOnly);
    w.ssmTwin.engine.setOnline(lost!, false);
    const run = await w.runScaleDown();
    expectReturned(run);
    expect(outcome(run, lost!)).toEqual({ result: 'kept', reason: 'idle-first-sighting', evidence: 'none' });
    expect(sendCommands(w)).toEqual([]);

    const ssm = new SSMClient({ endpoint: w.ssmTwin.url, region: MOTO_REGION, credentials: { ...MOTO_CREDENTIALS }, maxAttempts: 1 });
    try {
      const listed = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [lost!] }] }));
      expect(listed.InstanceInformationList?.map((i) => i.PingStatus)).toEqual(['ConnectionLost']);
    } finally {
      ssm.destroy();
    }
  });

  it('a job landing at the DELETE under 2026 GitHub (204): the probe after the settle sees its Worker; orphan-cleanup finishes the instance after the job', async () => {
    const w = world();
    w.twin.dispatcher.setSwitches(FLAG_LAGS);
    const [victim] = await launch(w, probeOnly);
    w.twin.before({ method: 'DELETE', route: ROUTES.orgRunner, params: { runner_id: w.runnerIdOf(victim!) } }, async () => {
      w.twin.dispatcher.assignNow({ runnerId: w.runnerIdOf(victim!), id: 'at-the-delete', durationMs: 8_000 });
      await waitForJobPhase(w, 'at-the-delete', 'running');
    }, { times: 1 });

    const run = await w.runScaleDown();
    expectReturned(run);
    // GitHub deregistered the runner under its job and its flag still says idle: only the machine can tell.
    expect(w.twin.log.filter('DELETE', ROUTES.orgRunner).map((e) => e.status)).toEqual([204]);
    expect(outcome(run, victim!)).toEqual({ result: 'kept', reason: 'race-probe-busy-after-delete', evidence: 'probe' });
    expect(isRegistered(w, victim!)).toBe(false);
    expect((await w.instance(victim!)).tags[TAG.drainingSince]).toBeDefined();

    const whileRunning = await w.runOrphanCleanup();
    expect(outcome(whileRunning, victim!)).toEqual({ result: 'kept', reason: 'probe-busy', evidence: 'probe' });
    expect(await stateOf(w, victim!)).toBe('running');

    await waitForJobPhase(w, 'at-the-delete', 'completed');
    expect(fate(w, 'at-the-delete')).toBe('completed');
    const after = await w.runOrphanCleanup();
    expect(outcome(after, victim!)).toEqual({ result: 'terminated', reason: 'drained', evidence: 'probe' });
    expect(await stateOf(w, victim!)).toMatch(GONE);
    expect(w.harmedJobs()).toEqual([]);
  });

  it('keeps an unlisted ephemeral runner while the probe sees its job, and reclaims it in one orphan-cleanup run once the job is over', async () => {
    const w = world();
    const [eph] = await launch(w, { ...probeOnly, ephemeral: true });
    await startJob(w, eph!, 'unlisted-job', 8_000, { waitForTag: false });
    expect(isRegistered(w, eph!)).toBe(false);

    const whileRunning = await w.runOrphanCleanup();
    expectReturned(whileRunning);
    expect(outcome(whileRunning, eph!)).toEqual({ result: 'kept', reason: 'probe-busy', evidence: 'probe' });
    expect(await stateOf(w, eph!)).toBe('running');

    await waitForJobPhase(w, 'unlisted-job', 'completed');
    await waitFor('the ephemeral runner to exit', () => w.fleet.agent(eph!)?.state === 'exited');
    const after = await w.runOrphanCleanup();
    expect(outcome(after, eph!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed', evidence: 'probe' });
    expect(fate(w, 'unlisted-job')).toBe('completed');
    expect(w.harmedJobs()).toEqual([]);
  });
});
