/**
 * Every EC2 tag the reaper reads or writes, in one place.
 *
 * The first group is the de-facto scheme of the github-aws-runners Terraform module, so
 * this reaper can run beside its fleets without re-tagging anything. The second group is
 * the job-hook contract: the runner's ACTIONS_RUNNER_HOOK_JOB_STARTED/COMPLETED scripts
 * write these on the instance itself, the only party that knows for sure that a job runs.
 * The third group is the reaper's own memory between runs (the Lambda keeps no state).
 */
export const TAG = {
  // --- github-aws-runners scheme (read) ---
  application: 'ghr:Application',
  environment: 'ghr:environment',
  owner: 'ghr:Owner',
  type: 'ghr:Type',
  githubRunnerId: 'ghr:github_runner_id',
  bypassRemoval: 'ghr:bypass-removal',
  /**
   * github-aws-runners' own orphan mark: its scale-down terminates anything carrying
   * `ghr:orphan=true`. The reaper never writes it (0.2.0 on); it removes it only together
   * with `ghr:orphan-since`, the pair 0.1.0 wrote.
   */
  orphan: 'ghr:orphan',

  // --- job-hook contract (written by the hook scripts on the instance) ---
  /** Present while a job runs: `<run_id>/<job>`. Removed by the job-completed hook. */
  job: 'ghr:job',
  /** ISO-8601 time the last job started. Set by the job-started hook. */
  jobStartedAt: 'ghr:job-started-at',
  /** ISO-8601 time the last job completed. Set by the job-completed hook. */
  lastJobCompletedAt: 'ghr:last-job-completed-at',
  /**
   * Boot marker: `<contract version>`, written by the hook installer only after it has
   * checked that the runner will really call the hook scripts (the effective
   * ACTIONS_RUNNER_HOOK_JOB_STARTED/_COMPLETED of the runner's .env, last line wins). Its
   * presence is what makes the hooks count as evidence for this instance.
   */
  jobHooks: 'ghr:job-hooks',

  // --- reaper memory (written by the reaper) ---
  /** ISO-8601 time the runner was first seen idle in the current idle streak. */
  idleSince: 'ghr:idle-since',
  /**
   * ISO-8601 time the reaper decided to deregister the runner. Written BEFORE the DELETE
   * (write-ahead), so a run that dies between DELETE and terminate leaves a mark that
   * orphan-cleanup finishes safely. Removed again when GitHub refuses the DELETE.
   */
  drainingSince: 'ghr:draining-since',
  /**
   * ISO-8601 time orphan-cleanup first saw the instance running without a registration.
   * Our own key: the github-aws-runners scale-down terminates anything tagged
   * `ghr:orphan=true`, so the reaper never writes that tag (0.2.0 on).
   */
  reaperOrphanSince: 'ghr:reaper-orphan-since',
  /**
   * Written by 0.1.0 (with `ghr:orphan=true`); github-aws-runners never writes it. On sight
   * orphan-cleanup carries its time over to `reaperOrphanSince` and removes both; never written.
   */
  legacyOrphanSince: 'ghr:orphan-since',
  /** @deprecated the same key as `legacyOrphanSince`, kept so older tests compile; the core never writes it. */
  orphanSince: 'ghr:orphan-since',
  /** How many DELETEs of this instance's runner failed (403, 5xx, ...) in a row: the back-off grows with it. */
  deleteFailures: 'ghr:reaper-delete-failures',
  /** ISO-8601 time of the last failed DELETE of this instance's runner. */
  deleteFailedAt: 'ghr:reaper-delete-failed-at',
  /**
   * ISO-8601 time EC2 last refused to terminate this instance (termination protection,
   * IAM): both functions leave it alone until the back-off has passed.
   */
  terminationRefusedAt: 'ghr:reaper-termination-refused-at',
} as const;

/** The job-hook contract version this reaper understands (the value of `ghr:job-hooks`). */
export const HOOKS_CONTRACT_VERSION = '1';

/** The value of `ghr:Application` on runner instances. */
export const RUNNER_APPLICATION = 'github-action-runner';

/** Tag keys the runner instance role may write (and nothing else): the hook contract. */
export const HOOK_TAG_KEYS = [TAG.job, TAG.jobStartedAt, TAG.lastJobCompletedAt, TAG.jobHooks] as const;
