import { ORG, ORG_PATH, REPO, REPO_PATH, testGitHub } from '../helpers/fixtures';
import { startGitHubMock, type GitHubMock } from '../helpers/github-mock';

let github: GitHubMock;

beforeEach(async () => {
  github = await startGitHubMock();
});
afterEach(() => github.close());

describe('GitHubRunners.listRunners', () => {
  it('reads every page (100 per page) of an org and maps labels to names', async () => {
    for (let id = 1; id <= 250; id++) github.addRunner(ORG_PATH, { id, name: `r-${id}`, busy: id === 7 });
    const runners = await testGitHub(github).listRunners(ORG);
    expect(runners).toHaveLength(250);
    expect(runners[6]).toEqual({ id: 7, name: 'r-7', status: 'online', busy: true, labels: ['self-hosted'] });
    const pages = github.requests.filter((r) => r.path === '/orgs/acme/actions/runners');
    expect(pages.map((r) => [r.query.get('per_page'), r.query.get('page')])).toEqual([
      ['100', '1'],
      ['100', '2'],
      ['100', '3'],
    ]);
  });

  it('uses the repository endpoints for a Repo owner', async () => {
    github.addRunner(REPO_PATH, { id: 5, name: 'r-5' });
    const runners = await testGitHub(github).listRunners(REPO);
    expect(runners.map((r) => r.id)).toEqual([5]);
    expect(github.count('GET', /^\/repos\/acme\/app\/installation$/)).toBe(1);
    expect(github.count('GET', /^\/repos\/acme\/app\/actions\/runners$/)).toBe(1);
  });

  it.each([
    ['a runner without busy', { total_count: 1, runners: [{ id: 1, name: 'a', status: 'online', labels: [] }] }],
    ['a busy flag as a string', { total_count: 1, runners: [{ id: 1, name: 'a', status: 'online', busy: 'false', labels: [] }] }],
    ['a runner without a name', { total_count: 1, runners: [{ id: 1, name: '', status: 'online', busy: false, labels: [] }] }],
    ['an id as a string', { total_count: 1, runners: [{ id: '1', name: 'a', status: 'online', busy: false, labels: [] }] }],
    ['a runner that is not an object', { total_count: 1, runners: [null] }],
    ['no runners array', { total_count: 1 }],
    ['no total_count', { runners: [] }],
    ['a string', 'oops'],
  ])('throws on a malformed page: %s', async (_name, body) => {
    github.intercept((r) => (r.path.endsWith('/actions/runners') ? { status: 200, body } : undefined));
    await expect(testGitHub(github).listRunners(ORG)).rejects.toThrow(/malformed runner listing/);
  });

  it('throws on an HTTP error after bounded retries', async () => {
    github.intercept((r) => (r.path.endsWith('/actions/runners') ? { status: 502, body: { message: 'bad gateway' } } : undefined));
    await expect(testGitHub(github).listRunners(ORG)).rejects.toThrow();
    expect(github.count('GET', /\/actions\/runners$/)).toBe(3);
  });
});

// Issue 10, point 6. Before, one runner with an unexpected status or label shape failed the
// whole owner's listing (this test failed on that code: "malformed runner listing").
describe('GitHubRunners: tolerant where the reaper does not look', () => {
  it('reads a listing with odd values in fields no decision uses', async () => {
    const runners = [
      { id: 1, name: 'a', status: 'idle', busy: false, labels: [{ id: 1, name: 'self-hosted' }], os: 'Linux' },
      { id: 2, name: 'b', busy: true, labels: 'self-hosted', os: 7 },
      { id: 3, name: 'c', status: 'online', busy: false, labels: [{ name: 5 }, 'x', { name: 'gpu' }], ephemeral: 'maybe' },
    ];
    github.intercept((r) => (r.path.endsWith('/actions/runners') ? { status: 200, body: { total_count: 3, runners } } : undefined));
    await expect(testGitHub(github).listRunners(ORG)).resolves.toEqual([
      { id: 1, name: 'a', status: 'offline', busy: false, labels: ['self-hosted'], os: 'Linux' },
      { id: 2, name: 'b', status: 'offline', busy: true, labels: [] },
      { id: 3, name: 'c', status: 'online', busy: false, labels: ['gpu'] },
    ]);
  });

  it('reads a single runner the same way', async () => {
    github.intercept((r) => (r.path.endsWith('/runners/9') ? { status: 200, body: { id: 9, name: 'r-9', busy: true, status: null } } : undefined));
    await expect(testGitHub(github).getRunner(ORG, 9)).resolves.toEqual({
      kind: 'found',
      runner: { id: 9, name: 'r-9', status: 'offline', busy: true, labels: [] },
    });
  });
});

