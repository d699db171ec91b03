import { DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { RunnerFleet } from '../../agents';
import { OutcomeLedger } from '../../ledger';
import { MotoServer, motoEc2 } from '../../moto';
import { JobDispatcher, VirtualClock } from '../../twin';

// moto loads its EC2 backend on the first call, which takes seconds on a busy machine.
jest.setTimeout(60_000);

const ORG = { type: 'Org' as const, owner: 'my-org' };

describe('runner agents on moto', () => {
  const moto = new MotoServer();
  let ec2: EC2Client;
  let clock: VirtualClock;
  let ledger: OutcomeLedger;
  let dispatcher: JobDispatcher;
  let fleet: RunnerFleet;

  beforeAll(async () => {
    await moto.start();
    ec2 = motoEc2(moto.url);
  });
  afterAll(() => moto.stop());
  beforeEach(async () => {
    await moto.reset();
    clock = new VirtualClock();
    ledger = new OutcomeLedger();
    dispatcher = new JobDispatcher(clock, ledger);
    fleet = new RunnerFleet({ dispatcher, clock, ec2, ledger, watchIntervalMs: 5000 });
  });
  afterEach(() => fleet.stop());

  async function tagsOf(instanceId: string): Promise<Record<string, string>> {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const inst = out.Reservations![0]!.Instances![0]!;
    return Object.fromEntries((inst.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }

  it('launches tagged instances whose runners register under the instance id', async () => {
    const [one] = await fleet.launch({ owner: ORG, namePrefix: 'gh-ci-' });
    const tags = await tagsOf(one!.instanceId);
    expect(tags).toMatchObject({
      'ghr:Application': 'github-action-runner',
      'ghr:environment': 'gh-ci',
      'ghr:Owner': 'my-org',
      'ghr:Type': 'Org',
    });
    const runner = dispatcher.visibleRunners(ORG)[0]!;
    expect(runner.name).toBe(`gh-ci-${one!.instanceId}`);
    expect(dispatcher.status(runner)).toBe('online');
  });

  it('runs a job with the hook tag contract: ghr:job while it runs, last-job-completed-at after', async () => {
    const [one] = await fleet.launch({ owner: ORG, setUpMs: 1500, hookDelayMs: 500 });
    const agent = fleet.agent(one!.instanceId)!;
    const job = dispatcher.enqueue({ durationMs: 30_000 });
    expect(job.phase).toBe('assigned');
    await clock.advance(1000);
    expect(job.phase).toBe('running');
    // The Worker runs at once; the job-started hook only after "Set up job" and its own calls.
    const workerAt = agent.machine.workerStartedAt!;
    expect(workerAt).toBeDefined();
    expect((await tagsOf(one!.instanceId))['ghr:job']).toBeUndefined();
    await clock.advance(1500);
    expect((await tagsOf(one!.instanceId))['ghr:job']).toBeUndefined();
    await clock.advance(500);
    const during = await tagsOf(one!.instanceId);
    expect(Date.parse(during['ghr:job-started-at']!) - workerAt).toBe(2000);
    expect(during['ghr:job']).toBe(`run-${job.id}/${job.id}`);
    expect(Date.parse(during['ghr:job-started-at']!)).toBe(clock.now());
    await clock.advance(35_000);
    expect(job.phase).toBe('completed');
    const after = await tagsOf(one!.instanceId);
    expect(after['ghr:job']).toBeUndefined();
    expect(after['ghr:last-job-completed-at']).toBeDefined();
    expect(ledger.getJob(job.id)?.fate).toBe('completed');
    const inst = ledger.summary(clock.now()).perInstance[0]!;
    expect(inst.busyMs).toBeGreaterThanOrEqual(30_000);
    expect(inst.idleMs).toBeGreaterThan(0);
  });

  it('records a running job as killed when its instance is terminated', async () => {
    const [one] = await fleet.launch({ owner: ORG });
    const job = dispatcher.enqueue({ durationMs: 600_000 });
    await clock.advance(5000);
    expect(job.phase).toBe('running');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [one!.instanceId] }));
    await clock.advance(5000);
    expect(fleet.agent(one!.instanceId)!.state).toBe('dead');
    expect(ledger.getJob(job.id)?.fate).toBe('killed-by-termination');
    expect(ledger.summary(clock.now()).instances.ended).toBe(1);
    const runner = dispatcher.runnerById(fleet.agent(one!.instanceId)!.runnerId!)!;
    await clock.advance(dispatcher.switches.offlineAfterMs + 1);
    expect(dispatcher.status(runner)).toBe('offline');
  });

  it('cannot report a job done after its instance was terminated between watcher sweeps', async () => {
    const [one] = await fleet.launch({ owner: ORG, hooks: false });
    const job = dispatcher.enqueue({ durationMs: 3000 });
    await clock.advance(1000);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [one!.instanceId] }));
    await clock.advance(3000);
    expect(ledger.getJob(job.id)?.fate).toBe('killed-by-termination');
  });

  it('exits an ephemeral runner after one job; its registration is consumed at assignment', async () => {
    const [one] = await fleet.launch({ owner: ORG, ephemeral: true });
    const job = dispatcher.enqueue({ durationMs: 10_000 });
    expect(dispatcher.visibleRunners(ORG)).toHaveLength(0);
    await clock.advance(20_000);
    expect(job.phase).toBe('completed');
    expect(fleet.agent(one!.instanceId)!.exitReason).toBe('ephemeral-done');
  });

  it('terminates its own instance after the job when onExit is terminate (ephemeral module style)', async () => {
    const [one] = await fleet.launch({ owner: ORG, ephemeral: true, onExit: 'terminate' });
    dispatcher.enqueue({ durationMs: 5000 });
    await clock.advance(20_000);
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [one!.instanceId] }));
    expect(['shutting-down', 'terminated']).toContain(out.Reservations![0]!.Instances![0]!.State!.Name);
    expect(ledger.summary(clock.now()).jobs.completed).toBe(1);
    expect(ledger.getInstance(one!.instanceId)?.endedAt).toBeDefined();
  });

  it('registers JIT runners and tags ghr:github_runner_id', async () => {
    const [one] = await fleet.launch({ owner: { type: 'Repo', owner: 'my-org/app' }, jit: true });
    const runnerId = fleet.agent(one!.instanceId)!.runnerId!;
    expect((await tagsOf(one!.instanceId))['ghr:github_runner_id']).toBe(String(runnerId));
    expect(dispatcher.runnerById(runnerId)!.ephemeral).toBe(true);
  });

  it('cancels the job of a runner deregistered under it and runs the completed hook', async () => {
    dispatcher.setSwitches({ deleteWhileAssigned: '204-if-flag-idle', busyFlagDelayMs: 60_000 });
    const [one] = await fleet.launch({ owner: ORG });
    const job = dispatcher.enqueue({ durationMs: 600_000 });
    // The default timing: the Worker at the next poll (1 s), "Set up job" 2 s, the hook 1 s.
    await clock.advance(3900);
    expect((await tagsOf(one!.instanceId))['ghr:job']).toBeUndefined();
    await clock.advance(100);
    expect((await tagsOf(one!.instanceId))['ghr:job']).toBeDefined();
    expect(dispatcher.deleteRunner(ORG, job.runnerId!).status).toBe(204);
    await clock.advance(5000);
    expect(ledger.getJob(job.id)?.fate).toBe('cancelled-by-deregistration');
    expect(fleet.agent(one!.instanceId)!.exitReason).toBe('deregistered');
    expect((await tagsOf(one!.instanceId))['ghr:job']).toBeUndefined();
  });

  it('lets a job continue after deregistration under afterForcedDelete continues, then exits', async () => {
    dispatcher.setSwitches({ deleteWhileAssigned: '204-if-flag-idle', busyFlagDelayMs: 60_000, afterForcedDelete: 'continues' });
    const [one] = await fleet.launch({ owner: ORG });
    const job = dispatcher.enqueue({ durationMs: 20_000 });
    await clock.advance(3000);
    expect(dispatcher.deleteRunner(ORG, job.runnerId!).status).toBe(204);
    await clock.advance(30_000);
    expect(ledger.getJob(job.id)?.fate).toBe('completed');
    expect(fleet.agent(one!.instanceId)!.exitReason).toBe('deregistered');
  });

  it('launches never-registered instances without an agent', async () => {
    const [one] = await fleet.launch({ owner: ORG, register: false });
    expect(fleet.agent(one!.instanceId)).toBeUndefined();
    expect(dispatcher.allRunners()).toHaveLength(0);
    expect(ledger.getInstance(one!.instanceId)).toBeDefined();
  });
});
