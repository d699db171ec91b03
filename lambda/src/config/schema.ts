/**
 * The configuration contract: environment variables, parsed and validated once at cold
 * start. Names match the github-aws-runners module where they overlap, so its users can
 * point this reaper at the same SSM parameters. A bad value stops the handler before any
 * API call, with a message naming the variable and the expected form. Messages never
 * contain the value itself: a private key pasted where its parameter *name* belongs must
 * not end up in a log line (see load.ts).
 *
 * This file checks each variable on its own; the rules that tie several together
 * (ENVIRONMENT or ENVIRONMENTS, GHES_URL against GITHUB_API_URL, the settle against the
 * function's timeout, the hold against the job duration) are in load.ts.
 */
import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import type { RunnerOs } from '../core/types';

/** Treat unset, empty and blank the same: "not set". */
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const wholeNumberText = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be a whole number from ${min} to ${max}`);

/** A whole number within bounds; `fallback` when unset or blank. */
const wholeNumber = (name: string, min: number, max: number, fallback: number) =>
  optionalText.pipe(wholeNumberText(name, min, max).optional().transform((value) => value ?? fallback));

/** A whole number within bounds, or undefined when unset or blank. */
const optionalWholeNumber = (name: string, min: number, max: number) =>
  optionalText.pipe(wholeNumberText(name, min, max).optional());

const bool = (name: string, fallback: boolean) =>
  optionalText.pipe(
    z
      .enum(['true', 'false'], { message: `${name} must be "true" or "false"` })
      .optional()
      .transform((value) => (value === undefined ? fallback : value === 'true')),
  );

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
 * matches the current minute (in `timeZone`), keep `idleCount` idle runners per owner
 * (or per environment, IDLE_POOL_SCOPE). `cron` may have 5 fields or 6 (with seconds
 * first, as that module writes it).
 */
export const idleWindowSchema = z
  .object({
    cron: z.string({ message: 'cron must be a string' }).min(1, 'cron must not be empty'),
    timeZone: z
      .string({ message: 'timeZone must be a string' })
      .refine(isValidTimeZone, 'timeZone must be an IANA time zone such as "Europe/Amsterdam"')
      .default('UTC'),
    idleCount: z
      .number({ message: 'idleCount must be a whole number from 0 to 1000' })
      .int('idleCount must be a whole number from 0 to 1000')
      .min(0, 'idleCount must be a whole number from 0 to 1000')
      .max(1000, 'idleCount must be a whole number from 0 to 1000'),
    evictionStrategy: z
      .enum(['newest_first', 'oldest_first'], { message: 'evictionStrategy must be "oldest_first" or "newest_first"' })
      .default('oldest_first'),
  })
  .refine((w) => isValidCron(w.cron, w.timeZone), {
    message: 'cron must be a cron expression of 5 or 6 fields, e.g. "* * 9-17 * * 1-5"',
    path: ['cron'],
  });

export type IdleWindow = z.infer<typeof idleWindowSchema>;

/** A JSON value in a variable; the parser's own message is never shown (it quotes the input). */
const json = (name: string, expected: string) =>
  optionalText.transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${name} must be JSON: ${expected}` });
      return z.NEVER;
    }
  });

const idleConfig = json('IDLE_CONFIG', 'an array of windows').pipe(
  z
    .array(idleWindowSchema, { message: 'IDLE_CONFIG must be a JSON array of windows' })
    .optional()
    .transform((v) => v ?? []),
);

/**
 * A `ghr:environment` value: EC2 tag values are up to 256 characters; control characters
 * would only be a paste mistake.
 */
const environmentValue = (message: string) =>
  z
    .string({ message })
    .min(1, message)
    .max(256, message)
    .refine((v) => v.trim() === v && !/[\u0000-\u001f]/.test(v), message);

const ENVIRONMENTS_FORM = 'a JSON array of 1 to 200 distinct ghr:environment values, e.g. ["gh-ci-linux","gh-ci-arm64"]';

/** EC2 accepts at most 200 values in one DescribeInstances filter (the adapter sends one). */
export const MAX_ENVIRONMENTS = 200;

const environments = json('ENVIRONMENTS', ENVIRONMENTS_FORM).pipe(
  z
    .array(environmentValue(`ENVIRONMENTS must be ${ENVIRONMENTS_FORM}`), { message: `ENVIRONMENTS must be ${ENVIRONMENTS_FORM}` })
    .min(1, `ENVIRONMENTS must be ${ENVIRONMENTS_FORM}`)
    .max(MAX_ENVIRONMENTS, `ENVIRONMENTS must be ${ENVIRONMENTS_FORM}`)
    .refine((list) => new Set(list).size === list.length, 'ENVIRONMENTS must not name an environment twice')
    .optional(),
);

