/**
 * Every route the twin serves, checked against GitHub's OpenAPI description: the
 * path+method exist, the status is documented (or a known real-world one), and the
 * bodies validate against the documented schemas.
 */
import { Octokit } from '@octokit/rest';
import { GitHubTwin, ROUTES, SERVED_ROUTES, signAppJwt } from '../../twin';
import { checkExchange, loadSpecSubset, type SpecSubset } from '../../twin/conformance/openapi';
import { validate } from '../../twin/conformance/schema-validator';
import { quietLog, registerRunners, startTwin, statusOf, tokenOctokit } from './support';

describe('twin conformance with the GitHub OpenAPI description', () => {
  let spec: SpecSubset;
  let twin: GitHubTwin;
  beforeAll(async () => {
    spec = loadSpecSubset(SERVED_ROUTES);
    twin = await startTwin({ recordBodies: true });
  }, 30_000);
  afterAll(() => twin.stop());

  it('finds every served route in the description', () => {
    for (const r of SERVED_ROUTES) expect(spec.operations.has(`${r.method} ${r.template}`)).toBe(true);
    expect(spec.operations.size).toBe(SERVED_ROUTES.length);
  });

  it('catches a malformed runner body (the validator can fail)', () => {
    const runnerSchema = spec.operations.get(`GET ${ROUTES.orgRunner}`)!.responses.get('200')!;
    const good = { id: 1, name: 'r', os: 'Linux', status: 'online', busy: false, labels: [{ id: 1, name: 'x', type: 'custom' }] };
    expect(validate(runnerSchema, good, spec.resolve)).toEqual([]);
    const errors = validate(runnerSchema, { ...good, busy: 'no', labels: [{ name: 'x', type: 'weird' }], id: undefined }, spec.resolve);
    expect(errors.map((e) => e.path)).toEqual(expect.arrayContaining(['$.busy', '$.labels[0].type']));
    expect(checkExchange(spec, { method: 'GET', route: ROUTES.orgRunner, query: {}, status: 418 })[0]?.problem).toMatch(/not documented/);
    expect(checkExchange(spec, { method: 'PATCH', route: ROUTES.orgRunner, query: {}, status: 200 })).toHaveLength(1);
  });

  it('answers every route, in success and error cases, as the description documents', async () => {
    const instId = twin.install('my-org');
    const jwt = signAppJwt({ appId: twin.appId, privateKeyPem: twin.privateKeyPem });
    const app = new Octokit({ baseUrl: twin.url, auth: jwt, log: quietLog, request: { retries: 0 } });
    const gh = tokenOctokit(twin, 'my-org');
    const org = { org: 'my-org' };
    const repo = { owner: 'my-org', repo: 'app' };

    await app.apps.getOrgInstallation(org);
    await app.apps.getRepoInstallation(repo);
    await statusOf(app.apps.getOrgInstallation({ org: 'nobody' }));
    await app.apps.createInstallationAccessToken({ installation_id: instId });
    await statusOf(app.apps.createInstallationAccessToken({ installation_id: 999 }));

    const [orgRunner, busyRunner] = registerRunners(twin, 2);
    const [repoRunner] = registerRunners(twin, 1, { type: 'Repo', owner: 'my-org/app' });
    registerRunners(twin, 40, undefined, { prefix: 'bulk' });
    twin.dispatcher.assignNow({ runnerId: busyRunner!.id });

    await gh.paginate(gh.actions.listSelfHostedRunnersForOrg, { ...org, per_page: 20 });
    await gh.actions.listSelfHostedRunnersForOrg({ ...org, name: 'bulk-3' });
    await gh.actions.listSelfHostedRunnersForRepo(repo);
    await gh.actions.getSelfHostedRunnerForOrg({ ...org, runner_id: orgRunner!.id });
    await gh.actions.getSelfHostedRunnerForRepo({ ...repo, runner_id: repoRunner!.id });
    await statusOf(gh.actions.deleteSelfHostedRunnerFromOrg({ ...org, runner_id: busyRunner!.id }));
    await gh.actions.deleteSelfHostedRunnerFromOrg({ ...org, runner_id: orgRunner!.id });
    await gh.actions.deleteSelfHostedRunnerFromRepo({ ...repo, runner_id: repoRunner!.id });
    await statusOf(gh.actions.getSelfHostedRunnerForOrg({ ...org, runner_id: orgRunner!.id }));
    await statusOf(gh.actions.deleteSelfHostedRunnerFromRepo({ ...repo, runner_id: repoRunner!.id }));
    await gh.actions.createRegistrationTokenForOrg(org);
    await gh.actions.createRegistrationTokenForRepo(repo);
    const jit = { runner_group_id: 1, labels: ['self-hosted', 'linux'] };
    await gh.actions.generateRunnerJitconfigForOrg({ ...org, name: 'jit-1', ...jit });
    await gh.actions.generateRunnerJitconfigForRepo({ ...repo, name: 'jit-2', ...jit });
    await statusOf(gh.actions.generateRunnerJitconfigForOrg({ ...org, name: 'jit-1', ...jit }));
    await statusOf(gh.request('POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig', { ...repo, name: 'x', labels: [] } as never));
    twin.dispatcher.setSwitches({ deleteWhileAssigned: '500' });
    await statusOf(gh.actions.deleteSelfHostedRunnerFromOrg({ ...org, runner_id: busyRunner!.id }));
    await statusOf(new Octokit({ baseUrl: twin.url, log: quietLog }).actions.listSelfHostedRunnersForOrg(org));

    const exchanges = twin.log.all();
    const served = new Set(exchanges.map((e) => `${e.method} ${e.route}`));
    for (const r of SERVED_ROUTES) expect(served).toContain(`${r.method} ${r.template}`);
    const statuses = new Set(exchanges.map((e) => e.status));
    for (const s of [200, 201, 204, 401, 404, 409, 422, 500]) expect(statuses).toContain(s);

    const problems = exchanges.flatMap((e) => checkExchange(spec, e));
    expect(problems).toEqual([]);
  });
});
