/**
 * A private CA (pki.ts): a GitHub mock over HTTPS with a certificate that CA signed,
 * reached through the real Octokit stack.
 */
import { GitHubClients } from '../../src/adapters/github-client';
import { GitHubRunners } from '../../src/adapters/github-runners';
import { fetchTrusting, parsePemBundle } from '../../src/adapters/github-tls';
import { ORG, ORG_PATH } from '../helpers/fixtures';
import { startGitHubMock, testPrivateKey, type GitHubMock } from '../helpers/github-mock';
import { makePki, type Pki } from './pki';

let pki: Pki;
let github: GitHubMock;
beforeAll(() => {
  pki = makePki();
});
beforeEach(async () => {
  github = await startGitHubMock({ tls: { key: pki.serverKey, cert: pki.serverCert }, pathPrefix: '/api/v3' });
  github.addRunner(ORG_PATH, { id: 1, name: 'r-1' });
});
afterEach(() => github.close());

function runners(fetch?: typeof globalThis.fetch): GitHubRunners {
  const clients = new GitHubClients({
    baseUrl: github.url,
    credentials: async () => ({ appId: '12345', privateKey: testPrivateKey() }),
    concurrency: 2,
    retryUnitMs: 1,
    readRetries: 0,
    ...(fetch ? { fetch } : {}),
  });
  return new GitHubRunners((owner) => clients.forOwner(owner));
}

describe('a GitHub Enterprise Server behind a private CA', () => {
  it('is refused with the public roots only', async () => {
    await expect(runners().listRunners(ORG)).rejects.toThrow();
    expect(github.requests).toHaveLength(0);
  });

  it('is reached when the bundle holds its CA (beside another one)', async () => {
    let reads = 0;
    const fetch = fetchTrusting({
      readBundle: async () => {
        reads++;
        return `${pki.otherCaPem}\n${pki.caPem}`;
      },
      source: 'SSM parameter /ci/github/ca',
    });
    const reaper = runners(fetch);
    await expect(reaper.listRunners(ORG)).resolves.toHaveLength(1);
    await expect(reaper.getRunner(ORG, 1)).resolves.toMatchObject({ kind: 'found' });
    expect(reads).toBe(1);
    expect(github.requests.map((r) => r.path)).toEqual([
      '/orgs/acme/installation',
      '/app/installations/4242/access_tokens',
      '/orgs/acme/actions/runners',
      '/orgs/acme/actions/runners/1',
    ]);
  });

  it('is refused when the bundle holds another CA only', async () => {
    const fetch = fetchTrusting({ readBundle: async () => pki.otherCaPem, source: 'SSM parameter /ci/github/ca' });
    await expect(runners(fetch).listRunners(ORG)).rejects.toThrow();
    expect(github.requests).toHaveLength(0);
  });

  it('a bundle that cannot be read fails the call, names the parameter, and is read again next time', async () => {
    let fail = true;
    const fetch = fetchTrusting({
      readBundle: async () => {
        if (fail) throw new Error('cannot read SSM parameter /ci/github/ca (AccessDeniedException)');
        return pki.caPem;
      },
      source: 'SSM parameter /ci/github/ca',
    });
    const reaper = runners(fetch);
    await expect(reaper.listRunners(ORG)).rejects.toThrow(/\/ci\/github\/ca \(AccessDeniedException\)/);
    fail = false;
    await expect(reaper.listRunners(ORG)).resolves.toHaveLength(1);
  });

  it('a rotated bundle is read again after its maximum age', async () => {
    let now = 0;
    let text = pki.otherCaPem;
    const fetch = fetchTrusting({ readBundle: async () => text, source: 'the bundle', maxAgeSeconds: 60, now: () => now });
    const reaper = runners(fetch);
    await expect(reaper.listRunners(ORG)).rejects.toThrow();
    text = pki.caPem;
    await expect(reaper.listRunners(ORG)).rejects.toThrow();
    now = 61_000;
    await expect(reaper.listRunners(ORG)).resolves.toHaveLength(1);
  });
});

describe('parsePemBundle', () => {
  it('returns each certificate', () => {
    expect(parsePemBundle(`junk\n${pki.caPem}\n${pki.otherCaPem}`, 'x')).toHaveLength(2);
  });

  it.each([
    ['no certificate', 'hello', /holds no PEM certificate/],
    ['a private key', testPrivateKey(), /holds no PEM certificate/],
    ['a damaged certificate', '-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----', /certificate 1 of 1 is not a valid X.509/],
  ])('refuses %s without quoting it', (_name, text, message) => {
    let error: Error | undefined;
    try {
      parsePemBundle(text, 'SSM parameter /ci/github/ca');
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain('SSM parameter /ci/github/ca');
    expect(error?.message).not.toContain('MII');
  });
});