// Issue 10, point 1: pages that do not fit together. Before, each case below was accepted
// as complete (the first test failed on that code with runner 101 missing from the result,
// the others returned 300 or 3 runners instead of throwing).
describe('GitHubRunners.listRunners: pages that do not fit together', () => {
  const listings = () => github.requests.filter((r) => r.method === 'GET' && r.path === '/orgs/acme/actions/runners');

  it('a runner removed while paging: the listing is read again, and the second reading is whole', async () => {
    for (let id = 1; id <= 250; id++) github.addRunner(ORG_PATH, { id, name: `r-${id}` });
    let removed = false;
    github.onRequest = (r) => {
      // Right after page 1 is served, runner 1 goes: everything slides one place up.
      if (!removed && r.path === '/orgs/acme/actions/runners' && r.query.get('page') === '2') {
        removed = true;
        github.runners.set(ORG_PATH, github.runners.get(ORG_PATH)!.filter((x) => x.id !== 1));
      }
    };
    const runners = await testGitHub(github).listRunners(ORG);
    expect(runners).toHaveLength(249);
    expect(runners.map((x) => x.id)).toContain(101);
    expect(listings().map((r) => r.query.get('page'))).toEqual(['1', '2', '1', '2', '3']);
  });

  it('a proxy that ignores `page` (the same runners on every page) fails the listing', async () => {
    const page = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, name: `r-${i + 1}`, status: 'online', busy: false, labels: [] }));
    github.intercept((r) => (r.path.endsWith('/actions/runners') ? { status: 200, body: { total_count: 250, runners: page } } : undefined));
    await expect(testGitHub(github).listRunners(ORG)).rejects.toThrow(/runner 1 twice.*twice in a row/);
    expect(listings()).toHaveLength(4);
  });

  it('fewer runners than total_count fails the listing', async () => {
    const runners = [1, 2, 3].map((id) => ({ id, name: `r-${id}`, status: 'online', busy: false, labels: [] }));
    github.intercept((r) => (r.path.endsWith('/actions/runners') ? { status: 200, body: { total_count: 5, runners } } : undefined));
    await expect(testGitHub(github).listRunners(ORG)).rejects.toThrow(/gave 3 runners where total_count says 5/);
    expect(listings()).toHaveLength(2);
  });

  it('more runners than total_count fails the listing', async () => {
    const runners = [1, 2, 3].map((id) => ({ id, name: `r-${id}`, status: 'online', busy: false, labels: [] }));
    github.intercept((r) => (r.path.endsWith('/actions/runners') ? { status: 200, body: { total_count: 2, runners } } : undefined));
    await expect(testGitHub(github).listRunners(ORG)).rejects.toThrow(/gave 3 runners where total_count says 2/);
  });

  it('a total_count that keeps changing between pages fails the listing', async () => {
    for (let id = 1; id <= 150; id++) github.addRunner(ORG_PATH, { id, name: `r-${id}` });
    let extra = 0;
    github.onRequest = (r) => {
      if (r.path === '/orgs/acme/actions/runners' && r.query.get('page') === '2') {
        extra++;
        github.addRunner(ORG_PATH, { id: 1000 + extra, name: `new-${extra}` });
      }
    };
    await expect(testGitHub(github).listRunners(ORG)).rejects.toThrow(/changed while it was read \(total_count 151 on page 1, 152 on page 2\), twice in a row/);
    expect(listings()).toHaveLength(4);
  });

  it('an empty fleet and an exact multiple of the page size are whole', async () => {
    await expect(testGitHub(github).listRunners(ORG)).resolves.toEqual([]);
    for (let id = 1; id <= 200; id++) github.addRunner(ORG_PATH, { id, name: `r-${id}` });
    await expect(testGitHub(github).listRunners(ORG)).resolves.toHaveLength(200);
  });
});

