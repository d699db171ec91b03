/**
 * The runners REST endpoints, for an org (`/orgs/{org}/actions/runners`) or a repository
 * (`/repos/{owner}/{repo}/actions/runners`). Every answer is validated, strictly on what
 * the reaper uses (id, name, busy: a runner that lacks one of them makes the whole listing
 * an error, never "idle" or "unregistered") and tolerantly on what it does not (status,
 * labels, os and anything else: an odd value there must not blind the reaper to a whole
 * owner, issue 10 point 6).
 *
 * A listing is only accepted when its pages fit together (issue 10, point 1): the same
 * `total_count` on every page, no runner twice, and exactly `total_count` runners in all.
 * Otherwise a runner may have slid between two pages unseen, and its instance would look
 * unregistered. Such a listing is read once more; if it still does not fit, it fails.
 */
import { z } from 'zod';
import type { DeleteOutcome, OwnerRef, RunnerRead, RunnerView } from '../core';
import type { ReaperOctokit } from './github-client';
import { sendDeadlineOf, splitRepo } from './github-client';
import type { GitHubPort, GitHubTiming } from './ports';

const PER_PAGE = 100;
/** 1,000 pages of 100 runners: far above any real fleet, low enough to stop a loop. */
const MAX_PAGES = 1000;

/** Strict: what the decisions rest on. */
const runnerSchema = z.object({
  id: z.number().int().positive(),
  name: z.string().min(1),
  busy: z.boolean(),
  // Read tolerantly in toView.
  status: z.unknown().optional(),
  labels: z.unknown().optional(),
  os: z.unknown().optional(),
});

const pageSchema = z.object({
  total_count: z.number().int().nonnegative(),
  runners: z.array(z.unknown()),
});

type RawRunner = z.infer<typeof runnerSchema>;

