import type { z } from 'zod';
import { envSchema, LIMITS, MINIMUM_RUNNING_TIME_DEFAULTS, type Config } from './schema';

/** Thrown at cold start when the environment is not a valid configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid runner-reaper configuration:\n- ${problems.join('\n- ')}`);
  }
}

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/**
 * The REST API base URL for a GitHub web base URL, with github-aws-runners' meaning of
 * `GHES_URL`: for data residency (`*.ghe.com`) the API is `https://api.<host>`, otherwise
 * (GitHub Enterprise Server) `<url>/api/v3`. Checked against `getGitHubEnterpriseApiUrl`
 * in lambdas/functions/control-plane/src/scale-runners/github-runner.ts, v7.11.0. One
 * difference: trailing slashes are dropped first (that function would give `//api/v3`).
 */
export function apiUrlOfGhesUrl(ghesUrl: string): string {
  const base = ghesUrl.replace(/\/+$/, '');
  const { hostname } = new URL(base);
  if (hostname.endsWith('.ghe.com')) return `https://api.${hostname}`;
  return `${base}/api/v3`;
}

type Parsed = z.output<typeof envSchema>;

/**
 * The problems of one zod run, each naming its variable and never the value: any value may
 * be a secret pasted into the wrong place, and these messages are logged at every cold start.
 */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(environment)');
    const at = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
    if (issue.message.startsWith(`${variable} `)) return `${variable}${at}${issue.message.slice(variable.length)}`;
    return `${variable}${at}: ${issue.message}`;
  });
}

/**
 * ENVIRONMENT or ENVIRONMENTS, exactly one. Judged on presence alone (blank = unset), so it
 * is reported together with every other problem rather than only once the rest is valid.
 */
function environmentProblems(hasOne: boolean, hasSeveral: boolean): string[] {
  if (!hasOne && !hasSeveral) {
    return ['ENVIRONMENT or ENVIRONMENTS is required: ENVIRONMENT is one ghr:environment value, ENVIRONMENTS a JSON array of several'];
  }
  if (hasOne && hasSeveral) {
    return ['ENVIRONMENT and ENVIRONMENTS are both set: set exactly one of them (ENVIRONMENTS for several environments)'];
  }
  return [];
}

const isSet = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

/** The rules that tie several variables together. */
function crossProblems(e: Parsed): string[] {
  const problems = environmentProblems(e.ENVIRONMENT !== undefined, e.ENVIRONMENTS !== undefined);
  if (e.GHES_URL !== undefined) {
    const { hostname } = new URL(e.GHES_URL);
    if (hostname === 'github.com' || hostname === 'api.github.com' || hostname === 'www.github.com') {
      problems.push('GHES_URL is for GitHub Enterprise Server or a *.ghe.com tenant: leave it unset for github.com');
    } else if (e.GITHUB_API_URL !== undefined && apiUrlOfGhesUrl(e.GHES_URL) !== e.GITHUB_API_URL) {
      problems.push(
        'GHES_URL and GITHUB_API_URL are both set and disagree: GHES_URL means the API at <GHES_URL>/api/v3 ' +
          '(https://api.<host> for *.ghe.com); set only one of them',
      );
    }
  }
  if (e.UNREGISTERED_HOLD_MINUTES !== undefined && e.UNREGISTERED_HOLD_MINUTES > e.MAX_JOB_DURATION_MINUTES) {
    problems.push('UNREGISTERED_HOLD_MINUTES must not be more than MAX_JOB_DURATION_MINUTES (unset means equal to it)');
  }
  if (e.PROBE_SETTLE_SECONDS !== undefined && e.PROBE_SETTLE_SECONDS > e.SETTLE_SECONDS) {
    problems.push('PROBE_SETTLE_SECONDS must not be more than SETTLE_SECONDS (the probe only ever shortens the settle)');
  }
  if (e.FUNCTION_TIMEOUT_SECONDS !== undefined) {
    const probeSeconds = e.PROBE_DOCUMENT_NAME !== undefined ? 2 * e.PROBE_TIMEOUT_SECONDS : 0;
    const needed = e.SETTLE_SECONDS + probeSeconds + LIMITS.runMarginSeconds;
    if (e.FUNCTION_TIMEOUT_SECONDS < needed) {
      problems.push(
        `SETTLE_SECONDS is too long for the function's timeout (FUNCTION_TIMEOUT_SECONDS): the timeout must be at least ` +
          `SETTLE_SECONDS${probeSeconds > 0 ? ' + 2 x PROBE_TIMEOUT_SECONDS' : ''} + ${LIMITS.runMarginSeconds} ` +
          `(${needed} s here), or every run defers its reclaims; shorten the settle or raise the timeout`,
      );
    }
  }
  return problems;
}

