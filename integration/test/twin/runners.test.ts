import type { Octokit } from '@octokit/rest';
import { GitHubTwin, ROUTES } from '../../twin';
import { registerRunners, startTwin, statusOf, tokenOctokit } from './support';

describe('twin runners API', () => {
  let twin: GitHubTwin;
  let gh: Octokit;
  beforeEach(async () => {
    twin = await startTwin();
    gh = tokenOctokit(twin, 'my-org');
  });
  afterEach(() => twin.stop());

  it('paginates 250 org runners with Link headers and per_page up to 100', async () => {
    registerRunners(twin, 250);
    const first = await gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org', per_page: 100 });
    expect(first.data.total_count).toBe(250);
    expect(first.data.runners).toHaveLength(100);
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toMatch(/page=3>; rel="last"/);

    const all = await gh.paginate(gh.actions.listSelfHostedRunnersForOrg, { org: 'my-org', per_page: 100 });
    expect(all).toHaveLength(250);
    expect(new Set(all.map((r) => r.id)).size).toBe(250);
    expect(twin.log.count('GET', ROUTES.orgRunners)).toBe(1 + 3);

    const capped = await gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org', per_page: 500 });
    expect(capped.data.runners).toHaveLength(100);
    const last = await gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org', per_page: 100, page: 3 });
    expect(last.data.runners).toHaveLength(50);
    expect(last.headers.link).not.toContain('rel="next"');
    expect(last.headers.link).toContain('rel="prev"');
  });

  it('omits Link on a single page and uses 30 per page by default', async () => {
    registerRunners(twin, 31);
    const res = await gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org' });
    expect(res.data.runners).toHaveLength(30);
    registerRunners(twin, 0);
    const few = await tokenOctokit(twin, 'solo').actions.listSelfHostedRunnersForOrg({ org: 'solo' });
    expect(few.data.total_count).toBe(0);
    expect(few.headers.link).toBeUndefined();
  });

  it('serves runner JSON in GitHub shape and keeps org and repo runners apart', async () => {
    const [orgRunner] = registerRunners(twin, 1, { type: 'Org', owner: 'my-org' }, { labels: ['gpu'] });
    const [repoRunner] = registerRunners(twin, 1, { type: 'Repo', owner: 'my-org/app' }, { prefix: 'repo' });
    const got = await gh.actions.getSelfHostedRunnerForOrg({ org: 'my-org', runner_id: orgRunner!.id });
    expect(got.data).toMatchObject({ id: orgRunner!.id, name: 'runner-1', os: 'Linux', status: 'online', busy: false });
    expect(got.data.labels.map((l) => [l.name, l.type])).toEqual([
      ['self-hosted', 'read-only'],
      ['Linux', 'read-only'],
      ['X64', 'read-only'],
      ['gpu', 'custom'],
    ]);
    const repoList = await gh.actions.listSelfHostedRunnersForRepo({ owner: 'my-org', repo: 'app' });
    expect(repoList.data.runners.map((r) => r.id)).toEqual([repoRunner!.id]);
    expect(await statusOf(gh.actions.getSelfHostedRunnerForOrg({ org: 'my-org', runner_id: repoRunner!.id }))).toBe(404);
    expect(
      (await gh.actions.getSelfHostedRunnerForRepo({ owner: 'my-org', repo: 'app', runner_id: repoRunner!.id })).data.name,
    ).toBe('repo-1');
  });

  it('deletes an idle runner (204), then GET and DELETE answer 404', async () => {
    const [r] = registerRunners(twin, 1);
    expect(await statusOf(gh.actions.deleteSelfHostedRunnerFromOrg({ org: 'my-org', runner_id: r!.id }))).toBe(204);
    expect(await statusOf(gh.actions.getSelfHostedRunnerForOrg({ org: 'my-org', runner_id: r!.id }))).toBe(404);
    expect(await statusOf(gh.actions.deleteSelfHostedRunnerFromOrg({ org: 'my-org', runner_id: r!.id }))).toBe(404);
    expect(twin.log.counts()[`DELETE ${ROUTES.orgRunner}`]).toBe(2);
  });

  it('reports a runner offline once its agent stops polling', async () => {
    const [r] = registerRunners(twin, 1);
    twin.dispatcher.setSwitches({ offlineAfterMs: 0 });
    await new Promise((res) => setTimeout(res, 5));
    const got = await gh.actions.getSelfHostedRunnerForOrg({ org: 'my-org', runner_id: r!.id });
    expect(got.data.status).toBe('offline');
  });

  it('creates registration tokens and JIT configs (409 on a taken name, 422 on a bad body)', async () => {
    const reg = await gh.actions.createRegistrationTokenForOrg({ org: 'my-org' });
    expect(reg.status).toBe(201);
    const runner = twin.dispatcher.registerRunner({ token: reg.data.token, name: 'i-0abc' });
    expect(runner.owner).toEqual({ type: 'Org', owner: 'my-org' });

    const jit = await gh.actions.generateRunnerJitconfigForRepo({
      owner: 'my-org',
      repo: 'app',
      name: 'i-0def',
      runner_group_id: 1,
      labels: ['self-hosted', 'linux'],
    });
    expect(jit.status).toBe(201);
    expect(jit.data.runner.status).toBe('offline');
    const connected = twin.dispatcher.connectJit(jit.data.encoded_jit_config, 'i-0def');
    expect(connected.id).toBe(jit.data.runner.id);
    expect(connected.ephemeral).toBe(true);
    const again = gh.actions.generateRunnerJitconfigForRepo({ owner: 'my-org', repo: 'app', name: 'i-0def', runner_group_id: 1, labels: ['x'] });
    expect(await statusOf(again)).toBe(409);
    const bad = gh.request('POST /orgs/{org}/actions/runners/generate-jitconfig', { org: 'my-org', name: 'x', labels: [] } as never);
    expect(await statusOf(bad)).toBe(422);
  });
});
