/** Shared setup for the twin tests: a started twin and Octokit clients pointed at it. */
import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import { GitHubTwin, type GitHubTwinOptions } from '../../twin';

/** Octokit logs every failed request; the tests provoke many on purpose. */
export const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export async function startTwin(opts: GitHubTwinOptions = {}): Promise<GitHubTwin> {
  const twin = new GitHubTwin(opts);
  await twin.start();
  return twin;
}

/** Octokit with an installation token for `account` (installs the app if needed). */
export function tokenOctokit(twin: GitHubTwin, account = 'my-org'): Octokit {
  const { token } = twin.issueInstallationToken(twin.install(account));
  return new Octokit({ baseUrl: twin.url, auth: token, log: quietLog, request: { retries: 0 } });
}

/** Octokit authenticating the way the Lambda does: App id + private key -> installation token. */
export function appOctokit(twin: GitHubTwin, installationId: number): Octokit {
  return new Octokit({
    baseUrl: twin.url,
    authStrategy: createAppAuth,
    auth: { appId: twin.appId, privateKey: twin.privateKeyPem, installationId },
    log: quietLog,
  });
}

/** Registers `count` runners for an org (or `owner/repo` with type Repo), polled once so they are online. */
export function registerRunners(
  twin: GitHubTwin,
  count: number,
  owner: { type: 'Org' | 'Repo'; owner: string } = { type: 'Org', owner: 'my-org' },
  opts: { ephemeral?: boolean; labels?: string[]; prefix?: string } = {},
) {
  const d = twin.dispatcher;
  const { token } = d.createRegistrationToken(owner);
  return Array.from({ length: count }, (_, i) => {
    const r = d.registerRunner({
      token,
      name: `${opts.prefix ?? 'runner'}-${i + 1}`,
      labels: opts.labels ?? [],
      ephemeral: !!opts.ephemeral,
    });
    d.poll(r.id);
    return r;
  });
}

/** The HTTP status of a rejected Octokit call (or 'ok'). */
export async function statusOf(p: Promise<{ status: number }>): Promise<number> {
  try {
    return (await p).status;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (typeof status !== 'number') throw err;
    return status;
  }
}