describe('GitHubRunners.getRunner', () => {
  it('reads a runner', async () => {
    github.addRunner(ORG_PATH, { id: 9, name: 'r-9', status: 'offline' });
    await expect(testGitHub(github).getRunner(ORG, 9)).resolves.toEqual({
      kind: 'found',
      runner: { id: 9, name: 'r-9', status: 'offline', busy: false, labels: ['self-hosted'] },
    });
  });

  it('classifies 404 as gone', async () => {
    await expect(testGitHub(github).getRunner(ORG, 9)).resolves.toEqual({ kind: 'gone' });
  });

  it('classifies a malformed runner and a different id as errors', async () => {
    github.intercept((r) => (r.path.endsWith('/runners/9') ? { status: 200, body: { id: 9, name: 'x' } } : undefined));
    github.intercept((r) =>
      r.path.endsWith('/runners/10')
        ? { status: 200, body: { id: 11, name: 'x', status: 'online', busy: false, labels: [] } }
        : undefined,
    );
    const client = testGitHub(github);
    expect(await client.getRunner(ORG, 9)).toMatchObject({ kind: 'error', error: expect.stringContaining('malformed') });
    expect(await client.getRunner(ORG, 10)).toMatchObject({ kind: 'error', error: expect.stringContaining('answered 11') });
  });

  it('never retries a 422, even on a read', async () => {
    github.intercept((r) => (r.path.endsWith('/runners/9') ? { status: 422, body: { message: 'Unprocessable' } } : undefined));
    expect(await testGitHub(github).getRunner(ORG, 9)).toMatchObject({ kind: 'error', error: expect.stringContaining('HTTP 422') });
    expect(github.count('GET', /\/runners\/9$/)).toBe(1);
  });

  it('classifies a 403 as an error', async () => {
    github.intercept((r) => (r.path.endsWith('/runners/9') ? { status: 403, body: { message: 'Resource not accessible' } } : undefined));
    expect(await testGitHub(github).getRunner(ORG, 9)).toMatchObject({ kind: 'error', error: expect.stringContaining('HTTP 403') });
  });

  it('never reads a failed installation lookup (404) as a gone runner', async () => {
    github.intercept((r) => (r.path.endsWith('/installation') ? { status: 404, body: { message: 'Not Found' } } : undefined));
    const client = testGitHub(github);
    expect(await client.getRunner(ORG, 9)).toMatchObject({ kind: 'error', error: expect.stringContaining('HTTP 404') });
    expect(await client.deleteRunner(ORG, 9)).toMatchObject({ kind: 'error' });
    expect(github.count('DELETE', /runners/)).toBe(0);
  });

  it('classifies a failing credential source as an error', async () => {
    const client = testGitHub(github, {
      credentials: async () => {
        throw new Error('cannot read SSM parameter /ci/app/key (AccessDenied)');
      },
    });
    expect(await client.getRunner(ORG, 9)).toMatchObject({ kind: 'error', error: expect.stringContaining('AccessDenied') });
    expect(await client.deleteRunner(ORG, 9)).toMatchObject({ kind: 'error' });
    expect(github.requests).toHaveLength(0);
  });
});

