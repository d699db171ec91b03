/**
 * What the handlers wire around the core: several environments with one listing per owner,
 * the probe's reachability read once per run, GitHub Enterprise URLs, a private CA, and the
 * metrics at both levels of docs/metrics.md. (Held instances are counted from the core's
 * decisions: telemetry.test.ts.) Real Octokit over HTTP(S) to the GitHub mock,
 * the EC2 and SSM SDK clients on aws-sdk-client-mock.
 */
import { TAG } from '../../src/core';
import type { RunSummary } from '../../src/observability/telemetry';
import { makePki } from '../adapters/pki';
import { ORG_PATH, runnerTags } from '../helpers/fixtures';
import { startGitHubMock, testPrivateKey, type GitHubMock, type GitHubMockOptions } from '../helpers/github-mock';
import { BASE_ENV, coldStart, lambdaContext, scheduledEvent, type ColdStart } from './cold-start';

// Runs that reclaim wait the real SETTLE_SECONDS (2 s).
jest.setTimeout(30_000);

let github: GitHubMock | undefined;
let started: ColdStart | undefined;
let stdout: string[];

const ssmValues = (extra: Record<string, string> = {}) => ({
  [BASE_ENV.PARAMETER_GITHUB_APP_ID_NAME]: '12345',
  [BASE_ENV.PARAMETER_GITHUB_APP_KEY_BASE64_NAME]: Buffer.from(testPrivateKey()).toString('base64'),
  ...extra,
});

async function mock(options: GitHubMockOptions = {}): Promise<GitHubMock> {
  github = await startGitHubMock(options);
  return github;
}

const env = (gh: GitHubMock, extra: Record<string, string | undefined> = {}) => ({
  ...BASE_ENV,
  GITHUB_API_URL: gh.url,
  SETTLE_SECONDS: '2',
  MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
  IDLE_CONFIRMATION_SECONDS: '0',
  ...extra,
});

beforeEach(() => {
  // Both streams: Powertools writes warnings to stderr.
  stdout = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  }
});

/** The SSM command class of the handler's own module registry (coldStart resets modules). */
const describeInstanceInformation = () =>
  (require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm')).DescribeInstanceInformationCommand;

afterEach(async () => {
  jest.restoreAllMocks();
  started?.restore();
  started = undefined;
  await github?.close();
  github = undefined;
});

const lines = () =>
  stdout
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const emf = (name: string) => lines().filter((doc) => '_aws' in doc && name in doc);
const run = async (s: ColdStart) => (await s.handler(scheduledEvent, lambdaContext)) as RunSummary;
const idleSince = { [TAG.idleSince]: '2020-01-01T00:00:00.000Z' };

describe('several environments in one deployment', () => {
  it('lists each owner once for all environments and labels lines and metrics by environment', async () => {
    const gh = await mock();
    started = coldStart('scale-down', env(gh, { ENVIRONMENT: undefined, ENVIRONMENTS: '["ci","ci-arm"]' }), ssmValues());
    started.ec2.add('i-x64', runnerTags(undefined, idleSince));
    started.ec2.add('i-arm', { ...runnerTags(undefined, idleSince), [TAG.environment]: 'ci-arm' });
    started.ec2.add('i-other', { ...runnerTags(undefined, idleSince), [TAG.environment]: 'someone-else' });
    gh.addRunner(ORG_PATH, { id: 1, name: 'runner-i-x64' });
    gh.addRunner(ORG_PATH, { id: 2, name: 'runner-i-arm', busy: true });

    const summary = await run(started);

    expect(gh.count('GET', /^\/orgs\/acme\/actions\/runners$/)).toBe(1);
    expect(summary).toMatchObject({ instances: 2, terminated: 1, keptBusy: 1 });
    expect(summary.byEnvironment).toMatchObject({
      ci: { instances: 1, terminated: 1, keptBusy: 0 },
      'ci-arm': { instances: 1, terminated: 0, keptBusy: 1 },
    });
    expect(started.ec2.instances.get('i-other')?.state).toBe('running');
    const decisionLines = lines().filter((l) => typeof l.instanceId === 'string');
    expect(decisionLines.map((l) => [l.instanceId, l.environment]).sort()).toEqual([
      ['i-arm', 'ci-arm'],
      ['i-x64', 'ci'],
    ]);
    // Totals (service only) and one series per environment.
    const terminated = emf('RunnersTerminated').map((d) => [d.Environment ?? '(total)', d.RunnersTerminated]);
    expect(terminated.sort()).toEqual([
      ['(total)', 1],
      ['ci', 1],
      ['ci-arm', 0],
    ]);
    const decisions = emf('Decisions').map((d) => [d.Environment ?? '(total)', d.Reason, d.Decisions]);
    expect(decisions.sort()).toEqual([
      ['(total)', 'busy-on-github', 1],
      ['(total)', 'idle-confirmed', 1],
      ['ci', 'idle-confirmed', 1],
      ['ci-arm', 'busy-on-github', 1],
    ]);
    for (const doc of emf('RunnersTerminated')) {
      const dimensions = (doc._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }).CloudWatchMetrics[0]!;
      expect(dimensions.Namespace).toBe('RunnerReaper');
      expect(dimensions.Dimensions).toEqual([doc.Environment ? ['service', 'Environment'] : ['service']]);
    }
  });

  it('counts an owner whose listing failed once in the total and once in each environment it serves', async () => {
    const gh = await mock();
    started = coldStart('orphan-cleanup', env(gh, { ENVIRONMENT: undefined, ENVIRONMENTS: '["ci","ci-arm"]', RUNNER_BOOT_TIME_IN_MINUTES: '0' }), ssmValues());
    started.ec2.add('i-x64', runnerTags());
    started.ec2.add('i-arm', { ...runnerTags(), [TAG.environment]: 'ci-arm' });
    gh.intercept((r) => (r.path === '/orgs/acme/actions/runners' ? { status: 502, body: { message: 'bad gateway' } } : undefined));
    const summary = await run(started);
    expect(summary.githubUnavailable).toBe(1);
    expect(summary.byEnvironment.ci?.githubUnavailable).toBe(1);
    expect(summary.byEnvironment['ci-arm']?.githubUnavailable).toBe(1);
    expect(emf('GitHubUnavailable').map((d) => [d.Environment ?? '(total)', d.GitHubUnavailable]).sort()).toEqual([
      ['(total)', 1],
      ['ci', 1],
      ['ci-arm', 1],
    ]);
  });
});