function labelNames(labels: unknown): string[] {
  if (!Array.isArray(labels)) return [];
  return labels.flatMap((label) => {
    const name = (label as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

function toView(runner: RawRunner): RunnerView {
  return {
    id: runner.id,
    name: runner.name,
    // Not used by any decision: an unknown status reads as offline rather than failing.
    status: runner.status === 'online' ? 'online' : 'offline',
    busy: runner.busy,
    labels: labelNames(runner.labels),
    ...(typeof runner.os === 'string' && runner.os !== '' ? { os: runner.os } : {}),
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

/** The installation's token was refused (401), or could not be created for it. */
function isInstallationFailure(error: unknown): boolean {
  const status = statusOf(error);
  if (status === 401) return true;
  const url = (error as { request?: { url?: unknown } } | null)?.request?.url;
  return (status === 404 || status === 403) && typeof url === 'string' && /\/app\/installations\/\d+\/access_tokens$/.test(url);
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

export interface GitHubRunnersOptions {
  /** Drop the cached installation of an owner (GitHubClients.forget). */
  forget?: (owner: OwnerRef) => void;
  /** The client's timing, passed on to the executors (GitHubClients.timing). */
  timing?: GitHubTiming;
}

type Route = { base: string; params: Record<string, string> };

function routeOf(owner: OwnerRef): Route {
  if (owner.type === 'Org') return { base: '/orgs/{org}/actions/runners', params: { org: owner.owner } };
  return { base: '/repos/{owner}/{repo}/actions/runners', params: splitRepo(owner.owner) };
}

/** A listing read in full whose pages did not fit together. */
class InconsistentListing extends Error {
  override readonly name = 'InconsistentListing';
}

export class GitHubRunners implements GitHubPort {
  readonly timing?: GitHubTiming;

  constructor(
    private readonly clientFor: ClientForOwner,
    private readonly options: GitHubRunnersOptions = {},
  ) {
    if (options.timing) this.timing = options.timing;
  }

  async listRunners(owner: OwnerRef): Promise<RunnerView[]> {
    let installationRetried = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listOnce(owner);
      } catch (error) {
        if (error instanceof InconsistentListing) {
          if (attempt < 2) continue;
          throw new Error(`${error.message}, twice in a row: the listing is not complete`);
        }
        // A listing never answers 404 for an owner the App serves: after a reinstall the
        // cached installation is gone. Look it up again, once.
        const status = statusOf(error);
        if (!installationRetried && this.options.forget && (status === 404 || isInstallationFailure(error))) {
          installationRetried = true;
          this.options.forget(owner);
          continue;
        }
        throw error;
      }
    }
  }

  private async listOnce(owner: OwnerRef): Promise<RunnerView[]> {
    const octokit = await this.clientFor(owner);
    const route = routeOf(owner);
    const runners: RunnerView[] = [];
    const seen = new Set<number>();
    let totalCount: number | undefined;
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
      const pageRunners: RunnerView[] = [];
      for (const [index, raw] of parsed.data.runners.entries()) {
        const runner = runnerSchema.safeParse(raw);
        if (!runner.success) {
          throw new Error(
            `malformed runner listing for ${owner.owner}: page ${page}, runner ${index}: ${describeZodError(runner.error)}`,
          );
        }
        pageRunners.push(toView(runner.data));
      }
      const { total_count } = parsed.data;
      if (totalCount !== undefined && total_count !== totalCount) {
        throw new InconsistentListing(
          `runner listing for ${owner.owner} changed while it was read (total_count ${totalCount} on page 1, ${total_count} on page ${page})`,
        );
      }
      totalCount = total_count;
      for (const runner of pageRunners) {
        if (seen.has(runner.id)) {
          throw new InconsistentListing(`runner listing for ${owner.owner} has runner ${runner.id} twice (page ${page})`);
        }
        seen.add(runner.id);
        runners.push(runner);
      }
      if (pageRunners.length < PER_PAGE || runners.length >= totalCount) {
        if (runners.length !== totalCount) {
          throw new InconsistentListing(
            `runner listing for ${owner.owner} gave ${runners.length} runners where total_count says ${totalCount}`,
          );
        }
        return runners;
      }
    }
    throw new Error(`runner listing for ${owner.owner} has more than ${MAX_PAGES} pages`);
  }

  async getRunner(owner: OwnerRef, runnerId: number): Promise<RunnerRead> {
    const first = await this.getOnce(owner, runnerId);
    if (first.kind !== 'installation-failure') return first;
    if (!this.options.forget) return { kind: 'error', error: first.error };
    this.options.forget(owner);
    const second = await this.getOnce(owner, runnerId);
    return second.kind === 'installation-failure' ? { kind: 'error', error: second.error } : second;
  }

  private async getOnce(
    owner: OwnerRef,
    runnerId: number,
  ): Promise<RunnerRead | { kind: 'installation-failure'; error: string }> {
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
      if (isInstallationFailure(error)) return { kind: 'installation-failure', error: describeError(error) };
      if (statusOf(error) === 404) return { kind: 'gone' };
      return { kind: 'error', error: describeError(error) };
    }
  }

  async deleteRunner(owner: OwnerRef, runnerId: number, sendWithinMs?: number): Promise<DeleteOutcome> {
    const notAfter = sendWithinMs === undefined ? undefined : Date.now() + Math.max(0, sendWithinMs);
    const client = await this.client(owner);
    if (!client.ok) return { kind: 'error', error: client.error };
    let status: number;
    try {
      const { octokit, route } = client;
      const response = await octokit.request(`DELETE ${route.base}/{runner_id}`, {
        ...route.params,
        runner_id: runnerId,
        // Never retried: see github-client.ts. Not sent after `notAfter` (SendDeadlineError).
        request: { retries: 0, ...(notAfter !== undefined ? { notAfter } : {}) },
      });
      status = response.status;
    } catch (error) {
      const late = sendDeadlineOf(error);
      if (late) return { kind: 'not-sent', detail: late.message };
      // Never sent again in this run; the next run looks the installation up afresh.
      if (isInstallationFailure(error)) {
        this.options.forget?.(owner);
        return { kind: 'error', error: describeError(error) };
      }
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
