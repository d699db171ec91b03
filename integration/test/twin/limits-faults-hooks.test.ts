import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { GitHubTwin, ROUTES, VirtualClock } from '../../twin';
import { quietLog, registerRunners, startTwin, statusOf, tokenOctokit } from './support';

describe('twin rate limits, faults and hooks', () => {
  let clock: VirtualClock;
  let twin: GitHubTwin;
  let gh: Octokit;
  beforeEach(async () => {
    clock = new VirtualClock();
    twin = await startTwin({ clock });
    gh = tokenOctokit(twin, 'my-org');
  });
  afterEach(() => twin.stop());

  const list = () => gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org' });
  const del = (id: number) => gh.actions.deleteSelfHostedRunnerFromOrg({ org: 'my-org', runner_id: id });

  it('sends primary rate-limit headers and answers 403 with remaining 0 once spent', async () => {
    twin.limits.configure({ primary: { limit: 2 } });
    const first = await list();
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    expect(first.headers['x-ratelimit-used']).toBe('1');
    expect(first.headers['x-ratelimit-resource']).toBe('core');
    await list();
    const err = (await list().catch((e: unknown) => e)) as { status: number; response: { headers: Record<string, string> } };
    expect(err.status).toBe(403);
    expect(err.response.headers['x-ratelimit-remaining']).toBe('0');
    await clock.advance(3_600_000);
    expect((await list()).status).toBe(200);
  });

  it('uses a separate primary bucket for runner registration', async () => {
    twin.limits.configure({ primary: { limit: 1, status: 429 } });
    await list();
    expect(await statusOf(list())).toBe(429);
    const reg = await gh.actions.createRegistrationTokenForOrg({ org: 'my-org' });
    expect(reg.headers['x-ratelimit-resource']).toBe('actions_runner_registration');
  });

  it('limits DELETE to 180 per minute per endpoint (5 points of 900) with retry-after', async () => {
    twin.limits.configure({ secondary: { status: 429 } });
    const runners = registerRunners(twin, 181);
    const statuses: number[] = [];
    for (const r of runners) statuses.push(await statusOf(del(r.id)));
    expect(statuses.slice(0, 180).every((s) => s === 204)).toBe(true);
    const err = (await del(runners[180]!.id).catch((e: unknown) => e)) as { status: number; response: { headers: Record<string, string> } };
    expect(err.status).toBe(429);
    expect(Number(err.response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // GETs on another endpoint still pass: the budget is per endpoint.
    expect((await list()).status).toBe(200);
    await clock.advance(60_000);
    expect(await statusOf(del(runners[180]!.id))).toBe(204);
  });

  it("is recognised as a secondary limit by Octokit's throttling plugin (as the Lambda uses it)", async () => {
    twin.limits.configure({ secondary: { pointsPerMinute: 1, status: 429 } });
    const seen: { retryAfter: number; url: string }[] = [];
    const Throttled = Octokit.plugin(throttling);
    const token = twin.issueInstallationToken(twin.install('my-org')).token;
    const client = new Throttled({
      baseUrl: twin.url,
      auth: token,
      log: quietLog,
      throttle: {
        onRateLimit: () => false,
        onSecondaryRateLimit: (retryAfter: number, options: { url: string }) => {
          seen.push({ retryAfter, url: options.url });
          return false; // do not wait in a test
        },
      },
    });
    await client.actions.listSelfHostedRunnersForOrg({ org: 'my-org' });
    expect(await statusOf(client.actions.listSelfHostedRunnersForOrg({ org: 'my-org' }))).toBe(429);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('answers 403 beyond the concurrency limit', async () => {
    twin.limits.configure({ secondary: { maxConcurrent: 2, status: 403 } });
    twin.faults.addLatency(100);
    const results = await Promise.all([0, 1, 2, 3].map(() => statusOf(list())));
    expect(results.filter((s) => s === 403).length).toBeGreaterThanOrEqual(1);
    expect(results.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(twin.log.statuses()[403]).toBe(results.filter((s) => s === 403).length);
  });

  it('injects forced statuses for N calls and seeded error rates per route', async () => {
    twin.faults.force(502, { method: 'GET', route: ROUTES.orgRunners }, { times: 2 });
    expect(await statusOf(list())).toBe(502);
    expect(await statusOf(list())).toBe(502);
    expect(await statusOf(list())).toBe(200);
    twin.faults.clear();
    twin.faults.reseed(7);
    twin.faults.errorRate(0.5, { status: 503, matcher: { route: ROUTES.orgRunners } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await statusOf(list()));
    const failures = statuses.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(35);
    expect(statuses.every((s) => s === 503 || s === 200)).toBe(true);
  });

  it('runs a before-hook that assigns a job right before the DELETE of a given runner', async () => {
    twin.dispatcher.setSwitches({ deleteWhileAssigned: '422' });
    const [a, b] = registerRunners(twin, 2);
    const hook = twin.before({ method: 'DELETE', route: ROUTES.orgRunner, params: { runner_id: b!.id } }, () => {
      twin.dispatcher.assignNow({ runnerId: b!.id, id: 'landed' });
    }, { times: 1 });
    expect(await statusOf(del(a!.id))).toBe(204);
    expect(hook.calls).toBe(0);
    expect(await statusOf(del(b!.id))).toBe(422);
    expect(hook.calls).toBe(1);
    expect(twin.dispatcher.getJob('landed')?.runnerId).toBe(b!.id);
  });

  it('runs an after-hook with the answer before the client sees it', async () => {
    const [r] = registerRunners(twin, 1);
    const seen: number[] = [];
    const startedAt = clock.now();
    twin.after({ method: 'GET', route: ROUTES.orgRunner }, async (_req, result) => {
      seen.push(result!.status);
      await clock.advance(1000);
      twin.dispatcher.assignNow({ runnerId: r!.id });
    }, { times: 1 });
    const got = await gh.actions.getSelfHostedRunnerForOrg({ org: 'my-org', runner_id: r!.id });
    expect(got.data.busy).toBe(false);
    expect(seen).toEqual([200]);
    expect(twin.dispatcher.runnerById(r!.id)?.jobId).toBeDefined();
    expect(clock.now() - startedAt).toBe(1000);
  });
});
