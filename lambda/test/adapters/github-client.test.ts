import { GitHubClients, splitRepo } from '../../src/adapters/github-client';
import { GitHubRunners } from '../../src/adapters/github-runners';
import { ORG, ORG_PATH, REPO } from '../helpers/fixtures';
import { INSTALLATION_ID, startGitHubMock, testPrivateKey, type GitHubMock } from '../helpers/github-mock';

let github: GitHubMock;
beforeEach(async () => {
  github = await startGitHubMock();
});
afterEach(() => github.close());

function clients(extra: Partial<ConstructorParameters<typeof GitHubClients>[0]> = {}) {
  return new GitHubClients({
    baseUrl: github.url,
    credentials: async () => ({ appId: '12345', privateKey: testPrivateKey() }),
    concurrency: 2,
    retryUnitMs: 1,
    writeIntervalMs: 0,
    ...extra,
  });
}

describe('GitHubClients', () => {
  it('looks the installation up once per owner with the App JWT, then uses an installation token', async () => {
    github.addRunner(ORG_PATH, { id: 1, name: 'r-1' });
    const runners = new GitHubRunners((owner) => c.forOwner(owner));
    const c = clients();
    await runners.listRunners(ORG);
    await runners.getRunner(ORG, 1);
    await runners.listRunners(REPO);
    expect(github.count('GET', /^\/orgs\/acme\/installation$/)).toBe(1);
    expect(github.count('GET', /^\/repos\/acme\/app\/installation$/)).toBe(1);
    // Both owners share installation 4242: one token.
    expect(github.count('POST', new RegExp(`^/app/installations/${INSTALLATION_ID}/access_tokens$`))).toBe(1);
    const lookup = github.requests.find((r) => r.path === '/orgs/acme/installation');
    expect(lookup?.authorization).toMatch(/^bearer ey/i);
    const listing = github.requests.find((r) => r.path === '/orgs/acme/actions/runners');
    expect(listing?.authorization).toBe('token ghs_mock_token');
  });

  it('skips the lookup when the installation id is configured', async () => {
    const c = clients({ credentials: async () => ({ appId: '12345', privateKey: testPrivateKey(), installationId: 77 }) });
    await new GitHubRunners((owner) => c.forOwner(owner)).listRunners(ORG);
    expect(github.count('GET', /installation$/)).toBe(0);
    expect(github.count('POST', /^\/app\/installations\/77\/access_tokens$/)).toBe(1);
  });

  it('retries a failed installation lookup on the next call instead of caching the failure', async () => {
    let failures = 1;
    github.intercept((r) => (r.path.endsWith('/installation') && failures-- > 0 ? { status: 404, body: { message: 'Not Found' } } : undefined));
    const c = clients();
    await expect(c.forOwner(ORG)).rejects.toThrow();
    await expect(c.forOwner(ORG)).resolves.toBeDefined();
    expect(github.count('GET', /^\/orgs\/acme\/installation$/)).toBe(2);
  });

  it('rejects an installation answer without an id', async () => {
    github.intercept((r) => (r.path.endsWith('/installation') ? { status: 200, body: { app_id: 1 } } : undefined));
    await expect(clients().forOwner(ORG)).rejects.toThrow('no installation id');
  });

  it('honours a secondary rate limit on reads a bounded number of times and counts every attempt', async () => {
    let limited = 0;
    github.intercept((r) => {
      if (r.method !== 'GET' || !r.path.endsWith('/runners/1')) return undefined;
      limited++;
      return { status: 403, body: { message: 'You have exceeded a secondary rate limit' }, headers: { 'retry-after': '1' } };
    });
    let calls = 0;
    const warnings: string[] = [];
    const c = clients({ onRequest: () => calls++, warn: (m) => warnings.push(m) });
    const read = await new GitHubRunners((owner) => c.forOwner(owner)).getRunner(ORG, 1);
    expect(read.kind).toBe('error');
    expect(limited).toBe(3); // first try + 2 rate-limit retries
    expect(calls).toBeGreaterThanOrEqual(limited);
    expect(warnings.filter((w) => w.includes('rate limit'))).toHaveLength(3);
    expect(warnings.at(-1)).toContain('giving up');
  });

  it('gives up at once when the rate limit resets later than it is willing to wait', async () => {
    github.intercept((r) =>
      r.path.endsWith('/runners/1')
        ? { status: 403, body: { message: 'You have exceeded a secondary rate limit' }, headers: { 'retry-after': '3600' } }
        : undefined,
    );
    const c = clients();
    const read = await new GitHubRunners((owner) => c.forOwner(owner)).getRunner(ORG, 1);
    expect(read.kind).toBe('error');
    expect(github.count('GET', /\/runners\/1$/)).toBe(1);
  });

  it('never runs more requests at once than the concurrency allows', async () => {
    let inFlight = 0;
    let peak = 0;
    github.intercept((r) => {
      if (!r.path.includes('/runners/')) return undefined;
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => inFlight--, 30);
      return { status: 404, body: { message: 'Not Found' }, delayMs: 30 };
    });
    const c = clients({ concurrency: 2 });
    const runners = new GitHubRunners((owner) => c.forOwner(owner));
    await Promise.all(Array.from({ length: 8 }, (_, i) => runners.getRunner(ORG, i + 1)));
    expect(peak).toBeLessThanOrEqual(2);
    expect(github.count('GET', /\/runners\/\d+$/)).toBe(8);
  });

  it('builds a new client when the App credentials change', async () => {
    let appId = '1';
    const c = clients({ credentials: async () => ({ appId, privateKey: testPrivateKey(), installationId: 5 }) });
    const first = await c.forOwner(ORG);
    expect(await c.forOwner(ORG)).toBe(first);
    appId = '2';
    expect(await c.forOwner(ORG)).not.toBe(first);
  });
});

describe('splitRepo', () => {
  it('splits owner/repo and refuses anything else', () => {
    expect(splitRepo('acme/app')).toEqual({ owner: 'acme', repo: 'app' });
    expect(() => splitRepo('acme')).toThrow();
    expect(() => splitRepo('a/b/c')).toThrow();
  });
});
