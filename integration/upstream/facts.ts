/**
 * What the github-aws-runners module (github-aws-runners/terraform-aws-github-runner)
 * does that a reaper beside it depends on: names, tags, paths, defaults. Written by us from
 * reading its source at UPSTREAM_VERSION; each fact names the file it was read in. None of
 * that module's code is used or copied.
 *
 * This is the one TypeScript model of those facts: the upstream-shaped world
 * (integration/upstream), the compatibility tests and the Terraform stub of that module's
 * outputs (test/terraform/fixtures/upstream-stub, checked against this file) agree through it.
 */
import { createHash } from 'node:crypto';

export const UPSTREAM_REPOSITORY = 'github-aws-runners/terraform-aws-github-runner';
export const UPSTREAM_VERSION = 'v7.11.0';

/** Runner OS values of its `runner_os` input (variables.tf). */
export type UpstreamRunnerOs = 'linux' | 'windows' | 'osx';

/** Which of its two entry points built the fleet. */
export type UpstreamLayout = 'root' | 'multi-runner';

/**
 * `ghr:environment` of the instances. Root module: its `prefix` (main.tf, `local.tags`).
 * multi-runner: `<prefix>-<runner type key>` (modules/multi-runner/runners.tf, `tags` of
 * `module "runners"`).
 */
export function environmentOf(prefix: string, runnerKey?: string): string {
  return runnerKey === undefined ? prefix : `${prefix}-${runnerKey}`;
}

/** Its `ssm_paths` input (variables.tf; modules/multi-runner/variables.tf has no `use_prefix`). */
export interface SsmPaths {
  root: string;
  app: string;
  runners: string;
  usePrefix: boolean;
}

export const DEFAULT_SSM_PATHS: SsmPaths = { root: 'github-action-runners', app: 'app', runners: 'runners', usePrefix: true };

/**
 * The SSM root of one deployment: `/<root>/<prefix>`, or `/<root>` when the root module's
 * `ssm_paths.use_prefix` is false (main.tf `local.ssm_root_path`). multi-runner always
 * uses `/<root>/<prefix>` (modules/multi-runner/main.tf `local.ssm_root_path`).
 */
export function ssmRootPath(layout: UpstreamLayout, prefix: string, paths: Partial<SsmPaths> = {}): string {
  const p = { ...DEFAULT_SSM_PATHS, ...paths };
  return layout === 'root' && !p.usePrefix ? `/${p.root}` : `/${p.root}/${prefix}`;
}

export interface AppParameterNames {
  id: string;
  keyBase64: string;
  webhookSecret: string;
}

/**
 * The GitHub App parameters it creates (SecureString, encrypted with its `kms_key_arn` or
 * `alias/aws/ssm`): `<ssm root>/<app>/github_app_id`, `.../github_app_key_base64`,
 * `.../github_app_webhook_secret` (modules/ssm/ssm.tf, path_prefix from main.tf and
 * modules/multi-runner/ssm.tf). They are shared by every runner type of a multi-runner
 * deployment. Its `ssm_parameters` output gives them as `id`, `key_base64`, `webhook_secret`
 * (outputs.tf, modules/multi-runner/outputs.tf): read them from there, not from this formula.
 */
export function appParameterNames(layout: UpstreamLayout, prefix: string, paths: Partial<SsmPaths> = {}): AppParameterNames {
  const p = { ...DEFAULT_SSM_PATHS, ...paths };
  const base = `${ssmRootPath(layout, prefix, p)}/${p.app}`;
  return { id: `${base}/github_app_id`, keyBase64: `${base}/github_app_key_base64`, webhookSecret: `${base}/github_app_webhook_secret` };
}

/**
 * `ghr:ssm_config_path` of a runner type's instances: `<ssm root>/runners/config`, with the
 * type's key inserted for multi-runner (modules/runners/main.tf `local.tags`;
 * modules/multi-runner/runners.tf `ssm_paths.root = <ssm root>/<key>`). No leading slash
 * is added: the value is the concatenation as written there.
 */