const environment = optionalText.pipe(
  environmentValue('ENVIRONMENT must be one ghr:environment value (at most 256 characters)').optional(),
);

const SSM_NAME = /^[a-zA-Z0-9_.\-/]{1,2048}$/;

const ssmName = (name: string, example: string) =>
  z
    .string({ message: `${name} is required: the name of an SSM parameter such as "${example}"` })
    .trim()
    .min(1, `${name} is required: the name of an SSM parameter such as "${example}"`)
    .regex(SSM_NAME, `${name} must be the name of an SSM parameter such as "${example}" (letters, digits, _ . - /)`);

const optionalSsmName = (name: string, example: string) =>
  optionalText.pipe(
    z
      .string()
      .regex(SSM_NAME, `${name} must be the name of an SSM parameter such as "${example}" (letters, digits, _ . - /)`)
      .optional(),
  );

/** An http(s) URL without credentials in it; trailing slashes dropped. */
const url = (name: string, example: string) =>
  optionalText.pipe(
    z
      .string()
      .superRefine((value, ctx) => {
        let parsed: URL;
        try {
          parsed = new URL(value);
        } catch {
          ctx.addIssue({ code: 'custom', message: `${name} must be an http(s) URL such as "${example}"` });
          return;
        }
        if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
          ctx.addIssue({ code: 'custom', message: `${name} must start with https:// (or http://), such as "${example}"` });
        }
        if (parsed.username !== '' || parsed.password !== '') {
          ctx.addIssue({ code: 'custom', message: `${name} must not contain a user name or password: credentials come from the GitHub App` });
        }
        if (parsed.search !== '' || parsed.hash !== '') {
          ctx.addIssue({ code: 'custom', message: `${name} must not have a query or fragment, such as "${example}"` });
        }
      })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
  );

/** SendCommand's DocumentName: a name, or the ARN of a shared document. */
const ssmDocumentName = optionalText.pipe(
  z
    .string()
    .regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/, 'PROBE_DOCUMENT_NAME must be the name of an SSM document (3 to 128 of letters, digits, _ - . : /)')
    .optional(),
);

/** Bounds and defaults that more than one module needs (the Terraform variables mirror them). */
export const LIMITS = {
  /** Below this the settle cannot cover even the fastest job-started hook (1-3 s). */
  settleSecondsMin: 2,
  settleSecondsMax: 600,
  settleSecondsDefault: 15,
  /**
   * The settle where the probe answers for the machine: its Worker process exists from the
   * job's first second (the Listener starts it one lock renewal, an HTTP round trip, after
   * the job's message), so this covers that round trip, not the job's set-up.
   */
  probeSettleSecondsMin: 1,
  /** Unset: this, or SETTLE_SECONDS where that is shorter. */
  probeSettleSecondsDefault: 3,
  /**
   * A longest job under 30 minutes is almost always a unit mistake (hours typed as minutes:
   * 1 to 24), and it would end real CI jobs: without machine evidence an unregistered
   * instance is terminated once this has passed.
   */
  maxJobDurationMinutesMin: 30,
  /** 35 days: longer than GitHub's own job limit on self-hosted runners (5 days). */
  maxJobDurationMinutesMax: 60 * 24 * 35,
  maxJobDurationMinutesDefault: 360,
  probeTimeoutSecondsMin: 2,
  probeTimeoutSecondsMax: 120,
  probeTimeoutSecondsDefault: 10,
  /** Lambda's longest timeout. */
  functionTimeoutSecondsMax: 900,
  /**
   * A function's timeout must leave this much beside the settle (and the probe rounds):
   * the GitHub and EC2 calls around the pause. The Terraform timeout variables use the
   * same rule.
   */
  runMarginSeconds: 60,
  githubPointsPerMinuteDefault: 900,
} as const;

/**
 * github-aws-runners' default minimum running time per OS: `min_runtime_defaults` in
 * modules/runners/scale-down.tf, v7.11.0 (`windows` 15, `linux` 5, `osx` 20), used when
 * its `minimum_running_time_in_minutes` is null (the default, variables.tf).
 */
export const MINIMUM_RUNNING_TIME_DEFAULTS: Readonly<Record<RunnerOs, number>> = { linux: 5, windows: 15, macos: 20 };