/**
 * Parse and validate the reaper's environment. Pure: takes the environment as an
 * argument so tests and the plan command can feed any map.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const environment = environmentProblems(isSet(env.ENVIRONMENT), isSet(env.ENVIRONMENTS));
    throw new ConfigError([...problemsOf(parsed.error), ...environment]);
  }
  const e = parsed.data;
  const cross = crossProblems(e);
  if (cross.length > 0) throw new ConfigError(cross);

  const minimumRunningTime = e.MINIMUM_RUNNING_TIME_IN_MINUTES;
  return {
    environments: e.ENVIRONMENTS ?? [e.ENVIRONMENT as string],
    githubApp: {
      appIdParameter: e.PARAMETER_GITHUB_APP_ID_NAME,
      keyBase64Parameter: e.PARAMETER_GITHUB_APP_KEY_BASE64_NAME,
      ...(e.PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME
        ? { installationIdParameter: e.PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME }
        : {}),
    },
    githubApiUrl: e.GITHUB_API_URL ?? (e.GHES_URL ? apiUrlOfGhesUrl(e.GHES_URL) : DEFAULT_GITHUB_API_URL),
    ...(e.PARAMETER_GITHUB_CA_BUNDLE_NAME ? { githubCaBundleParameter: e.PARAMETER_GITHUB_CA_BUNDLE_NAME } : {}),
    githubPointsPerMinute: e.GITHUB_POINTS_PER_MINUTE,
    minimumRunningTimeMinutes:
      minimumRunningTime === undefined
        ? { ...MINIMUM_RUNNING_TIME_DEFAULTS }
        : { linux: minimumRunningTime, windows: minimumRunningTime, macos: minimumRunningTime },
    runnerBootTimeMinutes: e.RUNNER_BOOT_TIME_IN_MINUTES,
    idleConfirmationSeconds: e.IDLE_CONFIRMATION_SECONDS,
    idleConfig: e.IDLE_CONFIG,
    idlePoolScope: e.IDLE_POOL_SCOPE,
    maxJobDurationMinutes: e.MAX_JOB_DURATION_MINUTES,
    unregisteredHold: {
      maxMinutes: e.UNREGISTERED_HOLD_MINUTES ?? e.MAX_JOB_DURATION_MINUTES,
      maxInstances: e.UNREGISTERED_HOLD_MAX_INSTANCES,
    },
    jobEvidence: e.JOB_EVIDENCE,
    ...(e.PROBE_DOCUMENT_NAME
      ? { probe: { documentName: e.PROBE_DOCUMENT_NAME, timeoutSeconds: e.PROBE_TIMEOUT_SECONDS, settleSeconds: e.PROBE_SETTLE_SECONDS ?? Math.min(LIMITS.probeSettleSecondsDefault, e.SETTLE_SECONDS) } }
      : {}),
    settleSeconds: e.SETTLE_SECONDS,
    githubConcurrency: e.GITHUB_CONCURRENCY,
    dryRun: e.DRY_RUN,
  };
}
