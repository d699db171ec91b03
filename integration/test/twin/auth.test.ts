import { Octokit } from '@octokit/rest';
import { GitHubTwin, signAppJwt, generateAppKeyPair, ROUTES } from '../../twin';
import { appOctokit, quietLog, startTwin, statusOf } from './support';

describe('twin App authentication', () => {
  let twin: GitHubTwin;
  beforeAll(async () => {
    twin = await startTwin();
  });
  afterAll(() => twin.stop());

  const jwtOctokit = (jwt: string) => new Octokit({ baseUrl: twin.url, auth: jwt, log: quietLog, request: { retries: 0 } });

  it('finds org and repo installations with a valid app JWT', async () => {
    const orgId = twin.install('my-org');
    const jwt = signAppJwt({ appId: twin.appId, privateKeyPem: twin.privateKeyPem });
    const gh = jwtOctokit(jwt);
    const org = await gh.apps.getOrgInstallation({ org: 'my-org' });
    expect(org.data.id).toBe(orgId);
    expect(org.data.app_id).toBe(twin.appId);
    const repo = await gh.apps.getRepoInstallation({ owner: 'my-org', repo: 'app' });
    expect(repo.data.id).toBe(orgId);
    expect(await statusOf(gh.apps.getOrgInstallation({ org: 'not-installed' }))).toBe(404);
  });

  it('rejects expired, wrong-key, wrong-issuer and too-long JWTs with 401', async () => {
    twin.install('my-org');
    const now = Math.floor(Date.now() / 1000);
    const expired = signAppJwt({ appId: twin.appId, privateKeyPem: twin.privateKeyPem, iat: now - 700, exp: now - 100 });
    const otherKey = signAppJwt({ appId: twin.appId, privateKeyPem: generateAppKeyPair().privateKeyPem });
    const wrongIss = signAppJwt({ appId: twin.appId + 1, privateKeyPem: twin.privateKeyPem });
    const tooLong = signAppJwt({ appId: twin.appId, privateKeyPem: twin.privateKeyPem, iat: now, exp: now + 3600 });
    for (const jwt of [expired, otherKey, wrongIss, tooLong, 'not-a-jwt']) {
      expect(await statusOf(jwtOctokit(jwt).apps.getOrgInstallation({ org: 'my-org' }))).toBe(401);
    }
  });

  it('issues installation tokens through @octokit/auth-app and accepts them on runner routes', async () => {
    const id = twin.install('my-org');
    const gh = appOctokit(twin, id);
    const res = await gh.actions.listSelfHostedRunnersForOrg({ org: 'my-org' });
    expect(res.status).toBe(200);
    expect(twin.log.count('POST', ROUTES.installationToken)).toBeGreaterThanOrEqual(1);
    expect(res.headers['x-ratelimit-remaining']).toBeDefined();
  });

  it('answers 401 for missing, unknown and expired installation tokens, 403 for another account', async () => {
    const id = twin.install('my-org');
    twin.install('other-org');
    const call = (auth?: string) =>
      new Octokit({ baseUrl: twin.url, auth, log: quietLog, request: { retries: 0 } }).actions.listSelfHostedRunnersForOrg({ org: 'my-org' });
    expect(await statusOf(call())).toBe(401);
    expect(await statusOf(call('ghs_unknown'))).toBe(401);
    const shortLived = twin.issueInstallationToken(id, -1).token;
    expect(await statusOf(call(shortLived))).toBe(401);
    const other = twin.issueInstallationToken(twin.install('other-org')).token;
    expect(await statusOf(call(other))).toBe(403);
    const good = twin.issueInstallationToken(id).token;
    expect(await statusOf(call(good))).toBe(200);
    twin.expireAllTokens();
    expect(await statusOf(call(good))).toBe(401);
  });

  it('sets the token expiry from tokenLifetimeMs', async () => {
    const id = twin.install('my-org');
    const jwt = signAppJwt({ appId: twin.appId, privateKeyPem: twin.privateKeyPem });
    twin.tokenLifetimeMs = 5 * 60_000;
    const res = await jwtOctokit(jwt).apps.createInstallationAccessToken({ installation_id: id });
    twin.tokenLifetimeMs = 3_600_000;
    const minutes = (Date.parse(res.data.expires_at) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(3);
    expect(minutes).toBeLessThanOrEqual(5);
  });
});
