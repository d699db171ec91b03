/**
 * The runners REST endpoints, for an org (`/orgs/{org}/actions/runners`) or a repository
 * (`/repos/{owner}/{repo}/actions/runners`). Every answer is validated: a listing or a
 * runner that does not look like GitHub's documented shape is an error, never "idle".
 */
import { z } from 'zod';
import type { DeleteOutcome, OwnerRef, RunnerRead, RunnerView } from '../core';
import type { ReaperOctokit } from './github-client';
import { splitRepo } from './github-client';
import type { GitHubPort } from './ports';

const PER_PAGE = 100;
/** 1,000 pages of 100 runners: far above any real fleet, low enough to stop a loop. */
const MAX_PAGES = 1000;

const runnerSchema = z.object({
  id: z.number().int().positive(),
  name: z.string().min(1),
  status: z.enum(['online', 'offline']),
  busy: z.boolean(),
  labels: z.array(z.object({ name: z.string() }).passthrough()),
});

const pageSchema = z.object({
  total_count: z.number().int().nonnegative(),
  runners: z.array(runnerSchema),
});

function toView(runner: z.infer<typeof runnerSchema>): RunnerView {
  return {
    id: runner.id,
    name: runner.name,
    status: runner.status,
    busy: runner.busy,
    labels: runner.labels.map((label) => label.name),
  };
}

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/** An Octokit RequestError carries `status`; network errors and aborts may not. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function describeError(error: unknown): string {
  const status = statusOf(error);
  return status === undefined ? messageOf(error) : `HTTP ${status}: ${messageOf(error)}`;
}

/** GitHub's refusal to delete a busy runner came as a 500 in 2021: read the message. */
const RUNNING_A_JOB = /running a job/i;

function bodyMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data;
  if (typeof data === 'string') return data;
  const message = (data as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

export type ClientForOwner = (owner: OwnerRef) => Promise<ReaperOctokit>;

type Route = { base: string; params: Record<string, string> };

function routeOf(owner: OwnerRef): Route {
  if (owner.type === 'Org') return { base: '/orgs/{org}/actions/runners', params: { org: owner.owner } };
  return { base: '/repos/{owner}/{repo}/actions/runners', params: splitRepo(owner.owner) };
}

export class GitHubRunners implements GitHubPort {
  constructor(private readonly clientFor: ClientForOwner) {}

  async listRunners(owner: OwnerRef): Promise<RunnerView[]> {
    const octokit = await this.clientFor(owner);
    const route = routeOf(owner);
    const runners: RunnerView[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const response = await octokit.request(`GET ${route.base}`, {
        ...route.params,
        per_page: PER_PAGE,
        page,
      });
      const parsed = pageSchema.safeParse(response.data);
      if (!parsed.success) {
        throw new Error(`malformed runner listing for ${owner.owner}: ${describeZodError(parsed.error)}`);
      }
      runners.push(...parsed.data.runners.map(toView));
      if (parsed.data.runners.length < PER_PAGE || runners.length >= parsed.data.total_count) {
        return runners;
      }
    }
    throw new Error(`runner listing for ${owner.owner} has more than ${MAX_PAGES} pages`);
  }

  async getRunner(owner: OwnerRef, runnerId: number): Promise<RunnerRead> {
    // A failed App/installation lookup must stay an error: its 404 is not the runner's.
    const client = await this.client(owner);
    if (!client.ok) return { kind: 'error', error: client.error };
    try {
      const { octokit, route } = client;
      const response = await octokit.request(`GET ${route.base}/{runner_id}`, {
        ...route.params,
        runner_id: runnerId,
      });
      const parsed = runnerSchema.safeParse(response.data);
      if (!parsed.success) {
        return { kind: 'error', error: `malformed runner ${runnerId}: ${describeZodError(parsed.error)}` };
      }
      if (parsed.data.id !== runnerId) {
        return { kind: 'error', error: `asked for runner ${runnerId}, GitHub answered ${parsed.data.id}` };
      }
      return { kind: 'found', runner: toView(parsed.data) };
    } catch (error) {
      if (statusOf(error) === 404) return { kind: 'gone' };
      return { kind: 'error', error: describeError(error) };
    }
  }

  async deleteRunner(owner: OwnerRef, runnerId: number): Promise<DeleteOutcome> {
    const client = await this.client(owner);
    if (!client.ok) return { kind: 'error', error: client.error };
    let status: number;
    try {
      const { octokit, route } = client;
      const response = await octokit.request(`DELETE ${route.base}/{runner_id}`, {
        ...route.params,
        runner_id: runnerId,
        // Never retried: see github-client.ts.
        request: { retries: 0 },
      });
      status = response.status;
    } catch (error) {
      const failed = statusOf(error);
      if (failed === 404) return { kind: 'gone' };
      if (failed === 422) return { kind: 'busy', detail: bodyMessage(error) || messageOf(error) };
      if (failed === 500 && (RUNNING_A_JOB.test(bodyMessage(error)) || RUNNING_A_JOB.test(messageOf(error)))) {
        return { kind: 'busy', detail: bodyMessage(error) || messageOf(error) };
      }
      return { kind: 'error', error: describeError(error) };
    }
    if (status === 204) return { kind: 'deleted' };
    return { kind: 'error', error: `unexpected HTTP ${status} to DELETE runner ${runnerId}` };
  }

  private async client(
    owner: OwnerRef,
  ): Promise<{ ok: true; octokit: ReaperOctokit; route: Route } | { ok: false; error: string }> {
    try {
      return { ok: true, octokit: await this.clientFor(owner), route: routeOf(owner) };
    } catch (error) {
      return { ok: false, error: `no GitHub client for ${owner.owner}: ${describeError(error)}` };
    }
  }
}
