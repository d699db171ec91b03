/**
 * The GitHub clients, built one way for both functions and for `runner-reaper plan`: the
 * configured API URL (GITHUB_API_URL or GHES_URL), the App's credentials from SSM,
 * GITHUB_CONCURRENCY, the per-endpoint pacing (GITHUB_POINTS_PER_MINUTE) and, when
 * PARAMETER_GITHUB_CA_BUNDLE_NAME is set, a fetch that trusts that PEM bundle. The plan
 * must reach and pace GitHub exactly as a run does, or it would plan against a GitHub the
 * functions never see (a private CA it cannot verify, a rate limit it meets sooner).
 */
import { GitHubClients } from '../adapters/github-client';
import { CREDENTIAL_MAX_AGE_SECONDS, readSecret, ssmCredentials, type CredentialSource } from '../adapters/github-credentials';
import { fetchTrusting } from '../adapters/github-tls';
import type { Config } from '../config/schema';

export interface GitHubClientsSetup {
  /** Receives the client's warnings (rate limits, deprecations). */
  warn: (message: string) => void;
  /** The App's credentials; default: read from the configured SSM parameters. */
  credentials?: CredentialSource;
}

export function createGitHubClients(config: Config, setup: GitHubClientsSetup): GitHubClients {
  const caBundle = config.githubCaBundleParameter;
  return new GitHubClients({
    baseUrl: config.githubApiUrl,
    credentials: setup.credentials ?? ssmCredentials(config.githubApp),
    concurrency: config.githubConcurrency,
    ...(config.githubPointsPerMinute !== undefined ? { pointsPerMinute: config.githubPointsPerMinute } : {}),
    ...(caBundle
      ? {
          fetch: fetchTrusting({
            readBundle: () => readSecret(caBundle, CREDENTIAL_MAX_AGE_SECONDS),
            source: `SSM parameter ${caBundle}`,
            maxAgeSeconds: CREDENTIAL_MAX_AGE_SECONDS,
          }),
        }
      : {}),
    warn: setup.warn,
  });
}