export function ssmConfigPath(layout: UpstreamLayout, prefix: string, runnerKey?: string, paths: Partial<SsmPaths> = {}): string {
  const p = { ...DEFAULT_SSM_PATHS, ...paths };
  const root = ssmRootPath(layout, prefix, p);
  return layout === 'multi-runner' ? `${root}/${runnerKey}/${p.runners}/config` : `${root}/${p.runners}/config`;
}

/**
 * Name of a runner type's instance role: `<first 54 chars of "<prefix>-runner">-<first 8
 * hex of md5("<prefix>-runner")>`, where prefix is `<prefix>-<key>` for multi-runner
 * (modules/runners/policies-runner.tf, `aws_iam_role.runner`). It is a count-0-or-1
 * resource, so the `role_runner` output is a LIST of role objects (empty when
 * `iam_overrides.override_runner_role` is set).
 */
export function runnerRoleName(typePrefix: string): string {
  const base = `${typePrefix}-runner`;
  const digest = createHash('md5').update(base).digest('hex');
  return `${base.slice(0, 54)}-${digest.slice(0, 8)}`;
}

/** Its scale-down function and schedule rule (modules/runners/scale-down.tf). */
export function scaleDownNames(typePrefix: string): { functionName: string; ruleName: string } {
  return { functionName: `${typePrefix}-scale-down`, ruleName: `${typePrefix}-scale-down-rule` };
}

/** `scale_down_schedule_expression` default, root and per multi-runner type (variables.tf, modules/multi-runner/variables.tf). */
export const DEFAULT_SCALE_DOWN_SCHEDULE = 'cron(*/5 * * * ? *)';

/** `runners_scale_down_lambda_timeout` default in seconds: the longest one of its scale-down runs lasts. */
export const DEFAULT_SCALE_DOWN_TIMEOUT_SECONDS = 60;

/**
 * MINIMUM_RUNNING_TIME_IN_MINUTES of its scale-down when `minimum_running_time_in_minutes`
 * is null: per `runner_os` (modules/runners/scale-down.tf `local.min_runtime_defaults`).
 */
export const MINIMUM_RUNNING_TIME_DEFAULTS: Readonly<Record<UpstreamRunnerOs, number>> = { linux: 5, windows: 15, osx: 20 };

/** `runner_boot_time_in_minutes` default (variables.tf). */
export const DEFAULT_RUNNER_BOOT_TIME_MINUTES = 5;

/** `Name` of its instances: `<prefix>-action-runner` (modules/runners/main.tf `local.tags`, unless `overrides.name_runner`). */
export function instanceName(typePrefix: string): string {
  return `${typePrefix}-action-runner`;
}

/** Runner name registered with GitHub: `<runner_name_prefix><instance id>` (modules/runners/templates/start-runner.sh, config.sh --name). */
export function runnerName(runnerNamePrefix: string, instanceId: string): string {
  return `${runnerNamePrefix}${instanceId}`;
}

/** Values of `ghr:created_by` (lambdas/libs/compute-providers/core/index.ts `LambdaRunnerSource`). */
export type CreatedBy = 'scale-up-lambda' | 'pool-lambda';

/**
 * Tags from its launch template (modules/runners/main.tf `tag_specifications` of
 * `aws_launch_template.runner`): Name, ghr:ssm_config_path, ghr:environment (via `tags`),
 * ghr:runner_name_prefix, plus the team's `runner_ec2_tags`.
 */
export function launchTemplateTags(args: {
  layout: UpstreamLayout;
  prefix: string;
  runnerKey?: string;
  runnerNamePrefix?: string;
  runnerEc2Tags?: Record<string, string>;
  ssmPaths?: Partial<SsmPaths>;
}): Record<string, string> {
  const typePrefix = args.layout === 'multi-runner' ? `${args.prefix}-${args.runnerKey}` : args.prefix;
  return {
    Name: instanceName(typePrefix),
    'ghr:ssm_config_path': ssmConfigPath(args.layout, args.prefix, args.runnerKey, args.ssmPaths),
    'ghr:environment': environmentOf(args.prefix, args.layout === 'multi-runner' ? args.runnerKey : undefined),
    'ghr:runner_name_prefix': args.runnerNamePrefix ?? '',
    ...(args.runnerEc2Tags ?? {}),
  };
}