export const envSchema = z.object({
  ENVIRONMENT: environment,
  ENVIRONMENTS: environments,
  PARAMETER_GITHUB_APP_ID_NAME: ssmName('PARAMETER_GITHUB_APP_ID_NAME', '/github-action-runners/gh-ci/app/github_app_id'),
  PARAMETER_GITHUB_APP_KEY_BASE64_NAME: ssmName(
    'PARAMETER_GITHUB_APP_KEY_BASE64_NAME',
    '/github-action-runners/gh-ci/app/github_app_key_base64',
  ),
  PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: optionalSsmName('PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME', '/gh-ci/app/installation_id'),
  PARAMETER_GITHUB_CA_BUNDLE_NAME: optionalSsmName('PARAMETER_GITHUB_CA_BUNDLE_NAME', '/gh-ci/github/ca-bundle'),
  GITHUB_API_URL: url('GITHUB_API_URL', 'https://api.github.com'),
  GHES_URL: url('GHES_URL', 'https://github.example.com'),
  MINIMUM_RUNNING_TIME_IN_MINUTES: optionalWholeNumber('MINIMUM_RUNNING_TIME_IN_MINUTES', 0, 10_080),
  RUNNER_BOOT_TIME_IN_MINUTES: wholeNumber('RUNNER_BOOT_TIME_IN_MINUTES', 0, 1440, 5),
  IDLE_CONFIRMATION_SECONDS: wholeNumber('IDLE_CONFIRMATION_SECONDS', 0, 86_400, 60),
  IDLE_CONFIG: idleConfig,
  IDLE_POOL_SCOPE: optionalText.pipe(
    z
      .enum(['owner', 'environment'], { message: 'IDLE_POOL_SCOPE must be "owner" or "environment"' })
      .optional()
      .transform((v) => v ?? 'owner'),
  ),
  MAX_JOB_DURATION_MINUTES: wholeNumber(
    'MAX_JOB_DURATION_MINUTES',
    LIMITS.maxJobDurationMinutesMin,
    LIMITS.maxJobDurationMinutesMax,
    LIMITS.maxJobDurationMinutesDefault,
  ),
  UNREGISTERED_HOLD_MINUTES: optionalWholeNumber('UNREGISTERED_HOLD_MINUTES', 1, LIMITS.maxJobDurationMinutesMax),
  UNREGISTERED_HOLD_MAX_INSTANCES: wholeNumber('UNREGISTERED_HOLD_MAX_INSTANCES', 0, 100_000, 0),
  JOB_EVIDENCE: optionalText.pipe(
    z
      .enum(['auto', 'hooks', 'off'], { message: 'JOB_EVIDENCE must be "auto", "hooks" or "off"' })
      .optional()
      .transform((v) => v ?? 'auto'),
  ),
  PROBE_DOCUMENT_NAME: ssmDocumentName,
  PROBE_TIMEOUT_SECONDS: wholeNumber(
    'PROBE_TIMEOUT_SECONDS',
    LIMITS.probeTimeoutSecondsMin,
    LIMITS.probeTimeoutSecondsMax,
    LIMITS.probeTimeoutSecondsDefault,
  ),
  SETTLE_SECONDS: wholeNumber('SETTLE_SECONDS', LIMITS.settleSecondsMin, LIMITS.settleSecondsMax, LIMITS.settleSecondsDefault),
  PROBE_SETTLE_SECONDS: optionalWholeNumber('PROBE_SETTLE_SECONDS', LIMITS.probeSettleSecondsMin, LIMITS.settleSecondsMax),
  FUNCTION_TIMEOUT_SECONDS: optionalWholeNumber('FUNCTION_TIMEOUT_SECONDS', 1, LIMITS.functionTimeoutSecondsMax),
  GITHUB_CONCURRENCY: wholeNumber('GITHUB_CONCURRENCY', 1, 100, 10),
  GITHUB_POINTS_PER_MINUTE: wholeNumber('GITHUB_POINTS_PER_MINUTE', 60, 1_000_000, LIMITS.githubPointsPerMinuteDefault),
  DRY_RUN: bool('DRY_RUN', false),
});

export type Env = z.input<typeof envSchema>;

/** The variables the reaper reads, in the order the README lists them. */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];

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
  /**
   * SSM parameter holding a PEM bundle of CA certificates to trust for GitHub, in addition
   * to the public roots (GitHub Enterprise Server behind a private CA). Unset: public roots only.
   */
  githubCaBundleParameter?: string;
  /**
   * GitHub's secondary rate limit per endpoint, in points a minute (GET 1, DELETE 5); the
   * client paces reads and writes below it. Unset: 900 (github.com).
   */
  githubPointsPerMinute?: number;
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
    /**
     * The settle of an instance whose probe answered right before its DELETE (at most
     * settleSeconds); should the probe not answer after it, the instance waits out the full
     * settle before it is judged without the probe. Unset: the full settle (the loader always sets it).
     */
    settleSeconds?: number;
  };
  /** Pause between deregistration and re-check, per window of DELETEs (the probe's own where it answers: probe.settleSeconds). */
  settleSeconds: number;
  githubConcurrency: number;
  dryRun: boolean;
}
