/**
 * The plan's real readers (`planReaders`): the functions' own client builders behind the
 * plan's read-only layers. Real Octokit over HTTPS to the GitHub mock behind a private CA;
 * EC2 and SSM on aws-sdk-client-mock (which stubs `send`, so the SDK guards are tested on
 * real clients below, against a port nothing listens on).
 */
import { DescribeInstanceInformationCommand, GetParameterCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { planReaders, realDeps, runPlan, type CliIo, type PlanDeps } from '../../src/cli/command';
import { EXIT } from '../../src/cli/exit-codes';
import { refuseAwsWrites } from '../../src/cli/read-only';
import { loadConfig } from '../../src/config/load';
import { createGitHubClients } from '../../src/handlers/github-clients';
import { createSsmProbe } from '../../src/handlers/runtime';
import { makePki, type Pki } from '../adapters/pki';
import { fakeEc2, type Ec2Fake } from '../helpers/ec2-fake';
import { BASE_ENV, ORG_PATH, runnerTags } from '../helpers/fixtures';
import { startGitHubMock, testPrivateKey, type GitHubMock } from '../helpers/github-mock';

const CA_PARAMETER = '/ci/github/ca';
const NOWHERE = { endpoint: 'http://127.0.0.1:1', region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 };
const PROBE_ENV = { PROBE_DOCUMENT_NAME: 'ci-probe', JOB_EVIDENCE: 'auto' };

const io = (env: Record<string, string | undefined>) => {
  const out = { stdout: '', stderr: '' };
  const cli: CliIo = { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), env, now: () => new Date() };
  return { cli, out };
};

describe('planReaders: GitHub as the functions reach it', () => {
  let pki: Pki;
  let github: GitHubMock;
  let ec2: Ec2Fake;
  const ssm = mockClient(SSMClient);

  beforeAll(() => {
    pki = makePki();
  });
  beforeEach(async () => {
    github = await startGitHubMock({ pathPrefix: '/api/v3', tls: { key: pki.serverKey, cert: pki.serverCert } });
    ec2 = fakeEc2();
    ssm.reset();
    const values: Record<string, string> = {
      [BASE_ENV.PARAMETER_GITHUB_APP_ID_NAME]: '12345',
      [BASE_ENV.PARAMETER_GITHUB_APP_KEY_BASE64_NAME]: Buffer.from(testPrivateKey()).toString('base64'),
      [CA_PARAMETER]: pki.caPem,
    };
    ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
      const value = values[input.Name];
      if (value === undefined) throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
      return { Parameter: { Name: input.Name, Value: value } };
    });
  });
  afterEach(async () => {
    ec2.mock.restore();
    await github.close();
  });
  afterAll(() => ssm.restore());

  it('trusts the private CA of PARAMETER_GITHUB_CA_BUNDLE_NAME, reads who could be probed, and sends only reads', async () => {
    ec2.add('i-a', runnerTags());
    ec2.add('i-b', runnerTags());
    github.addRunner(ORG_PATH, { id: 1, name: 'runner-i-a' });
    github.addRunner(ORG_PATH, { id: 2, name: 'runner-i-b' });
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: 'i-a', PingStatus: 'Online', PlatformType: 'Linux' }] });
    const env = { ...BASE_ENV, ...PROBE_ENV, GHES_URL: github.origin, PARAMETER_GITHUB_CA_BUNDLE_NAME: CA_PARAMETER };
    const deps: PlanDeps = { ...realDeps, region: async () => 'eu-west-1', awsCredentials: async () => ({}), readers: planReaders };
    const { cli, out } = io(env);

    const code = await runPlan(['--json'], cli, deps);

    expect(out.stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const json = JSON.parse(out.stdout);
    // The instance SSM can reach rests on the probe and is reclaimed on this first sighting; the other waits for a second.
    type Row = { instanceId: string; action: string; reason: string; probeable: boolean; evidence: string };
    expect(json.instances.map((r: Row) => [r.instanceId, r.action, r.reason, r.probeable, r.evidence])).toEqual([
      ['i-a', 'reclaim', 'idle-confirmed', true, 'probe'],
      ['i-b', 'keep', 'idle-first-sighting', false, 'none'],
    ]);
    expect(json.probe).toEqual({ state: 'read', online: 1 });
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /orgs/acme/installation',
      'POST /app/installations/4242/access_tokens',
      'GET /orgs/acme/actions/runners',
    ]);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name)).toContain(CA_PARAMETER);
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)).toHaveLength(1);
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    expect(ec2.writes()).toBe(0);
  });
});

describe('planReaders: built like the functions', () => {
  it('paces GitHub as the functions do (GITHUB_POINTS_PER_MINUTE)', () => {
    const config = loadConfig({ ...BASE_ENV, GITHUB_POINTS_PER_MINUTE: '9000' });
    const functions = createGitHubClients(config, { warn: () => {} }).timing;
    expect(planReaders(config, io({}).cli).githubTiming).toEqual(functions);
    expect(functions).toMatchObject({ readIntervalMs: 8, writeIntervalMs: 40 });
  });

  it('has a probe port exactly when a run probes, and it holds only onlineInstances', () => {
    const probe = (extra: Record<string, string>) => planReaders(loadConfig({ ...BASE_ENV, ...extra }), io({}).cli).ports.probe;
    expect(Object.keys(probe(PROBE_ENV) ?? {})).toEqual(['onlineInstances']);
    expect(probe({ ...PROBE_ENV, JOB_EVIDENCE: 'hooks' })).toBeUndefined();
    expect(probe({})).toBeUndefined();
  });

  it("the probe's guarded SSM client refuses SendCommand before sending, and lets DescribeInstanceInformation through", async () => {
    const config = loadConfig({ ...BASE_ENV, ...PROBE_ENV });
    const probe = createSsmProbe(config, refuseAwsWrites(new SSMClient(NOWHERE)))!;
    const reads = await probe.probe(['i-a']);
    expect(reads.get('i-a')).toEqual({ kind: 'error', error: expect.stringContaining('WriteRefused: runner-reaper plan is read-only: refused SSMClient SendCommand') });
    const error = await probe.onlineInstances(['i-a']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).not.toContain('WriteRefused');
  });
});
