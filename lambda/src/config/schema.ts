/**
 * The configuration contract: environment variables, parsed and validated once at cold
 * start. Names match the github-aws-runners module where they overlap, so its users can
 * point this reaper at the same SSM parameters. A bad value stops the handler before any
 * API call, with a message naming the variable, the value and the expected form.
 */
import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import type { RunnerOs } from '../core/types';

const nonNegativeInt = (name: string, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number of 0 or more`)
    .transform(Number)
    .optional()
    .transform((value) => value ?? fallback);

const positiveInt = (name: string, fallback: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number from 1 to ${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `${name} must be a whole number from 1 to ${max}`)
    .optional()
    .transform((value) => value ?? fallback);

const bool = (name: string, fallback: boolean) =>
  z
    .enum(['true', 'false'], { message: `${name} must be "true" or "false"` })
    .optional()
    .transform((value) => (value === undefined ? fallback : value === 'true'));

function isValidCron(expression: string, timeZone: string | undefined): boolean {
  try {
    CronExpressionParser.parse(expression, timeZone ? { tz: timeZone } : {});
    return true;
  } catch {
    return false;
  }
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * One idle-pool window, in the github-aws-runners `idle_config` shape: while `cron`
 * matches the current minute (in `timeZone`), keep `idleCount` idle runners per owner.
 * `cron` may have 5 fields or 6 (with seconds first, as that module writes it).
 */
export const idleWindowSchema = z
  .object({
    cron: z.string().min(1),
    timeZone: z
      .string()
      .refine(isValidTimeZone, 'timeZone must be an IANA time zone such as "Europe/Amsterdam"')
      .default('UTC'),
    idleCount: z.number().int().min(0).max(1000),
    evictionStrategy: z.enum(['newest_first', 'oldest_first']).default('oldest_first'),
  })
  .refine((w) => isValidCron(w.cron, w.timeZone), {
    message: 'cron must be a cron expression of 5 or 6 fields, e.g. "* * 9-17 * * 1-5"',
    path: ['cron'],
  });

export type IdleWindow = z.infer<typeof idleWindowSchema>;

const idleConfig = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === '') return [] as unknown[];
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'IDLE_CONFIG must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(idleWindowSchema, { message: 'IDLE_CONFIG must be a JSON array of windows' }));

const ssmName = (name: string) =>
  z
    .string({ message: `${name} is required: the name of an SSM parameter` })
    .trim()
    .regex(/^[a-zA-Z0-9_.\-/]{1,2048}$/, `${name} must be an SSM parameter name such as "/gh-ci/app/id"`);

export const envSchema = z.object({
  ENVIRONMENT: z
    .string({ message: 'ENVIRONMENT is required: the ghr:environment tag value this reaper owns' })
    .trim()
    .min(1, 'ENVIRONMENT must not be empty'),
  PARAMETER_GITHUB_APP_ID_NAME: ssmName('PARAMETER_GITHUB_APP_ID_NAME'),
  PARAMETER_GITHUB_APP_KEY_BASE64_NAME: ssmName('PARAMETER_GITHUB_APP_KEY_BASE64_NAME'),
  PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(ssmName('PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME').optional()),
  GITHUB_API_URL: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'https://api.github.com' : v.trim()))
    .pipe(
      z
        .string()
        .url('GITHUB_API_URL must be an http(s) URL such as "https://api.github.com"')
        .refine((u) => /^https?:\/\//.test(u), 'GITHUB_API_URL must start with http:// or https://')
        .transform((u) => u.replace(/\/+$/, '')),
    ),
  MINIMUM_RUNNING_TIME_IN_MINUTES: nonNegativeInt('MINIMUM_RUNNING_TIME_IN_MINUTES', 5),
  RUNNER_BOOT_TIME_IN_MINUTES: nonNegativeInt('RUNNER_BOOT_TIME_IN_MINUTES', 5),
  IDLE_CONFIRMATION_SECONDS: nonNegativeInt('IDLE_CONFIRMATION_SECONDS', 60),
  IDLE_CONFIG: idleConfig,
  MAX_JOB_DURATION_MINUTES: positiveInt('MAX_JOB_DURATION_MINUTES', 360, 60 * 24 * 35),
  JOB_EVIDENCE: z
    .enum(['auto', 'hooks', 'off'], { message: 'JOB_EVIDENCE must be "auto", "hooks" or "off"' })
    .optional()
    .transform((v) => v ?? 'off'),
  SETTLE_SECONDS: nonNegativeInt('SETTLE_SECONDS', 15),
  GITHUB_CONCURRENCY: positiveInt('GITHUB_CONCURRENCY', 10, 100),
  DRY_RUN: bool('DRY_RUN', false),
  /**
   * GitHub's secondary limit, points per minute per endpoint (github.com: 900; a GitHub
   * Enterprise Server admin may set another). The client spaces DELETEs (5 points each) to
   * stay under it. The bench scales it together with the twin's limit.
   */
  GITHUB_POINTS_PER_MINUTE: z
    .string()
    .trim()
    .regex(/^\d+$/, 'GITHUB_POINTS_PER_MINUTE must be a whole number from 1 to 1000000')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1_000_000, 'GITHUB_POINTS_PER_MINUTE must be a whole number from 1 to 1000000')
    .optional(),
});

export type Env = z.input<typeof envSchema>;

/** The validated configuration every module receives. */
export interface Config {
  /** The `ghr:environment` values this deployment owns (one or more; ENVIRONMENT or ENVIRONMENTS). */
  environments: readonly string[];
  githubApp: {
    appIdParameter: string;
    keyBase64Parameter: string;
    installationIdParameter?: string;
  };
  githubApiUrl: string;
  /** Never reclaim an instance younger than this, per runner OS (github-aws-runners: 5 / 15 / 20). */
  minimumRunningTimeMinutes: Readonly<Record<RunnerOs, number>>;
  runnerBootTimeMinutes: number;
  idleConfirmationSeconds: number;
  idleConfig: IdleWindow[];
  /** Whether an idle pool is kept per GitHub owner or per environment (github-aws-runners keeps one per environment). */
  idlePoolScope: 'owner' | 'environment';
  maxJobDurationMinutes: number;
  /**
   * Instances the reaper keeps running without a GitHub registration and without machine
   * evidence (drained but kept, vanished, orphans): how long at most (`maxMinutes`, at most
   * maxJobDurationMinutes) and how many at once (`maxInstances`, 0 = no limit). Issue 9,
   * point 7; the core decides what happens at each bound.
   */
  unregisteredHold: { maxMinutes: number; maxInstances: number };
  /**
   * Which machine evidence to trust, per instance (docs/design.md, "Machine evidence"):
   * `auto`: hook tags where the `ghr:job-hooks` marker is present, else the SSM probe where
   * the instance is online in SSM, else conservative; `hooks`: hook tags only where the
   * marker is present, else conservative; `off`: conservative everywhere.
   */
  jobEvidence: 'auto' | 'hooks' | 'off';
  /** The SSM probe; undefined when it is turned off. */
  probe?: {
    /** Name of the SSM document the module creates. */
    documentName: string;
    /** Deadline for all answers of one probe round. */
    timeoutSeconds: number;
  };
  /** Pause between deregistration and re-check, once per batch. */
  settleSeconds: number;
  githubConcurrency: number;
  dryRun: boolean;
  /** GITHUB_POINTS_PER_MINUTE; undefined = github.com's 900. */
  githubPointsPerMinute?: number;
}
