import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG } from '../../src/core';
import type { RunSummary } from '../../src/observability/telemetry';
import { ORG_PATH, runnerTags } from '../helpers/fixtures';
import { startGitHubMock, testPrivateKey, type GitHubMock } from '../helpers/github-mock';
import { BASE_ENV, coldStart, lambdaContext, scheduledEvent, type ColdStart } from './cold-start';

// Each run that reclaims waits the real SETTLE_SECONDS (2 s, the least the configuration accepts).
jest.setTimeout(20_000);

let github: GitHubMock;
let started: ColdStart | undefined;
let stdout: string[];

const ssmValues = () => ({
  [BASE_ENV.PARAMETER_GITHUB_APP_ID_NAME]: '12345',
  [BASE_ENV.PARAMETER_GITHUB_APP_KEY_BASE64_NAME]: Buffer.from(testPrivateKey()).toString('base64'),
});

const fastEnv = () => ({
  ...BASE_ENV,
  GITHUB_API_URL: github.url,
  SETTLE_SECONDS: '2',
  MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
  IDLE_CONFIRMATION_SECONDS: '0',
});

beforeEach(async () => {
  github = await startGitHubMock();
  // Warnings and errors are expected here; keep the test output readable.
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  stdout = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  jest.restoreAllMocks();
  started?.restore();
  started = undefined;
  await github.close();
});

function fleet(s: ColdStart): void {
  s.ec2.add('i-idle', runnerTags(undefined, { [TAG.idleSince]: '2020-01-01T00:00:00.000Z' }));
  s.ec2.add('i-new', runnerTags());
  s.ec2.add('i-busy', runnerTags(undefined, { [TAG.idleSince]: '2020-01-01T00:00:00.000Z' }));
  github.addRunner(ORG_PATH, { id: 1, name: 'runner-i-idle' });
  github.addRunner(ORG_PATH, { id: 2, name: 'runner-i-new' });
  github.addRunner(ORG_PATH, { id: 3, name: 'runner-i-busy', busy: true });
}

/** The EMF documents Powertools printed, by metric name. */
function emfValues(name: string): unknown[] {
  return stdout
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((doc) => name in doc)
    .map((doc) => doc[name]);
}

describe('scale-down handler (middy-wrapped export)', () => {
  it('reads, decides, acts and returns a summary', async () => {
    started = coldStart('scale-down', fastEnv(), ssmValues());
    fleet(started);
    const summary = (await started.handler(scheduledEvent, lambdaContext)) as RunSummary;

    expect(summary).toMatchObject({ run: 'scale-down', dryRun: false, instances: 3, terminated: 1, kept: 2, errors: 0 });
    expect(summary.reasons).toEqual({ 'idle-confirmed': 1, 'idle-first-sighting': 1, 'busy-on-github': 1 });
    expect(summary.githubCalls).toBeGreaterThanOrEqual(4);
    expect(started.ec2.instances.get('i-idle')?.state).toBe('shutting-down');
    expect(started.ec2.instances.get('i-new')?.tags[TAG.idleSince]).toBeDefined();
    expect(started.ec2.instances.get('i-busy')?.tags[TAG.idleSince]).toBeUndefined();
    expect(github.runner(ORG_PATH, 1)).toBeUndefined();

    // Once for the deployment, once for its one environment (docs/metrics.md).
    expect(emfValues('RunnersTerminated')).toEqual([1, 1]);
    expect(emfValues('RunnersKeptBusy')).toEqual([1, 1]);
    expect(emfValues('GitHubDeletes')).toEqual([1]);
    const logLines = stdout.filter((l) => l.includes('"instanceId":"i-idle"'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(stdout.join('')).not.toContain('PRIVATE KEY');
  });

  it('fails every invocation on a bad configuration before any AWS or GitHub call, naming the variable', async () => {
    started = coldStart('scale-down', { ...fastEnv(), ENVIRONMENT: undefined, SETTLE_SECONDS: 'soon' }, ssmValues());
    fleet(started);
    for (let i = 0; i < 2; i++) {
      await expect(started.handler(scheduledEvent, lambdaContext)).rejects.toThrow(/SETTLE_SECONDS must be a whole number from 2 to 600/);
    }
    expect(started.ec2.mock.calls()).toHaveLength(0);
    expect(started.ssmCalls()).toBe(0);
    expect(github.requests).toHaveLength(0);
  });

  it('dry run: decides and reads, writes only the bookkeeping a real run would (issue 10, point 12)', async () => {
    started = coldStart('scale-down', { ...fastEnv(), DRY_RUN: 'true' }, ssmValues());
    fleet(started);
    const summary = (await started.handler(scheduledEvent, lambdaContext)) as RunSummary;
    expect(summary).toMatchObject({ dryRun: true, terminated: 0 });
    expect(summary.reasons['dry-run']).toBe(1);
    expect(started.ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(started.ec2.instances.get('i-idle')?.tags[TAG.drainingSince]).toBeUndefined();
    expect(started.ec2.instances.get('i-new')?.tags[TAG.idleSince]).toBeDefined();
    expect(github.count('DELETE', /runners/)).toBe(0);
  });

  it('keeps every instance of an owner whose listing is malformed', async () => {
    started = coldStart('scale-down', fastEnv(), ssmValues());
    fleet(started);
    github.intercept((r) =>
      r.path === '/orgs/acme/actions/runners' ? { status: 200, body: { total_count: 1, runners: [{ id: 1 }] } } : undefined,
    );
    const summary = (await started.handler(scheduledEvent, lambdaContext)) as RunSummary;
    expect(summary.reasons).toEqual({ 'github-unavailable': 3 });
    expect(started.ec2.writes()).toBe(0);
    expect(github.count('DELETE', /runners/)).toBe(0);
  });

  it('keeps everything when the App credentials cannot be read', async () => {
    started = coldStart('scale-down', fastEnv(), {});
    fleet(started);
    const summary = (await started.handler(scheduledEvent, lambdaContext)) as RunSummary;
    expect(summary.terminated).toBe(0);
    expect(summary.reasons).toEqual({ 'github-unavailable': 3 });
    expect(github.requests).toHaveLength(0);
  });

  it('fails the invocation when EC2 cannot be listed, acting on nothing', async () => {
    started = coldStart('scale-down', fastEnv(), ssmValues());
    const { DescribeInstancesCommand } = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
    started.ec2.mock.on(DescribeInstancesCommand).rejects(new Error('UnauthorizedOperation'));
    await expect(started.handler(scheduledEvent, lambdaContext)).rejects.toThrow('UnauthorizedOperation');
    expect(started.ec2.writes()).toBe(0);
    expect(github.requests).toHaveLength(0);
  });

  it('reports instances EC2 described without a launch time, and never acts on them', async () => {
    started = coldStart('scale-down', fastEnv(), ssmValues());
    fleet(started);
    (started.ec2.instances.get('i-idle') as { launchTime: unknown }).launchTime = undefined;
    const summary = (await started.handler(scheduledEvent, lambdaContext)) as RunSummary;
    expect(summary).toMatchObject({ instances: 2, malformedInstances: 1, terminated: 0, errors: 1 });
    expect(started.ec2.instances.get('i-idle')?.state).toBe('running');
  });
});
