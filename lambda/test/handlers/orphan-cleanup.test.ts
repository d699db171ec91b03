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

const ssmValues = () => ({
  [BASE_ENV.PARAMETER_GITHUB_APP_ID_NAME]: '12345',
  [BASE_ENV.PARAMETER_GITHUB_APP_KEY_BASE64_NAME]: Buffer.from(testPrivateKey()).toString('base64'),
  '/ci/app/installation': '4242',
});

const env = () => ({
  ...BASE_ENV,
  PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: '/ci/app/installation',
  GITHUB_API_URL: github.url,
  SETTLE_SECONDS: '2',
  RUNNER_BOOT_TIME_IN_MINUTES: '0',
  IDLE_CONFIRMATION_SECONDS: '0',
  JOB_EVIDENCE: 'hooks',
});

beforeEach(async () => {
  github = await startGitHubMock();
  // Warnings and errors are expected here; keep the test output readable.
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  jest.restoreAllMocks();
  started?.restore();
  started = undefined;
  await github.close();
});

describe('orphan-cleanup handler (middy-wrapped export)', () => {
  it('marks new orphans, terminates confirmed ones, keeps registered and working instances', async () => {
    started = coldStart('orphan-cleanup', env(), ssmValues());
    const { ec2 } = started;
    ec2.add('i-confirmed', runnerTags(undefined, { [TAG.orphan]: 'true', [TAG.orphanSince]: '2020-01-01T00:00:00.000Z' }));
    ec2.add('i-new', runnerTags());
    ec2.add('i-registered', runnerTags(undefined, { [TAG.orphan]: 'true', [TAG.orphanSince]: '2020-01-01T00:00:00.000Z' }));
    ec2.add('i-working', runnerTags(undefined, { [TAG.job]: '5/build', [TAG.jobStartedAt]: new Date().toISOString() }));
    github.addRunner(ORG_PATH, { id: 1, name: 'runner-i-registered' });

    const summary = (await started.handler(scheduledEvent, lambdaContext)) as RunSummary;

    expect(summary).toMatchObject({ run: 'orphan-cleanup', terminated: 1, kept: 3, errors: 0 });
    expect(summary.reasons).toEqual({
      'orphan-confirmed': 1,
      'orphan-first-sighting': 1,
      registered: 1,
      'job-evidence': 1,
    });
    expect(ec2.instances.get('i-confirmed')?.state).toBe('shutting-down');
    // Our own key (issue 9, point 5): never ghr:orphan, which github-aws-runners kills on.
    expect(ec2.instances.get('i-new')?.tags[TAG.reaperOrphanSince]).toBeDefined();
    expect(ec2.instances.get('i-new')?.tags[TAG.orphan]).toBeUndefined();
    expect(ec2.instances.get('i-registered')?.tags[TAG.orphan]).toBeUndefined();
    expect(ec2.instances.get('i-working')?.state).toBe('running');
    // The configured installation id: no lookup.
    expect(github.count('GET', /installation$/)).toBe(0);
  });

  it('fails on a bad configuration before any call', async () => {
    started = coldStart('orphan-cleanup', { ...env(), MAX_JOB_DURATION_MINUTES: '0' }, ssmValues());
    await expect(started.handler(scheduledEvent, lambdaContext)).rejects.toThrow(/MAX_JOB_DURATION_MINUTES must be a whole number from 30/);
    expect(started.ec2.mock.calls()).toHaveLength(0);
    expect(started.ssmCalls()).toBe(0);
    expect(github.requests).toHaveLength(0);
  });

  it('dry run terminates nothing; it writes only the bookkeeping a real run would (issue 10, point 12)', async () => {
    started = coldStart('orphan-cleanup', { ...env(), DRY_RUN: 'true' }, ssmValues());
    started.ec2.add('i-confirmed', runnerTags(undefined, { [TAG.orphan]: 'true', [TAG.orphanSince]: '2020-01-01T00:00:00.000Z' }));
    started.ec2.add('i-new', runnerTags());
    const summary = (await started.handler(scheduledEvent, lambdaContext)) as RunSummary;
    expect(summary.reasons).toMatchObject({ 'dry-run': 1 });
    expect(started.ec2.calls(TerminateInstancesCommand)).toHaveLength(0);
    expect(started.ec2.instances.get('i-confirmed')?.state).toBe('running');
    expect(started.ec2.instances.get('i-new')?.tags[TAG.reaperOrphanSince]).toBeDefined();
  });
});