describe('the probe', () => {
  const online = (ids: string[]) => ({
    InstanceInformationList: ids.map((InstanceId) => ({ InstanceId, PingStatus: 'Online' as const, PlatformType: 'Linux' as const })),
  });

  it('with JOB_EVIDENCE=auto and a document, asks SSM once per run which instances are online', async () => {
    const gh = await mock();
    started = coldStart('scale-down', env(gh, { PROBE_DOCUMENT_NAME: 'ci-reaper-probe' }), ssmValues());
    started.ssm.on(describeInstanceInformation()).resolves(online(['i-a']));
    started.ec2.add('i-a', runnerTags());
    started.ec2.add('i-b', runnerTags());
    const summary = await run(started);
    const asked = started.ssm.commandCalls(describeInstanceInformation()).map((c) => c.args[0].input.Filters?.[0]?.Values);
    expect(asked).toEqual([['i-a', 'i-b']]);
    expect(summary.probeUnavailable).toBe(false);
    expect(emf('ProbeUnavailable').map((d) => d.ProbeUnavailable)).toEqual([0]);
  });

  it.each([
    ['JOB_EVIDENCE=hooks', { PROBE_DOCUMENT_NAME: 'ci-reaper-probe', JOB_EVIDENCE: 'hooks' }],
    ['JOB_EVIDENCE=off', { PROBE_DOCUMENT_NAME: 'ci-reaper-probe', JOB_EVIDENCE: 'off' }],
    ['no document', {}],
  ])('with %s, SSM is not asked', async (_name, extra) => {
    const gh = await mock();
    started = coldStart('scale-down', env(gh, extra), ssmValues());
    started.ec2.add('i-a', runnerTags());
    await run(started);
    expect(started.ssm.commandCalls(describeInstanceInformation())).toHaveLength(0);
  });

  it('an SSM read that fails is reported, and the run goes on (nothing counts as probe-able)', async () => {
    const gh = await mock();
    started = coldStart('orphan-cleanup', env(gh, { PROBE_DOCUMENT_NAME: 'ci-reaper-probe' }), ssmValues());
    started.ssm.on(describeInstanceInformation()).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    started.ec2.add('i-a', runnerTags());
    gh.addRunner(ORG_PATH, { id: 1, name: 'runner-i-a' });
    const summary = await run(started);
    expect(summary).toMatchObject({ probeUnavailable: true, instances: 1, reasons: { registered: 1 } });
    expect(emf('ProbeUnavailable').map((d) => d.ProbeUnavailable)).toEqual([1]);
    expect(lines().some((l) => String(l.message).includes('SSM could not be read') && String(l.error).includes('AccessDeniedException'))).toBe(true);
  });
});

describe('GitHub Enterprise Server', () => {
  it('GHES_URL reaches the API at <url>/api/v3', async () => {
    const gh = await mock({ pathPrefix: '/api/v3' });
    started = coldStart('scale-down', env(gh, { GITHUB_API_URL: undefined, GHES_URL: gh.origin }), ssmValues());
    started.ec2.add('i-a', runnerTags(undefined, idleSince));
    gh.addRunner(ORG_PATH, { id: 1, name: 'runner-i-a' });
    const summary = await run(started);
    expect(summary.terminated).toBe(1);
    expect(gh.requests.every((r) => !r.path.startsWith('(outside'))).toBe(true);
  });

  it('behind a private CA, trusted from PARAMETER_GITHUB_CA_BUNDLE_NAME', async () => {
    const pki = makePki();
    const gh = await mock({ pathPrefix: '/api/v3', tls: { key: pki.serverKey, cert: pki.serverCert } });
    const caEnv = env(gh, { GITHUB_API_URL: undefined, GHES_URL: gh.origin, PARAMETER_GITHUB_CA_BUNDLE_NAME: '/ci/github/ca' });
    started = coldStart('scale-down', caEnv, ssmValues({ '/ci/github/ca': pki.caPem }));
    started.ec2.add('i-a', runnerTags(undefined, idleSince));
    gh.addRunner(ORG_PATH, { id: 1, name: 'runner-i-a' });
    expect((await run(started)).terminated).toBe(1);
  });

  it('without the bundle the same server is unreachable: every instance kept', async () => {
    const pki = makePki();
    const gh = await mock({ pathPrefix: '/api/v3', tls: { key: pki.serverKey, cert: pki.serverCert } });
    started = coldStart('scale-down', env(gh, { GITHUB_API_URL: undefined, GHES_URL: gh.origin }), ssmValues());
    started.ec2.add('i-a', runnerTags(undefined, idleSince));
    gh.addRunner(ORG_PATH, { id: 1, name: 'runner-i-a' });
    const summary = await run(started);
    expect(summary).toMatchObject({ terminated: 0, reasons: { 'github-unavailable': 1 }, githubUnavailable: 1 });
    expect(gh.requests).toHaveLength(0);
  });
});