describe('GitHubRunners.deleteRunner', () => {
  const reply = (status: number, body?: unknown) => (r: { method: string }) => (r.method === 'DELETE' ? { status, body } : undefined);

  it('204 -> deleted', async () => {
    github.addRunner(ORG_PATH, { id: 3, name: 'r-3' });
    await expect(testGitHub(github).deleteRunner(ORG, 3)).resolves.toEqual({ kind: 'deleted' });
    expect(github.runner(ORG_PATH, 3)).toBeUndefined();
  });

  it('404 -> gone', async () => {
    await expect(testGitHub(github).deleteRunner(REPO, 3)).resolves.toEqual({ kind: 'gone' });
  });

  it('422 -> busy, with GitHub message', async () => {
    github.intercept(reply(422, { message: 'Runner "r" is currently running a job and cannot be deleted' }));
    await expect(testGitHub(github).deleteRunner(ORG, 3)).resolves.toEqual({
      kind: 'busy',
      detail: 'Runner "r" is currently running a job and cannot be deleted',
    });
  });

  it('500 saying "running a job" -> busy; other 500 -> error; both sent once', async () => {
    github.intercept((r) => (r.path.endsWith('/3') ? { status: 500, body: { message: 'Runner may be actively Running a job' } } : undefined));
    github.intercept((r) => (r.path.endsWith('/4') ? { status: 500, body: { message: 'Internal error' } } : undefined));
    const client = testGitHub(github);
    expect(await client.deleteRunner(ORG, 3)).toMatchObject({ kind: 'busy' });
    expect(await client.deleteRunner(ORG, 4)).toMatchObject({ kind: 'error', error: expect.stringContaining('HTTP 500') });
    expect(github.count('DELETE', /\/runners\/3$/)).toBe(1);
    expect(github.count('DELETE', /\/runners\/4$/)).toBe(1);
  });

  it('an unexpected success status is an error', async () => {
    github.intercept(reply(200, {}));
    await expect(testGitHub(github).deleteRunner(ORG, 3)).resolves.toMatchObject({ kind: 'error', error: expect.stringContaining('HTTP 200') });
  });

  it('a DELETE whose turn comes later than sendWithinMs is never sent (not-sent); within it, it is', async () => {
    github.addRunner(ORG_PATH, { id: 3, name: 'r-3' });
    github.addRunner(ORG_PATH, { id: 5, name: 'r-5' });
    // One request at a time, and a GET that holds the only slot for 400 ms.
    const client = testGitHub(github, { concurrency: 1 });
    await client.getRunner(ORG, 5);
    github.intercept((r) => (r.method === 'GET' && r.path.endsWith('/runners/5') ? { status: 200, body: { id: 5, name: 'r-5', os: 'linux', status: 'online', busy: false, labels: [] }, delayMs: 400 } : undefined));
    const slow = client.getRunner(ORG, 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(client.deleteRunner(ORG, 3, 100)).resolves.toMatchObject({ kind: 'not-sent', detail: expect.stringContaining('not sent') });
    await slow;
    expect(github.count('DELETE', /\/runners\/3$/)).toBe(0);
    expect(github.runner(ORG_PATH, 3)).toBeDefined();
    const slowAgain = client.getRunner(ORG, 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(client.deleteRunner(ORG, 3, 5_000)).resolves.toEqual({ kind: 'deleted' });
    await slowAgain;
    expect(github.count('DELETE', /\/runners\/3$/)).toBe(1);
  });

  it('a rate-limited DELETE (429, retry-after) is never retried', async () => {
    github.intercept((r) =>
      r.method === 'DELETE' ? { status: 429, body: { message: 'API rate limit exceeded' }, headers: { 'retry-after': '0', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0' } } : undefined,
    );
    await expect(testGitHub(github).deleteRunner(ORG, 3)).resolves.toMatchObject({ kind: 'error' });
    expect(github.count('DELETE', /\/runners\/3$/)).toBe(1);
  });
});
