/**
 * GitHub through Octokit with GitHub App credentials: the runner registry (real API or the
 * twin, same code) and the real job source (the e2e-job workflow, dispatched).
 */
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { DispatchedJob, JobSource, JobState, RunnerOwner, RunnerRecord, RunnerRegistry } from './ports';

export interface AppCredentials {
  appId: string;
  privateKeyPem: string;
  installationId?: number;
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function status(error: unknown): number | undefined {
  const s = (error as { status?: unknown }).status;
  return typeof s === 'number' ? s : undefined;
}

/** An installation client for the account (the installation is looked up when not given). */
export async function installationOctokit(apiUrl: string, app: AppCredentials, owner: string, repo: string, scope: 'repo' | 'org'): Promise<Octokit> {
  let installationId = app.installationId;
  if (installationId === undefined) {
    const asApp = new Octokit({ baseUrl: apiUrl, authStrategy: createAppAuth, auth: { appId: app.appId, privateKey: app.privateKeyPem }, log: quiet });
    const found =
      scope === 'org'
        ? await asApp.rest.apps.getOrgInstallation({ org: owner })
        : await asApp.rest.apps.getRepoInstallation({ owner, repo });
    installationId = found.data.id;
  }
  return new Octokit({
    baseUrl: apiUrl,
    authStrategy: createAppAuth,
    auth: { appId: app.appId, privateKey: app.privateKeyPem, installationId },
    log: quiet,
  });
}

export class OctokitRunnerRegistry implements RunnerRegistry {
  readonly owner: RunnerOwner;

  constructor(
    private readonly octokit: Octokit,
    account: string,
    private readonly repo: string,
    private readonly scope: 'repo' | 'org',
  ) {
    this.owner = scope === 'org' ? { type: 'Org', owner: account } : { type: 'Repo', owner: `${account}/${repo}` };
  }

  private get account(): string {
    return this.owner.owner.split('/')[0]!;
  }

  async createJitRunner(name: string, labels: string[]): Promise<{ runnerId: number; encodedJitConfig: string }> {
    // runner_group_id 1 is the Default group; work_folder is relative to the runner directory.
    const body = { name, runner_group_id: 1, labels, work_folder: '_work' };
    const res =
      this.scope === 'org'
        ? await this.octokit.rest.actions.generateRunnerJitconfigForOrg({ org: this.account, ...body })
        : await this.octokit.rest.actions.generateRunnerJitconfigForRepo({ owner: this.account, repo: this.repo, ...body });
    return { runnerId: res.data.runner.id, encodedJitConfig: res.data.encoded_jit_config };
  }

  async getRunner(runnerId: number): Promise<RunnerRecord | undefined> {
    try {
      const res =
        this.scope === 'org'
          ? await this.octokit.rest.actions.getSelfHostedRunnerForOrg({ org: this.account, runner_id: runnerId })
          : await this.octokit.rest.actions.getSelfHostedRunnerForRepo({ owner: this.account, repo: this.repo, runner_id: runnerId });
      return { id: res.data.id, name: res.data.name, status: res.data.status, busy: res.data.busy };
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  }

  async deleteRunner(runnerId: number): Promise<boolean> {
    try {
      if (this.scope === 'org') await this.octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: this.account, runner_id: runnerId });
      else await this.octokit.rest.actions.deleteSelfHostedRunnerFromRepo({ owner: this.account, repo: this.repo, runner_id: runnerId });
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      throw error;
    }
  }
}

interface WorkflowJob extends DispatchedJob {
  dispatchedAt: Date;
  runId?: number;
}

/**
 * The e2e-job workflow (`workflow_dispatch` with inputs label, duration, correlation_id).
 * Its run-name carries the correlation id, which is how the dispatched run is found: the
 * dispatch API does not return it.
 */
export class WorkflowJobSource implements JobSource {
  private readonly jobs = new Map<string, WorkflowJob>();

  constructor(
    private readonly octokit: Octokit,
    private readonly owner: string,
    private readonly repo: string,
    private readonly workflow: string,
    private readonly ref: string,
  ) {}

  async dispatch(args: { label: string; durationSeconds: number; correlationId: string }): Promise<DispatchedJob> {
    const dispatchedAt = new Date();
    await this.octokit.rest.actions.createWorkflowDispatch({
      owner: this.owner,
      repo: this.repo,
      workflow_id: this.workflow,
      ref: this.ref,
      inputs: { label: args.label, duration: String(args.durationSeconds), correlation_id: args.correlationId },
    });
    const job: WorkflowJob = { correlationId: args.correlationId, dispatchedAt };
    this.jobs.set(args.correlationId, job);
    return job;
  }

  async state(handle: DispatchedJob): Promise<JobState> {
    const job = this.mustJob(handle);
    const runId = job.runId ?? (await this.findRun(job));
    if (runId === undefined) return { status: 'queued' };
    const { data } = await this.octokit.rest.actions.listJobsForWorkflowRun({ owner: this.owner, repo: this.repo, run_id: runId });
    const first = data.jobs[0];
    if (!first || first.status === 'queued' || first.status === 'waiting' || first.status === 'pending' || first.status === 'requested') {
      return { status: 'queued' };
    }
    const runnerName = first.runner_name ?? undefined;
    if (first.status === 'completed') {
      return { status: 'completed', conclusion: first.conclusion ?? 'unknown', ...(runnerName ? { runnerName } : {}) };
    }
    return { status: 'in_progress', ...(runnerName ? { runnerName } : {}) };
  }

  async cancel(handle: DispatchedJob): Promise<void> {
    const job = this.mustJob(handle);
    const runId = job.runId ?? (await this.findRun(job));
    if (runId === undefined) return;
    try {
      await this.octokit.rest.actions.cancelWorkflowRun({ owner: this.owner, repo: this.repo, run_id: runId });
    } catch (error) {
      // 409: the run already completed.
      if (status(error) !== 409) throw error;
    }
  }

  private async findRun(job: WorkflowJob): Promise<number | undefined> {
    // Runs created a little before the dispatch call returned, to allow for clock skew.
    const since = new Date(job.dispatchedAt.getTime() - 120_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { data } = await this.octokit.rest.actions.listWorkflowRuns({
      owner: this.owner,
      repo: this.repo,
      workflow_id: this.workflow,
      event: 'workflow_dispatch',
      created: `>=${since}`,
      per_page: 100,
    });
    const run = data.workflow_runs.find((r) => (r.display_title ?? '').split(' ').includes(job.correlationId));
    if (run) job.runId = run.id;
    return run?.id;
  }

  private mustJob(handle: DispatchedJob): WorkflowJob {
    const job = this.jobs.get(handle.correlationId);
    if (!job) throw new Error(`job ${handle.correlationId} was not dispatched here`);
    return job;
  }
}
