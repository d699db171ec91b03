/**
 * The vocabulary of the pure decision core. Nothing here does I/O: adapters build these
 * values from EC2 and GitHub answers, the core turns them into decisions, executors act.
 */
import type { Config } from '../config/schema';

/** An org (`ghr:Type=Org`, owner `my-org`) or a repository (`Repo`, owner `my-org/my-repo`). */
export interface OwnerRef {
  type: 'Org' | 'Repo';
  /** `org` or `owner/repo`, exactly as in the `ghr:Owner` tag. */
  owner: string;
}

/** Stable map key for an owner: `Org:my-org` or `Repo:my-org/my-repo`. */
export type OwnerKey = string;

export function ownerKey(ref: OwnerRef): OwnerKey {
  return `${ref.type}:${ref.owner}`;
}

/** The operating system family of a runner (minimum running times differ per OS). */
export type RunnerOs = 'linux' | 'windows' | 'macos';

/** A runner instance as read from EC2 (states pending and running only). */
export interface InstanceView {
  id: string;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
  launchTime: Date;
  /** All tags of the instance, key -> value. */
  tags: Readonly<Record<string, string>>;
  /** From EC2's Platform/PlatformDetails when it says; undefined = not known (treated as linux). */
  platform?: RunnerOs;
}

/** A runner as GitHub lists it. */
export interface RunnerView {
  id: number;
  name: string;
  status: 'online' | 'offline';
  busy: boolean;
  labels: string[];
  /** GitHub's `os` field (`Linux`, `Windows`, `macOS`), when the answer carried one. */
  os?: string;
}

/**
 * What evidence from the machine itself backs a decision about one instance
 * (docs/design.md, "Machine evidence"):
 * - `hooks`: the instance carries the `ghr:job-hooks` boot marker of a supported contract
 *   version, so its job hooks are known to run and the absence of `ghr:job` means something;
 * - `probe`: the instance is online in AWS Systems Manager and the probe document can ask it;
 * - `none`: only GitHub's word, so every rule takes the conservative path.
 * `ghr:job` itself is honoured wherever it appears, whatever the source.
 */
export type EvidenceSource = 'hooks' | 'probe' | 'none';

/**
 * What the reaper knows about Systems Manager for this run: which instances can be probed.
 * `enabled: false` when the probe is turned off in the configuration; `error` when the
 * DescribeInstanceInformation read failed (then nothing counts as probe-able: fail closed).
 */
export interface ProbeAvailability {
  enabled: boolean;
  /** Instance ids whose SSM agent is online (PingStatus Online) and whose platform the probe supports. */
  online: ReadonlySet<string>;
  error?: string;
}

/**
 * What one listing of an owner's runners gave. A failed or malformed listing is kept as
 * `ok: false`: every instance of that owner is then kept (fail closed).
 */
export type OwnerRunners =
  | { ok: true; owner: OwnerRef; runners: RunnerView[] }
  | { ok: false; owner: OwnerRef; error: string };

/** Everything the core needs for one run, read once. */
export interface Snapshot {
  now: Date;
  instances: InstanceView[];
  /** One entry per owner found on the instances' tags. Missing entry = listing not done = keep. */
  runnersByOwner: ReadonlyMap<OwnerKey, OwnerRunners>;
  /** SSM reachability for the probe. Absent = probe not configured (same as enabled: false). */
  probe?: ProbeAvailability;
  config: Config;
}

/**
 * Why a decision was taken. Logged on every decision and counted as a metric dimension,
 * so the set is closed and each code means one thing.
 */
export type ReasonCode =
  // keep: rules that protect
  | 'bypass-tag'
  | 'not-running'
  | 'missing-owner-tag'
  | 'malformed-tags'
  | 'github-unavailable'
  | 'minimum-running-time'
  | 'booting'
  | 'busy-on-github'
  | 'job-evidence'
  | 'job-since-idle-sighting'
  | 'idle-pool'
  | 'idle-first-sighting'
  | 'idle-not-confirmed'
  | 'not-registered'
  | 'draining'
  | 'registered'
  | 'orphan-first-sighting'
  | 'orphan-not-confirmed'
  | 'waiting-max-job-duration'
  /** A DELETE of this runner failed in an earlier run; waiting out its back-off. */
  | 'delete-backoff'
  /** EC2 refused to terminate the instance (termination protection, IAM); retried after a back-off. */
  | 'termination-refused'
  // act
  | 'idle-confirmed'
  | 'orphan-confirmed'
  | 'drained'
  | 'max-job-duration-exceeded'
  /** `ghr:job` older than MAX_JOB_DURATION_MINUTES on a registered runner GitHub calls idle: the job-completed hook never ran. */
  | 'stale-job-evidence'
  /** Held without registration or machine evidence longer than UNREGISTERED_HOLD_MINUTES (an operator's explicit choice). */
  | 'unregistered-hold-exceeded'
  /** More instances held without registration or machine evidence than UNREGISTERED_HOLD_MAX_INSTANCES (an operator's explicit choice). */
  | 'unregistered-hold-limit'
  // executor outcomes (scale-down steps a-f and the orphan re-check)
  | 'race-busy-before-delete'
  | 'race-delete-refused'
  | 'race-busy-after-delete'
  | 'race-job-evidence-after-delete'
  | 'race-job-evidence-before-delete'
  | 'race-probe-busy-before-delete'
  | 'race-probe-busy-after-delete'
  /** The probe says a job runs (orphan-cleanup: no DELETE involved). */
  | 'probe-busy'
  /** The probe gave no usable answer (timeout, offline, malformed): keep. */
  | 'probe-error'
  | 'race-registered-again'
  | 'runner-vanished'
  | 'deferred'
  /** The look before the DELETE aged past MAX_LOOK_AGE_MS before the DELETE could be sent. */
  | 'look-too-old'
  | 'github-error'
  | 'aws-error'
  | 'dry-run';

