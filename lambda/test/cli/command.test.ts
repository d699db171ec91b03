import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { InstanceListing } from '../../src/adapters/ports';
import { probeContext, problemsOf, runPlan, type CliIo, type PlanDeps } from '../../src/cli/command';
import { makePlan } from '../../src/cli/plan';
import { EXIT } from '../../src/cli/exit-codes';
import type { PlanPorts } from '../../src/cli/read-only';
import { TAG, type InstanceView, type OwnerRef, type RunnerView } from '../../src/core';
import { config, failedListing, instance, isoAgo, MINIMAL_ENV, NOW, REPO, registered, snapshot } from '../core/fixtures';

interface World {
  instances: InstanceView[];
  runners: Map<string, RunnerView[] | Error>;
  listingError?: Error;
  regionError?: Error;
  credentialsError?: Error;
  githubCredentialsError?: Error;
  probe?: PlanPorts['probe'];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Which deps were reached, in order. */
  reached: string[];
  env: Record<string, string | undefined>;
}

async function run(argv: string[], world: Partial<World> = {}, env: Record<string, string | undefined> = { ...MINIMAL_ENV }): Promise<Run> {
  const w: World = { instances: [], runners: new Map(), ...world };
  const reached: string[] = [];
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, now: () => NOW };
  const deps: PlanDeps = {
    region: async () => {
      reached.push('region');
      if (w.regionError) throw w.regionError;
      return 'eu-west-1';
    },
    awsCredentials: async () => {
      reached.push('aws-credentials');
      if (w.credentialsError) throw w.credentialsError;
      return {};
    },
    lambda: () => {
      reached.push('lambda');
      return new LambdaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    },
    readers: (cfg) => {
      reached.push(`readers ${cfg.environments.join(',')}`);
      let requests = 0;
      return {
        ports: {
          ec2: {
            listRunnerInstances: async (): Promise<InstanceListing> => {
              reached.push('ec2');
              if (w.listingError) throw w.listingError;
              return { instances: w.instances, malformed: [] };
            },
            describeByIds: async () => new Map(),
          },
          github: {
            listRunners: async (owner: OwnerRef) => {
              requests++;
              const answer = w.runners.get(`${owner.type}:${owner.owner}`) ?? [];
              if (answer instanceof Error) throw answer;
              return answer;
            },
            getRunner: async () => ({ kind: 'gone' }),
          },
          ...(w.probe ? { probe: w.probe } : {}),
        },
        githubCredentials: async () => {
          reached.push('github-credentials');
          if (w.githubCredentialsError) throw w.githubCredentialsError;
          return { appId: '1', privateKey: 'k' };
        },
        githubRequests: () => requests,
        githubTiming: { worstCaseRequestMs: 30_000, readIntervalMs: 80, burstReads: 75, writeIntervalMs: 400 },
      };
    },
  };
  const code = await runPlan(argv, io, deps);
  return { code, stdout, stderr, reached, env };
}

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('runner-reaper plan: exit codes', () => {
  it('bad configuration: exit 2 with loadConfig\'s message, before any AWS call', async () => {
    const r = await run([], {}, { ENVIRONMENT: 'gh-ci' });
    expect(r.code).toBe(EXIT.badConfiguration);
    expect(r.stderr).toContain('PARAMETER_GITHUB_APP_ID_NAME');
    expect(r.stdout).toBe('');
    expect(r.reached).toEqual([]);
  });

  it('bad flags: exit 2', async () => {
    const r = await run(['--no-such-flag']);
    expect(r.code).toBe(EXIT.badConfiguration);
    expect(r.stderr).toContain("Unknown option '--no-such-flag'");
  });

  it('no region: exit 2', async () => {
    const r = await run([], { regionError: new Error('Region is missing') });
    expect(r.code).toBe(EXIT.badConfiguration);
    expect(r.stderr).toContain('No AWS region');
  });

  it('no AWS credentials: exit 3, before anything is read', async () => {
    const r = await run([], { credentialsError: named('CredentialsProviderError', 'Could not load credentials from any providers') });
    expect(r.code).toBe(EXIT.unreadable);
    expect(r.stderr).toContain('No AWS credentials');
    expect(r.reached).toEqual(['region', 'aws-credentials']);
  });

  it('GitHub App credentials unreadable: exit 3, naming the parameter', async () => {
    const r = await run([], { githubCredentialsError: new Error('cannot read SSM parameter /gh-ci/app/key (ParameterNotFound)') });
    expect(r.code).toBe(EXIT.unreadable);
    expect(r.stderr).toContain("Cannot read the GitHub App's credentials: cannot read SSM parameter /gh-ci/app/key (ParameterNotFound)");
    expect(r.reached).not.toContain('ec2');
  });

  it('EC2 unreadable: exit 3', async () => {
    const r = await run([], { listingError: named('UnauthorizedOperation', 'You are not authorized') });
    expect(r.code).toBe(EXIT.unreadable);
    expect(r.stderr).toContain('Not allowed to list the runner instances (ec2:DescribeInstances)');
  });

  it('a failed runner listing: the plan is printed, exit 3, and stderr names the owner', async () => {
    const { instance: i, runner } = registered();
    const repoInstance = instance({ owner: REPO });
    const r = await run([], { instances: [i, repoInstance], runners: new Map<string, RunnerView[] | Error>([['Org:my-org', [runner]], ['Repo:my-org/my-repo', new Error('HTTP 502')]]) });
    expect(r.code).toBe(EXIT.unreadable);
    expect(r.stdout).toContain('github-unavailable');
    expect(r.stderr).toContain('the runner listing of Repo:my-org/my-repo failed (HTTP 502)');
  });

  it('a complete read: exit 0', async () => {
    const { instance: i, runner } = registered();
    const r = await run([], { instances: [i], runners: new Map([['Org:my-org', [runner]]]) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(i.id);
    expect(r.stdout).toContain('idle-first-sighting');
  });

  it('--help: exit 0, nothing read', async () => {
    const r = await run(['--help'], {}, {});
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain('Usage: runner-reaper plan');
    expect(r.stdout).toContain('--idle-confirmation-seconds');
    expect(r.reached).toEqual([]);
  });

  it('--json on failure: one JSON document with the exit code and the message', async () => {
    const r = await run(['--json'], {}, {});
    expect(r.code).toBe(EXIT.badConfiguration);
    expect(JSON.parse(r.stdout)).toEqual({ version: 1, readOnly: true, exitCode: 2, error: expect.stringContaining('ENVIRONMENT') });
  });
});

describe('runner-reaper plan: configuration sources', () => {
  const lambda = mockClient(LambdaClient);
  afterEach(() => lambda.reset());

  it('--function: the deployed function\'s variables, flags on top; the shell\'s are not used', async () => {
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'gh-ci-reaper-scale-down' }).resolves({
      Environment: { Variables: { ...MINIMAL_ENV, ENVIRONMENT: 'from-function', IDLE_CONFIRMATION_SECONDS: '30', AWS_ENDPOINT_URL: 'http://not-used' } },
    });
    const r = await run(['--function', 'gh-ci-reaper-scale-down', '--idle-confirmation-seconds', '45', '--json'], {}, { ENVIRONMENT: 'from-shell' });
    expect(r.code).toBe(EXIT.ok);
    expect(r.reached).toEqual(['region', 'aws-credentials', 'lambda', 'readers from-function', 'github-credentials', 'ec2']);
    const json = JSON.parse(r.stdout);
    expect(json.configurationSource).toBe('function gh-ci-reaper-scale-down and flags');
    expect(json.configuration).toMatchObject({ environments: ['from-function'], idleConfirmationSeconds: 45 });
  });

  it('--function with a bad configuration: exit 2 with the same message the function logs at cold start', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({ Environment: { Variables: { ...MINIMAL_ENV, SETTLE_SECONDS: 'soon' } } });
    const r = await run(['--function', 'f'], {}, {});
    expect(r.code).toBe(EXIT.badConfiguration);
    expect(r.stderr).toContain('SETTLE_SECONDS');
    expect(r.stderr).toContain('configuration from function f');
  });

  it('--region and --profile select the account as AWS_REGION and AWS_PROFILE', async () => {
    const r = await run(['--region', 'ap-south-1', '--profile', 'ops']);
    expect(r.env).toMatchObject({ AWS_REGION: 'ap-south-1', AWS_PROFILE: 'ops' });
  });
});

