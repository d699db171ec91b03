import { envSchema, type Config } from './schema';

/** Thrown at cold start when the environment is not a valid configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid runner-reaper configuration:\n- ${problems.join('\n- ')}`);
  }
}

/** Secrets never reach a log line, even inside a validation message. */
const SHOWN_VALUE_LIMIT = 200;

function show(value: unknown): string {
  if (value === undefined) return '(not set)';
  const text = String(value);
  return JSON.stringify(text.length > SHOWN_VALUE_LIMIT ? `${text.slice(0, SHOWN_VALUE_LIMIT)}…` : text);
}

/**
 * Parse and validate the reaper's environment. Pure: takes the environment as an
 * argument so tests and the explain tool can feed any map.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      const detail = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
      return `${variable}=${show(env[variable])}${detail}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  return {
    environments: [e.ENVIRONMENT],
    githubApp: {
      appIdParameter: e.PARAMETER_GITHUB_APP_ID_NAME,
      keyBase64Parameter: e.PARAMETER_GITHUB_APP_KEY_BASE64_NAME,
      ...(e.PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME
        ? { installationIdParameter: e.PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME }
        : {}),
    },
    githubApiUrl: e.GITHUB_API_URL,
    minimumRunningTimeMinutes: {
      linux: e.MINIMUM_RUNNING_TIME_IN_MINUTES,
      windows: e.MINIMUM_RUNNING_TIME_IN_MINUTES,
      macos: e.MINIMUM_RUNNING_TIME_IN_MINUTES,
    },
    runnerBootTimeMinutes: e.RUNNER_BOOT_TIME_IN_MINUTES,
    idleConfirmationSeconds: e.IDLE_CONFIRMATION_SECONDS,
    idleConfig: e.IDLE_CONFIG,
    idlePoolScope: 'owner',
    maxJobDurationMinutes: e.MAX_JOB_DURATION_MINUTES,
    unregisteredHold: { maxMinutes: e.MAX_JOB_DURATION_MINUTES, maxInstances: 0 },
    jobEvidence: e.JOB_EVIDENCE,
    settleSeconds: e.SETTLE_SECONDS,
    githubConcurrency: e.GITHUB_CONCURRENCY,
    dryRun: e.DRY_RUN,
    ...(e.GITHUB_POINTS_PER_MINUTE !== undefined ? { githubPointsPerMinute: e.GITHUB_POINTS_PER_MINUTE } : {}),
  };
}