/**
 * Tags its scale-up (or pool) adds in CreateFleet (lambdas/libs/compute-providers/aws/ec2/
 * src/control-plane/runners.ts `createInstances`): ghr:Application, ghr:created_by,
 * ghr:Type (Org|Repo), ghr:Owner (`<org>` or `<owner>/<repo>`).
 */
export function scaleUpTags(args: { type: 'Org' | 'Repo'; owner: string; createdBy?: CreatedBy }): Record<string, string> {
  return {
    'ghr:Application': 'github-action-runner',
    'ghr:created_by': args.createdBy ?? 'scale-up-lambda',
    'ghr:Type': args.type,
    'ghr:Owner': args.owner,
  };
}

/** EC2 tag values hold at most 256 characters; it splits labels over at most 5 keys. */
const RUNNER_LABELS_CHUNK = 256;
const RUNNER_LABELS_MAX_KEYS = 5;

/**
 * Tags written for a JIT runner once its JIT config exists: ghr:github_runner_id and the
 * labels, comma-joined, in 256-character chunks under `ghr:runner_labels`,
 * `ghr:runner_labels:2`, ... (at most 5) (lambdas/libs/compute-providers/aws/ec2/src/
 * control-plane/runner-config.ts `tagEc2RunnerMetadata`, since v7.9.0). A non-JIT runner
 * gets only ghr:github_runner_id, from the boot script after config.sh (start-runner.sh
 * `tag_instance_with_runner_id`, since v6.7.0).
 */
export function runnerMetadataTags(githubRunnerId: number, labels: readonly string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = { 'ghr:github_runner_id': String(githubRunnerId) };
  if (!labels || labels.length === 0) return tags;
  const joined = Array.from(labels.join(','));
  for (let i = 0, n = 0; i < joined.length && n < RUNNER_LABELS_MAX_KEYS; i += RUNNER_LABELS_CHUNK, n++) {
    tags[n === 0 ? 'ghr:runner_labels' : `ghr:runner_labels:${n + 1}`] = joined.slice(i, i + RUNNER_LABELS_CHUNK).join('');
  }
  return tags;
}

/**
 * Its scale-down's API URL for `ghes_url` (GHES_URL): `https://api.<host>` for a
 * `*.ghe.com` (data residency) host, else `<ghes_url>/api/v3`; public GitHub when unset
 * (lambdas/functions/control-plane/src/scale-runners/github-runner.ts
 * `getGitHubEnterpriseApiUrl`).
 */
export function ghesApiUrl(ghesUrl: string | undefined): string | undefined {
  if (!ghesUrl) return undefined;
  const host = new URL(ghesUrl).hostname;
  return host.endsWith('.ghe.com') ? `https://api.${host}` : `${ghesUrl}/api/v3`;
}

/**
 * Where its Linux and macOS user data put the hook scripts it is given, and the file it
 * appends their ACTIONS_RUNNER_HOOK_JOB_* lines to, after `userdata_post_install`
 * (modules/runners/templates/user-data.sh, user-data-osx.sh; its Windows user-data.ps1 has
 * no hook block).
 */
export const RUNNER_DIR = '/opt/actions-runner';
export const HOOK_PATHS = {
  jobStarted: `${RUNNER_DIR}/hook_job_started.sh`,
  jobCompleted: `${RUNNER_DIR}/hook_job_completed.sh`,
  envFile: `${RUNNER_DIR}/.env`,
} as const;

/** Tag its scale-down writes on an instance without a registration, and terminates on its next run (lambdas/libs/compute-providers/aws/ec2/src/control-plane/scale-down.ts, scale-runners/scale-down.ts). */
export const ORPHAN_TAG = 'ghr:orphan';