describe('runner-reaper plan: --json', () => {
  it('prints one document with rows, forecasts and the summary', async () => {
    const first = registered();
    const reclaim = registered({ tags: { [TAG.idleSince]: isoAgo({ minutes: 10 }) } });
    const r = await run(['--json', '--job-evidence', 'hooks'], {
      instances: [first.instance, reclaim.instance],
      runners: new Map([['Org:my-org', [first.runner, reclaim.runner]]]),
    });
    expect(r.code).toBe(EXIT.ok);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ version: 1, readOnly: true, exitCode: 0, generatedAt: NOW.toISOString(), githubRequests: 1 });
    const rows = new Map<string, { action: string; reason: string; next: { kind: string; at?: string; inSeconds?: number }; decisions: unknown; evidence: unknown }>(
      json.instances.map((row: { instanceId: string }) => [row.instanceId, row]),
    );
    // --job-evidence hooks, and no instance carries the boot marker: GitHub's word only.
    expect(rows.get(reclaim.instance.id)).toMatchObject({ action: 'reclaim', reason: 'idle-confirmed', next: { kind: 'acts-now' }, evidence: 'none' });
    expect(rows.get(first.instance.id)).toMatchObject({
      action: 'keep',
      reason: 'idle-first-sighting',
      // Two sightings, IDLE_CONFIRMATION_SECONDS doubled without machine evidence.
      next: { kind: 'acts-later', at: new Date(NOW.getTime() + 2 * json.configuration.idleConfirmationSeconds * 1000).toISOString(), inSeconds: 2 * json.configuration.idleConfirmationSeconds },
      decisions: { scaleDown: { reason: 'idle-first-sighting', evidence: 'none' }, orphanCleanup: { reason: 'registered' } },
    });
    expect(json.configuration.idleConfirmationSeconds).toBeGreaterThan(0);
    expect(json.summary.reclaimNow).toEqual([reclaim.instance.id]);
  });
});

