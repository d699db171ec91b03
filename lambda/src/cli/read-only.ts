/**
 * What makes `runner-reaper plan` read-only, in three layers:
 *
 * 1. Types. The plan is handed `PlanPorts`, whose members are the read ports with every
 *    method of the matching write port spelled as `never`. TypeScript is structural, so a
 *    plain `Ec2ReadPort` parameter would accept the full EC2 adapter; `ReadOnly<R, W>`
 *    does not: passing anything that has `setTags`, `terminate`, `deleteRunner` or
 *    `probe` fails to compile.
 * 2. Objects. The ports are built by copying the read methods off an adapter into a new
 *    object, so the plan's code cannot reach a write method at run time either.
 * 3. Clients. The AWS SDK clients and the Octokit instances the plan creates refuse any
 *    call that is not a read before it leaves the process (a read method that one day
 *    wrote something would fail loudly instead of writing). Two clients are not the
 *    plan's to guard: the SSM client Powertools creates for `getParameter` (the plan's
 *    only call through it is GetParameter), and the App-JWT client `GitHubClients` keeps
 *    for installation lookups (GETs only).
 */
import type {
  Ec2ReadPort,
  Ec2WritePort,
  GitHubReadPort,
  GitHubWritePort,
  ProbeAvailabilityPort,
  ProbeRunPort,
} from '../adapters/ports';
import type { ReaperOctokit } from '../adapters/github-client';

/** The read port R, with each method of the write port W forbidden. */
export type ReadOnly<R, W> = R & { readonly [K in keyof W]?: never };

export interface PlanPorts {
  ec2: ReadOnly<Ec2ReadPort, Ec2WritePort>;
  github: ReadOnly<GitHubReadPort, GitHubWritePort>;
  /**
   * Which instances could be probed (SSM DescribeInstanceInformation). There is no probe
   * run: SendCommand runs a command on the instances, so the plan only says who could be
   * asked. Absent when a run would not probe either (handlers/runtime.ts, createSsmProbe).
   */
  probe?: ReadOnly<ProbeAvailabilityPort, ProbeRunPort>;
}

/** Thrown when something asks a read-only client for a write. */
export class WriteRefused extends Error {
  override readonly name = 'WriteRefused';
}

export function readOnlyEc2(adapter: Ec2ReadPort): PlanPorts['ec2'] {
  return {
    listRunnerInstances: (environments) => adapter.listRunnerInstances(environments),
    describeByIds: (ids) => adapter.describeByIds(ids),
  };
}

export function readOnlyGitHub(adapter: GitHubReadPort): PlanPorts['github'] {
  return {
    listRunners: (owner) => adapter.listRunners(owner),
    getRunner: (owner, runnerId) => adapter.getRunner(owner, runnerId),
  };
}

export function readOnlyProbe(adapter: ProbeAvailabilityPort): NonNullable<PlanPorts['probe']> {
  return { onlineInstances: (ids) => adapter.onlineInstances(ids) };
}

/**
 * The part of an AWS SDK v3 client this needs. Input and output types differ per service;
 * the middleware passes them through untouched and reads only the context.
 */
interface AwsClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: never) => Promise<unknown>,
        context: { commandName?: string; clientName?: string },
      ) => (args: never) => Promise<unknown>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/** AWS API actions that only read (every service the plan talks to names them so). */
const AWS_READ_ACTION = /^(Describe|Get|List)[A-Z]/;

/**
 * Makes an AWS SDK v3 client refuse every command whose name is not Describe*, Get* or
 * List*, before it is signed or sent.
 */
export function refuseAwsWrites<C extends AwsClient>(client: C): C {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      if (!AWS_READ_ACTION.test(command)) {
        throw new WriteRefused(`runner-reaper plan is read-only: refused ${context.clientName ?? 'AWS'} ${command || '(unknown command)'}`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'runnerReaperPlanReadOnly', priority: 'high' },
  );
  return client;
}

/**
 * The one non-GET request a GitHub App must make to read anything: exchanging its JWT for
 * an installation token. It creates a short-lived token and changes nothing in the account.
 */
const INSTALLATION_TOKEN = /^\/app\/installations\/(\{installation_id\}|\d+)\/access_tokens$/;

const guarded = new WeakSet<object>();

/** Makes an Octokit instance refuse every request but GETs (and the installation token exchange). */
export function refuseGitHubWrites(octokit: ReaperOctokit): ReaperOctokit {
  if (guarded.has(octokit)) return octokit;
  guarded.add(octokit);
  octokit.hook.before('request', (options) => {
    const method = String(options.method ?? 'GET').toUpperCase();
    const path = String(options.url ?? '').replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '');
    if (method === 'GET' || method === 'HEAD') return;
    if (method === 'POST' && INSTALLATION_TOKEN.test(path.replace(/^\/api\/v3/, ''))) return;
    throw new WriteRefused(`runner-reaper plan is read-only: refused GitHub ${method} ${path}`);
  });
  return octokit;
}
