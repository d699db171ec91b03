/**
 * The upstream-shaped fleet on moto and the GitHub twin: instances tagged as the
 * github-aws-runners module's launch template, scale-up and boot script tag them (root and
 * multi-runner, org and repo, JIT and non-JIT), and its App parameters where it keeps them.
 */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { RunnerFleet } from '../../agents';
import { OutcomeLedger } from '../../ledger';
import { MotoServer, motoEc2, motoSsm } from '../../moto';
import { GitHubTwin, RealClock } from '../../twin';
import { launchUpstreamRunners, storeUpstreamAppParameters, type UpstreamRunnerType } from '../../upstream';

jest.setTimeout(60_000);

const moto = new MotoServer();
let twin: GitHubTwin;
let ec2: EC2Client;
let ssm: SSMClient;
let fleet: RunnerFleet;

beforeAll(async () => {
  await moto.start();
  twin = new GitHubTwin({ clock: new RealClock(), ledger: new OutcomeLedger() });
  await twin.start();
  twin.install('acme');
  ec2 = motoEc2(moto.url);
  ssm = motoSsm(moto.url);
  fleet = new RunnerFleet({ dispatcher: twin.dispatcher, clock: twin.clock, ec2, watchIntervalMs: 0 });
});
afterAll(async () => {
  await fleet?.stop();
  await twin?.stop();
  ec2?.destroy();
  ssm?.destroy();
  await moto.stop();
});

async function tagsOf(instanceId: string): Promise<Record<string, string>> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const tags = out.Reservations?.[0]?.Instances?.[0]?.Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.Key!, t.Value!]));
}

const rootType: UpstreamRunnerType = { layout: 'root', prefix: 'gh-ci', runnerOs: 'linux', runnerNamePrefix: 'ci-' };
const multiType: UpstreamRunnerType = { layout: 'multi-runner', prefix: 'fleet', key: 'linux-arm64', runnerOs: 'linux' };

test('a root-module org runner, non-JIT: launch template and scale-up tags, its id from the boot script, no label tags', async () => {
  const [launched] = await launchUpstreamRunners(fleet, ec2, rootType, { owner: { type: 'Org', owner: 'acme' }, hooks: false });
  const tags = await tagsOf(launched!.instanceId);
  expect(tags).toEqual({
    Name: 'gh-ci-action-runner',
    'ghr:environment': 'gh-ci',
    'ghr:ssm_config_path': '/github-action-runners/gh-ci/runners/config',
    'ghr:runner_name_prefix': 'ci-',
    'ghr:Application': 'github-action-runner',
    'ghr:created_by': 'scale-up-lambda',
    'ghr:Type': 'Org',
    'ghr:Owner': 'acme',
    'ghr:github_runner_id': String(launched!.agent!.runnerId),
  });
  expect(launched!.agent!.runner!.name).toBe(`ci-${launched!.instanceId}`);
  expect(launched!.agent!.runner!.ephemeral).toBe(false);
});

test('a multi-runner repo runner, ephemeral with JIT: ghr:environment <prefix>-<key>, its id and labels tagged', async () => {
  const labels = ['self-hosted', 'linux', 'arm64', 'gpu'];
  const [launched] = await launchUpstreamRunners(fleet, ec2, multiType, {
    owner: { type: 'Repo', owner: 'acme/app' },
    ephemeral: true,
    labels,
    createdBy: 'pool-lambda',
    hooks: false,
  });
  const tags = await tagsOf(launched!.instanceId);
  expect(tags).toMatchObject({
    Name: 'fleet-linux-arm64-action-runner',
    'ghr:environment': 'fleet-linux-arm64',
    'ghr:ssm_config_path': '/github-action-runners/fleet/linux-arm64/runners/config',
    'ghr:created_by': 'pool-lambda',
    'ghr:Type': 'Repo',
    'ghr:Owner': 'acme/app',
    'ghr:github_runner_id': String(launched!.agent!.runnerId),
    'ghr:runner_labels': 'self-hosted,linux,arm64,gpu',
  });
  expect(launched!.agent!.runner!).toMatchObject({ ephemeral: true, name: launched!.instanceId, labels: expect.arrayContaining(labels) });
});

test('long label lists are split over ghr:runner_labels, ghr:runner_labels:2, ... in 256-character pieces', async () => {
  const labels = Array.from({ length: 60 }, (_, i) => `label-number-${i}`);
  const [launched] = await launchUpstreamRunners(fleet, ec2, rootType, { owner: { type: 'Org', owner: 'acme' }, jit: true, labels, hooks: false });
  const tags = await tagsOf(launched!.instanceId);
  const pieces = ['ghr:runner_labels', 'ghr:runner_labels:2', 'ghr:runner_labels:3', 'ghr:runner_labels:4'].map((k) => tags[k]);
  expect(pieces.every((p) => p !== undefined)).toBe(true);
  expect(pieces.slice(0, 3).every((p) => p!.length === 256)).toBe(true);
  expect(pieces.join('')).toBe(labels.join(','));
  expect(tags['ghr:runner_labels:5']).toBeUndefined();
});

test('an instance that never registers carries the launch tags but no runner id', async () => {
  const [launched] = await launchUpstreamRunners(fleet, ec2, rootType, { owner: { type: 'Org', owner: 'acme' }, register: false, hooks: false });
  const tags = await tagsOf(launched!.instanceId);
  expect(tags['ghr:environment']).toBe('gh-ci');
  expect(tags['ghr:github_runner_id']).toBeUndefined();
});

test('the App parameters: SecureString under <root>/<prefix>/app, shared by all multi-runner types', async () => {
  const names = await storeUpstreamAppParameters(ssm, { appId: 4711, privateKeyBase64: 'a2V5' }, { layout: 'multi-runner', prefix: 'fleet' });
  expect(names).toEqual({
    id: '/github-action-runners/fleet/app/github_app_id',
    keyBase64: '/github-action-runners/fleet/app/github_app_key_base64',
    webhookSecret: '/github-action-runners/fleet/app/github_app_webhook_secret',
  });
  const id = await ssm.send(new GetParameterCommand({ Name: names.id, WithDecryption: true }));
  expect({ type: id.Parameter?.Type, value: id.Parameter?.Value }).toEqual({ type: 'SecureString', value: '4711' });
  const noPrefix = await storeUpstreamAppParameters(ssm, { appId: 1, privateKeyBase64: 'a' }, { layout: 'root', prefix: 'x', ssmPaths: { usePrefix: false, root: 'ghr' } });
  expect(noPrefix.id).toBe('/ghr/app/github_app_id');
});
