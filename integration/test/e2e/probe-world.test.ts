/**
 * The world's machine-evidence wiring end to end: the built functions reach SSM through
 * the SSM twin (AWS_ENDPOINT_URL_SSM), the probe document is in moto as the module creates
 * it, and the twin answers that document from the agents' real machines, which follow
 * their instances (ConnectionLost and Undeliverable once terminated).
 */
import { DescribeInstanceInformationCommand, SSMClient, SendCommandCommand } from '@aws-sdk/client-ssm';
import { parseProbeOutput } from '../../../lambda/src/adapters/probe-answer';
import { MOTO_CREDENTIALS, MOTO_REGION } from '../../moto';
import { probeDocumentName } from '../../world/world';
import { expectReturned, launch, startJob, stateOf, useWorld, waitFor } from './support';

jest.setTimeout(90_000);

const world = useWorld();

describe('machine evidence in the world', () => {
  let ssm: SSMClient;
  beforeAll(() => {
    ssm = new SSMClient({ endpoint: world().ssmTwin.url, region: MOTO_REGION, credentials: { ...MOTO_CREDENTIALS }, maxAttempts: 1 });
  });
  afterAll(() => ssm.destroy());

  const probe = async (instanceIds: string[]) => {
    const { Command } = await ssm.send(new SendCommandCommand({ DocumentName: probeDocumentName(world().environment), InstanceIds: instanceIds }));
    const out = new Map<string, { status: string; details: string; stdout: string }>();
    for (const id of instanceIds) {
      await waitFor(`the probe on ${id}`, async () => {
        const inv = world().ssmTwin.engine.commands.get(Command!.CommandId!)!.invocations.find((i) => i.instanceId === id)!;
        if (!['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(inv.status)) return false;
        out.set(id, { status: inv.status, details: inv.statusDetails, stdout: inv.stdout });
        return true;
      });
    }
    return out;
  };

  it('routes the functions’ SSM calls through the twin to moto', async () => {
    await launch(world());
    world().ssmTwin.log.length = 0;
    expectReturned(await world().runScaleDown());
    const proxied = world().ssmTwin.log.filter((e) => !e.served).map((e) => e.operation);
    expect(proxied).toContain('GetParameter');
    expect(world().functionEnv.AWS_ENDPOINT_URL_SSM).toBe(world().ssmTwin.url);
    expect(world().functionEnv.PROBE_DOCUMENT_NAME).toBe(probeDocumentName(world().environment));
  });

  it('answers the module’s probe document from each SSM-managed agent’s real state', async () => {
    const [busy, idle] = await launch(world(), { hooks: 'overridden', ssm: true, count: 2 });
    const [unmanaged] = await launch(world(), { hooks: 'none', ssm: false });
    await startJob(world(), busy!, 'probed-job', 60_000, { waitForTag: false });
    await waitFor('the Worker of probed-job', () => world().fleet.agent(busy!)!.machine.busy);

    const listed = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [busy!, idle!, unmanaged!] }] }));
    expect(listed.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus]).sort()).toEqual([
      [busy, 'Online'],
      [idle, 'Online'],
    ].sort());

    const answers = await probe([busy!, idle!]);
    for (const id of [busy!, idle!]) {
      const { status, stdout } = answers.get(id)!;
      expect(status).toBe('Success');
      const { detail: _detail, ...answer } = JSON.parse(stdout);
      expect(answer).toEqual(world().fleet.agent(id)!.machine.probeAnswer(Date.parse(answer.now)));
    }
    const read = parseProbeOutput(answers.get(busy!)!.stdout);
    expect(read.kind === 'answered' && read.busy).toBe(true);
    // The instance has no hook marker and no job tag: GitHub's flag and the probe are all there is.
    expect((await world().instance(busy!)).tags['ghr:job-hooks']).toBeUndefined();
    expect((await world().instance(busy!)).tags['ghr:job']).toBeUndefined();
  });

  it('loses the machine with its instance: ConnectionLost, and commands Undeliverable', async () => {
    const [one] = await launch(world(), { hooks: 'none', ssm: true });
    expectReturned(await world().runScaleDown());
    expectReturned(await world().runScaleDown());
    expect(await stateOf(world(), one!)).toMatch(/^(shutting-down|terminated)$/);
    const listed = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [one!] }] }));
    expect(listed.InstanceInformationList?.[0]?.PingStatus).toBe('ConnectionLost');
    expect((await probe([one!])).get(one!)).toMatchObject({ status: 'Failed', details: 'Undeliverable' });
  });
});
