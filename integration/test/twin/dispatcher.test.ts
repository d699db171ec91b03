import type { Octokit } from '@octokit/rest';
import { GitHubTwin, ROUTES, VirtualClock } from '../../twin';
import { OutcomeLedger } from '../../ledger';
import { registerRunners, startTwin, statusOf, tokenOctokit } from './support';

describe('twin job dispatcher and delete semantics', () => {
  let clock: VirtualClock;
  let ledger: OutcomeLedger;
  let twin: GitHubTwin;
  let gh: Octokit;
  beforeEach(async () => {
    clock = new VirtualClock();
    ledger = new OutcomeLedger();
    twin = await startTwin({ clock, ledger });
    gh = tokenOctokit(twin, 'my-org');
  });
  afterEach(() => twin.stop());

  const getRunner = (id: number) => gh.actions.getSelfHostedRunnerForOrg({ org: 'my-org', runner_id: id });
  const deleteRunner = (id: number) => statusOf(gh.actions.deleteSelfHostedRunnerFromOrg({ org: 'my-org', runner_id: id }));

  it('moves a job through queued, assigned, running and completed on a label-matching runner', () => {
    const d = twin.dispatcher;
    registerRunners(twin, 2);
    const [gpuRunner] = registerRunners(twin, 1, undefined, { labels: ['gpu'], prefix: 'gpu' });
    const job = d.enqueue({ labels: ['self-hosted', 'gpu'], durationMs: 1000 });
    expect(job.phase).toBe('assigned');
    expect(job.runnerId).toBe(gpuRunner!.id);
    const cpuOnly = d.enqueue({ labels: ['arm64'] });
    expect(cpuOnly.phase).toBe('queued');

    expect(d.poll(gpuRunner!.id).job?.id).toBe(job.id);
    d.startJob(job.id);
    expect(job.phase).toBe('running');
    d.completeJob(job.id);
    expect(job.phase).toBe('completed');
    expect(ledger.getJob(job.id)?.fate).toBe('completed');
    expect(ledger.getJob(cpuOnly.id)?.fate).toBe('pending');
  });

  it('does not assign to offline runners, and assigns when they poll again', async () => {
    const d = twin.dispatcher;
    const [r] = registerRunners(twin, 1);
    await clock.advance(d.switches.offlineAfterMs + 1);
    const job = d.enqueue({});
    expect(job.phase).toBe('queued');
    d.poll(r!.id);
    expect(job.phase).toBe('assigned');
  });

  it('lags the busy flag behind assignment by busyFlagDelayMs on the world clock', async () => {
    twin.dispatcher.setSwitches({ busyFlagDelayMs: 45_000, offlineAfterMs: 3_600_000 });
    const [r] = registerRunners(twin, 1);
    twin.dispatcher.enqueue({});
    expect((await getRunner(r!.id)).data.busy).toBe(false);
    await clock.advance(44_999);
    expect((await getRunner(r!.id)).data.busy).toBe(false);
    await clock.advance(1);
    expect((await getRunner(r!.id)).data.busy).toBe(true);
  });

  it("refuses DELETE of an assigned runner with 422 under '422' even while the flag reads idle", async () => {
    twin.dispatcher.setSwitches({ busyFlagDelayMs: 60_000, deleteWhileAssigned: '422' });
    const [r] = registerRunners(twin, 1);
    const job = twin.dispatcher.enqueue({});
    expect((await getRunner(r!.id)).data.busy).toBe(false);
    expect(await deleteRunner(r!.id)).toBe(422);
    expect(job.phase).toBe('assigned');
    expect((await getRunner(r!.id)).status).toBe(200);
  });

  it("answers the 2021-style 500 under '500'", async () => {
    twin.dispatcher.setSwitches({ deleteWhileAssigned: '500' });
    const [r] = registerRunners(twin, 1);
    twin.dispatcher.enqueue({});
    const err = await gh.actions.deleteSelfHostedRunnerFromOrg({ org: 'my-org', runner_id: r!.id }).catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(500);
    expect(JSON.stringify((err as { response: { data: unknown } }).response.data)).toMatch(/running a job/);
  });

  it("deletes a runner whose flag still reads idle under '204-if-flag-idle' and cancels its job by default", async () => {
    twin.dispatcher.setSwitches({ busyFlagDelayMs: 30_000, deleteWhileAssigned: '204-if-flag-idle' });
    const [r] = registerRunners(twin, 1);
    const job = twin.dispatcher.enqueue({});
    twin.dispatcher.poll(r!.id);
    twin.dispatcher.startJob(job.id);
    expect(await deleteRunner(r!.id)).toBe(204);
    expect(job.phase).toBe('cancelled');
    expect(ledger.getJob(job.id)?.fate).toBe('cancelled-by-deregistration');
    expect(twin.dispatcher.poll(r!.id)).toEqual({ registered: false, cancelledJobId: job.id });
    expect(await statusOf(getRunner(r!.id))).toBe(404);
  });

  it("refuses under '204-if-flag-idle' once the flag reads busy", async () => {
    twin.dispatcher.setSwitches({ busyFlagDelayMs: 30_000, deleteWhileAssigned: '204-if-flag-idle' });
    const [r] = registerRunners(twin, 1);
    twin.dispatcher.enqueue({});
    await clock.advance(30_000);
    expect(await deleteRunner(r!.id)).toBe(422);
  });

  it("lets the job continue and GET answer busy under 'continues' + getAfterDelete 'busy'", async () => {
    twin.dispatcher.setSwitches({
      busyFlagDelayMs: 30_000,
      deleteWhileAssigned: '204-if-flag-idle',
      afterForcedDelete: 'continues',
      getAfterDelete: 'busy',
    });
    const [r] = registerRunners(twin, 1);
    const job = twin.dispatcher.enqueue({});
    twin.dispatcher.startJob(job.id);
    expect(await deleteRunner(r!.id)).toBe(204);
    expect(job.phase).toBe('running');
    const ghost = await getRunner(r!.id);
    expect(ghost.data.busy).toBe(true);
    expect((await gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org' })).data.total_count).toBe(0);
    twin.dispatcher.completeJob(job.id);
    expect(ledger.getJob(job.id)?.fate).toBe('completed');
    expect(await statusOf(getRunner(r!.id))).toBe(404);
  });

  it("requeues an assigned-but-not-started job under assignedOnForcedDelete 'requeue'", async () => {
    twin.dispatcher.setSwitches({ busyFlagDelayMs: 30_000, deleteWhileAssigned: '204-if-flag-idle', assignedOnForcedDelete: 'requeue' });
    const [r] = registerRunners(twin, 1);
    const job = twin.dispatcher.assignNow({ runnerId: r!.id, id: 'victim' });
    expect(job.phase).toBe('assigned');
    expect(await deleteRunner(r!.id)).toBe(204);
    expect(job.phase).toBe('queued');
    expect(job.runnerId).toBeUndefined();
    expect(ledger.getJob('victim')?.requeues).toBe(1);
  });

  it('consumes an ephemeral registration at assignment: absent from list and GET while the job runs', async () => {
    const [r] = registerRunners(twin, 1, undefined, { ephemeral: true });
    const job = twin.dispatcher.enqueue({});
    expect(job.runnerId).toBe(r!.id);
    expect(await statusOf(getRunner(r!.id))).toBe(404);
    expect((await gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org' })).data.total_count).toBe(0);
    expect(await deleteRunner(r!.id)).toBe(404);
    expect(twin.dispatcher.poll(r!.id).job?.id).toBe(job.id);
    expect(job.phase).toBe('assigned');
  });

  it('records a job on a terminated runner as killed', () => {
    const [r] = registerRunners(twin, 1);
    const job = twin.dispatcher.enqueue({});
    twin.dispatcher.startJob(job.id);
    twin.dispatcher.runnerKilled(r!.id);
    expect(job.phase).toBe('killed');
    expect(ledger.getJob(job.id)?.fate).toBe('killed-by-termination');
  });

  it('honours a busy override (GitHub flipping busy to false mid-job)', async () => {
    const [r] = registerRunners(twin, 1);
    twin.dispatcher.enqueue({});
    expect((await getRunner(r!.id)).data.busy).toBe(true);
    twin.dispatcher.setBusyOverride(r!.id, false);
    expect((await getRunner(r!.id)).data.busy).toBe(false);
    expect(twin.log.count('GET', ROUTES.orgRunner)).toBe(2);
  });
});
