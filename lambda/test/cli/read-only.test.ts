import { CreateTagsCommand, DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { Ec2Adapter } from '../../src/adapters/ec2';
import { GitHubClients } from '../../src/adapters/github-client';
import { GitHubRunners } from '../../src/adapters/github-runners';
import type { ProbePort } from '../../src/adapters/ports';
import {
  readOnlyEc2,
  readOnlyGitHub,
  readOnlyProbe,
  refuseAwsWrites,
  refuseGitHubWrites,
  WriteRefused,
  type PlanPorts,
} from '../../src/cli/read-only';
import { startGitHubMock, testPrivateKey, type GitHubMock } from '../helpers/github-mock';
import { ORG } from '../helpers/fixtures';

// A port nothing listens on: a read that passes the guard fails on the network instead.
const NOWHERE = { endpoint: 'http://127.0.0.1:1', region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 };

describe('the plan\'s ports cannot write', () => {
  it('does not compile with a port that has a write method', () => {
    const ec2 = new Ec2Adapter(new EC2Client(NOWHERE));
    const github = new GitHubRunners(() => Promise.reject(new Error('unused')));
    const probe: ProbePort = { onlineInstances: async () => new Set(), probe: async () => new Map() };
    // tsc (npm run typecheck) fails on any of these lines if the type lets a write port in:
    // an unused @ts-expect-error is itself an error.
    // @ts-expect-error the EC2 adapter has setTags, removeTags and terminate
    const withEc2: PlanPorts = { ec2, github: readOnlyGitHub(github) };
    // @ts-expect-error the GitHub adapter has deleteRunner
    const withGitHub: PlanPorts = { ec2: readOnlyEc2(ec2), github };
    // @ts-expect-error the probe port has probe (SendCommand)
    const withProbe: PlanPorts = { ec2: readOnlyEc2(ec2), github: readOnlyGitHub(github), probe };
    const allowed: PlanPorts = { ec2: readOnlyEc2(ec2), github: readOnlyGitHub(github), probe: readOnlyProbe(probe) };
    expect([withEc2, withGitHub, withProbe, allowed]).toHaveLength(4);
  });

  it('builds ports that carry the read methods only', () => {
    const ec2 = new Ec2Adapter(new EC2Client(NOWHERE));
    const github = new GitHubRunners(() => Promise.reject(new Error('unused')));
    const probe: ProbePort = { onlineInstances: async () => new Set(['i-1']), probe: async () => new Map() };
    expect(Object.keys(readOnlyEc2(ec2)).sort()).toEqual(['describeByIds', 'listRunnerInstances']);
    expect(Object.keys(readOnlyGitHub(github)).sort()).toEqual(['getRunner', 'listRunners']);
    expect(Object.keys(readOnlyProbe(probe))).toEqual(['onlineInstances']);
  });

  it('forwards reads to the adapter', async () => {
    const calls: string[] = [];
    const probe: ProbePort = {
      onlineInstances: async (ids) => {
        calls.push(`online ${ids.join(',')}`);
        return new Set(ids);
      },
      probe: async () => {
        calls.push('probe');
        return new Map();
      },
    };
    expect(await readOnlyProbe(probe).onlineInstances(['i-1'])).toEqual(new Set(['i-1']));
    expect(calls).toEqual(['online i-1']);
  });
});

describe('refuseAwsWrites', () => {
  it.each([
    ['CreateTags', new CreateTagsCommand({ Resources: ['i-1'], Tags: [{ Key: 'k', Value: 'v' }] })],
    ['TerminateInstances', new TerminateInstancesCommand({ InstanceIds: ['i-1'] })],
  ])('refuses EC2 %s before it is sent', async (name, command) => {
    const client = refuseAwsWrites(new EC2Client(NOWHERE));
    const sent = client.send(command as never);
    await expect(sent).rejects.toThrow(WriteRefused);
    await expect(sent).rejects.toThrow(`refused EC2Client ${name}`);
  });

  it('lets a Describe through (it then fails on the network, not on the guard)', async () => {
    const client = refuseAwsWrites(new EC2Client(NOWHERE));
    const error = await client.send(new DescribeInstancesCommand({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(WriteRefused);
  });

  it('guards Lambda too: GetFunctionConfiguration passes, UpdateFunctionConfiguration does not', async () => {
    const client = refuseAwsWrites(new LambdaClient(NOWHERE));
    await expect(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'f' }))).rejects.toThrow(WriteRefused);
    const error = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'f' })).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(WriteRefused);
  });
});

describe('refuseGitHubWrites', () => {
  let mock: GitHubMock;
  beforeEach(async () => {
    mock = await startGitHubMock();
    mock.addRunner('orgs/acme', { id: 7, name: 'runner-7' });
  });
  afterEach(() => mock.close());

  function runners(guard: boolean): GitHubRunners {
    const clients = new GitHubClients({
      baseUrl: mock.url,
      credentials: async () => ({ appId: '12345', privateKey: testPrivateKey() }),
      concurrency: 2,
      requestTimeoutMs: 1000,
      retryUnitMs: 1,
      writeIntervalMs: 0,
    });
    return new GitHubRunners(async (owner) => {
      const octokit = await clients.forOwner(owner);
      return guard ? refuseGitHubWrites(octokit) : octokit;
    });
  }

  it('reads through the installation token exchange, and never sends a DELETE', async () => {
    const github = runners(true);
    expect((await github.listRunners(ORG)).map((r) => r.id)).toEqual([7]);
    const outcome = await github.deleteRunner(ORG, 7);
    expect(outcome).toEqual({ kind: 'error', error: expect.stringContaining('runner-reaper plan is read-only: refused GitHub DELETE') });
    expect(mock.count('DELETE', /./)).toBe(0);
    expect(mock.count('POST', /access_tokens$/)).toBe(1);
    expect(mock.runner('orgs/acme', 7)).toBeDefined();
  });

  it('is what stops the DELETE (without it the same call deletes)', async () => {
    expect(await runners(false).deleteRunner(ORG, 7)).toEqual({ kind: 'deleted' });
    expect(mock.count('DELETE', /./)).toBe(1);
  });
});
