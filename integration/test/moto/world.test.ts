/**
 * The pieces together: twin over HTTP, agents on moto, a hook forcing a job onto a runner
 * right before its DELETE, and the ledger telling what happened.
 */
import { DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { Octokit } from '@octokit/rest';
import { RunnerFleet } from '../../agents';
import { OutcomeLedger } from '../../ledger';
import { MotoServer, motoEc2 } from '../../moto';
import { GitHubTwin, ROUTES, VirtualClock } from '../../twin';

jest.setTimeout(60_000);

const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('local world: twin + agents + moto', () => {
  const moto = new MotoServer();
  let ec2: EC2Client;
  let clock: VirtualClock;
  let ledger: OutcomeLedger;
  let twin: GitHubTwin;
  let fleet: RunnerFleet;
  let gh: Octokit;

  beforeAll(async () => {
    await moto.start();
    ec2 = motoEc2(moto.url);
  });
  afterAll(() => moto.stop());
  beforeEach(async () => {
    await moto.reset();
    clock = new VirtualClock();
    ledger = new OutcomeLedger();
    twin = new GitHubTwin({ clock, ledger });
    await twin.start();
    fleet = new RunnerFleet({ dispatcher: twin.dispatcher, clock, ec2, ledger });
    gh = new Octokit({ baseUrl: twin.url, auth: twin.issueInstallationToken(twin.install('my-org')).token, log: quietLog });
  });
  afterEach(async () => {
    await fleet.stop();
    await twin.stop();
  });

  it('lists fleet runners by instance id and kills the job a naive reaper terminates', async () => {
    twin.dispatcher.setSwitches({ busyFlagDelayMs: 45_000, deleteWhileAssigned: '204-if-flag-idle' });
    const launched = await fleet.launch({ count: 3, owner: { type: 'Org', owner: 'my-org' }, namePrefix: 'gh-ci-' });
    const runners = await gh.paginate(gh.actions.listSelfHostedRunnersForOrg, { org: 'my-org', per_page: 100 });
    expect(runners.map((r) => r.name).sort()).toEqual(launched.map((l) => `gh-ci-${l.instanceId}`).sort());
    const victim = runners[0]!;
    const victimInstance = victim.name.replace('gh-ci-', '');

    // A job lands on the victim right before the DELETE, while the busy flag still says idle.
    twin.before({ method: 'DELETE', route: ROUTES.orgRunner, params: { runner_id: victim.id } }, async () => {
      twin.dispatcher.assignNow({ runnerId: victim.id, id: 'unlucky', durationMs: 600_000 });
    }, { times: 1 });

    // Reference strategy "delete first, terminate on 204" (naive): the job is lost.
    const del = await gh.actions.deleteSelfHostedRunnerFromOrg({ org: 'my-org', runner_id: victim.id });
    expect(del.status).toBe(204);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [victimInstance] }));
    await clock.advance(10_000);
    await fleet.sweep();

    expect(ledger.getJob('unlucky')?.fate).toBe('cancelled-by-deregistration');
    expect(ledger.harmedJobs()).toHaveLength(1);
    expect(fleet.agent(victimInstance)!.state).toBe('dead');
    const states = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [victimInstance] }));
    expect(states.Reservations![0]!.Instances![0]!.State!.Name).not.toBe('running');
  });

  it('keeps the hook tags visible to a reaper reading EC2 while a job runs', async () => {
    const [one] = await fleet.launch({ owner: { type: 'Org', owner: 'my-org' } });
    twin.dispatcher.enqueue({ id: 'build', durationMs: 120_000 });
    await clock.advance(5_000);
    const out = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['ghr:job'] }, { Name: 'instance-state-name', Values: ['running'] }] }),
    );
    const ids = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
    expect(ids).toEqual([one!.instanceId]);
    await clock.advance(120_000);
    expect(ledger.getJob('build')?.fate).toBe('completed');
    expect(ledger.summary(clock.now()).jobs.completed).toBe(1);
  });
});