/**
 * What to do with one instance.
 * - keep: nothing, or only bookkeeping tags (`setTags` / `removeTags`).
 * - reclaim: scale-down's candidate: run the executor (GET, DELETE, settle, re-check, terminate).
 * - terminate: orphan-cleanup's candidate: settle, re-check job evidence, terminate.
 */
export type Action = 'keep' | 'reclaim' | 'terminate';

export interface Decision {
  instanceId: string;
  action: Action;
  reason: ReasonCode;
  /** One sentence for a person reading the log. */
  message: string;
  owner?: OwnerRef;
  /** The matched GitHub runner, when there is one. */
  runner?: RunnerView;
  /** Which machine evidence this decision rests on (set for every instance past the gate). */
  evidence?: EvidenceSource;
  /** The instance's `ghr:environment` (a deployment may serve several). */
  environment?: string;
  /** Bookkeeping tags to write (e.g. idle-since on a first idle sighting). */
  setTags?: Record<string, string>;
  /** Bookkeeping tags to remove (e.g. idle-since when the runner turned busy). */
  removeTags?: string[];
  /**
   * On act decisions: the job-hook tags as the decision saw them. The executors' last looks
   * compare against them: any change means a hook fired since (a job started or ended).
   */
  hookTags?: HookTags;
  /**
   * On act decisions with `hooks` evidence: the instance is also online in SSM and the probe
   * is configured (JOB_EVIDENCE=auto), so the executors ask the probe as well, by the same
   * rules as for `probe` evidence (busy or no answer keeps). The job-started hook runs only
   * after the job's set-up has downloaded its actions, so a job assigned just before the
   * DELETE can still be tag-less after the settle; its Worker process shows within a second.
   */
  probeToo?: boolean;
  /**
   * On act decisions that ask the probe: the action stands without the probe's answer, so
   * a probe that keeps giving none cannot hold it back for ever (a busy answer still keeps).
   * For `probe` evidence: the rules without machine evidence would take it already (the
   * conservative confirmation or hold is met). For `hooks` with `probeToo`: a second
   * sighting, at least IDLE_CONFIRMATION_SECONDS after the first and with no job between,
   * has been made; what is left is the hooks' own word, as on an instance without SSM.
   */
  probeOptional?: boolean;
  /** On scale-down reclaims: failed DELETEs of this runner in earlier runs (ordering, back-off). */
  deleteFailures?: number;
  /**
   * On keep decisions that hold an instance without a registration and without machine
   * evidence (`waiting-max-job-duration`): since when (ISO-8601). Counted in the report.
   */
  heldSince?: string;
}

/** The job-hook contract's tags on one instance, as read at one moment (absent = undefined). */
export interface HookTags {
  job?: string;
  jobStartedAt?: string;
  lastJobCompletedAt?: string;
}

/** How many instances a run holds without a registration and without machine evidence. */
export interface HeldSummary {
  count: number;
  /** ISO-8601 start of the longest hold, when there is one. */
  oldestSince?: string;
  /** Age of the longest hold in seconds at the decision time. */
  oldestAgeSeconds?: number;
}

/** One GET of a runner, classified. A malformed answer is an `error`. */
export type RunnerRead =
  | { kind: 'found'; runner: RunnerView }
  | { kind: 'gone' }
  | { kind: 'error'; error: string };

/**
 * One answer of the machine probe (the SSM document run on the instance), classified.
 * `answered` carries what the machine says; anything else (no answer by the deadline, a
 * failed command, an agent gone offline, output that does not parse) is an `error`, and an
 * error always means keep.
 */
export type ProbeRead =
  | {
      kind: 'answered';
      /** A job runs on the machine now (a Runner.Worker process, or the runner's own files say so). */
      busy: boolean;
      /** Since when the runner has had no job, as the machine tells it; undefined when it cannot tell. */
      idleSince?: Date;
      /** When the answer was produced on the machine (the reaper's clock if the machine gave none). */
      at: Date;
      detail: string;
    }
  | { kind: 'error'; error: string };

/**
 * One DELETE of a runner, classified. `busy` is GitHub's refusal (422, or a 500 that says
 * the runner is running a job): never retried in the same run.
 */
export type DeleteOutcome =
  | { kind: 'deleted' }
  | { kind: 'gone' }
  | { kind: 'busy'; detail: string }
  | { kind: 'error'; error: string }
  /** Never sent: its turn in the client's queues came after its deadline (the look's age). */
  | { kind: 'not-sent'; detail: string };