describe('runner-reaper plan: the probe', () => {
  const PROBE_ENV = { ...MINIMAL_ENV, PROBE_DOCUMENT_NAME: 'gh-ci-probe', JOB_EVIDENCE: 'auto' };

  it('asks the probe port once, through readSnapshot, for the instances EC2 listed', async () => {
    const online = registered();
    const offline = registered();
    const asked: string[][] = [];
    const r = await run(['--json'], {
      instances: [online.instance, offline.instance],
      runners: new Map([['Org:my-org', [online.runner, offline.runner]]]),
      probe: {
        onlineInstances: async (ids) => {
          asked.push([...ids]);
          return new Set([online.instance.id]);
        },
      },
    }, { ...PROBE_ENV });
    expect(r.code).toBe(EXIT.ok);
    expect(asked).toEqual([[online.instance.id, offline.instance.id]]);
    const json = JSON.parse(r.stdout);
    expect(json.probe).toEqual({ state: 'read', online: 1 });
    const probeable = Object.fromEntries(json.instances.map((row: { instanceId: string; probeable: unknown }) => [row.instanceId, row.probeable]));
    expect(probeable).toEqual({ [online.instance.id]: true, [offline.instance.id]: false });
  });

  it('an SSM read that fails: the plan is printed, nobody is probe-able, exit 3', async () => {
    const { instance: i, runner } = registered();
    const r = await run([], {
      instances: [i],
      runners: new Map([['Org:my-org', [runner]]]),
      probe: {
        onlineInstances: async () => {
          throw named('AccessDeniedException', 'not authorized to perform: ssm:DescribeInstanceInformation');
        },
      },
    }, { ...PROBE_ENV });
    expect(r.code).toBe(EXIT.unreadable);
    expect(r.stdout).toContain(i.id);
    expect(r.stdout).toContain('Probe: SSM could not be read (DescribeInstanceInformation failed: AccessDeniedException');
    expect(r.stderr).toContain('incomplete: SSM could not say which instances are online');
  });
});

describe('probeContext', () => {
  const probeConfig = (jobEvidence: 'auto' | 'hooks' | 'off') => config({ probe: { documentName: 'doc', timeoutSeconds: 10 }, jobEvidence });

  it('off, and why, when a run would not ask SSM', () => {
    const off = { enabled: false, online: new Set<string>() };
    expect(probeContext(config(), off)).toEqual({ state: 'off', why: 'PROBE_DOCUMENT_NAME unset' });
    expect(probeContext(probeConfig('hooks'), off)).toEqual({ state: 'off', why: 'JOB_EVIDENCE=hooks: only JOB_EVIDENCE=auto probes' });
  });

  it('what readSnapshot read: who is online, or the error', () => {
    expect(probeContext(probeConfig('auto'), { enabled: true, online: new Set(['i-1', 'i-2']) })).toEqual({ state: 'read', online: 2 });
    expect(probeContext(probeConfig('auto'), { enabled: true, online: new Set(), error: 'DescribeInstanceInformation failed: x' })).toEqual({
      state: 'error',
      error: 'DescribeInstanceInformation failed: x',
    });
  });
});

describe('problemsOf', () => {
  it('a failed listing or a failed SSM read makes the plan incomplete', () => {
    const plan = makePlan(snapshot({ instances: [instance({ owner: REPO })], listings: [failedListing(REPO, 'HTTP 502')] }));
    const context = { source: 'x', githubRequests: 0 };
    expect(problemsOf(plan, { ...context, probe: { state: 'off', why: 'PROBE_DOCUMENT_NAME unset' } })).toEqual([expect.stringContaining('Repo:my-org/my-repo failed (HTTP 502)')]);
    expect(problemsOf(makePlan(snapshot()), { ...context, probe: { state: 'error', error: 'down' } })).toEqual([expect.stringContaining('SSM could not say')]);
    expect(problemsOf(makePlan(snapshot()), { ...context, probe: { state: 'read', online: 0 } })).toEqual([]);
  });
});
