/**
 * The executors' last looks before acting, as pure judgements: the I/O (GET the runner,
 * re-read the tags, ask the probe) happens in the executor, the verdict here. Anything
 * unknown keeps: a missing or partial EC2 answer, a failed GET, a probe without an answer.
 */
import { hasBypass, hasJobEvidence, hookTagsChanged, jobActivityAfter } from './evidence';
import { ownerOf } from './match';
import { RUNNER_APPLICATION, TAG } from './tags';
import type { Decision, InstanceView, ProbeRead, ReasonCode, RunnerRead } from './types';

/** What both looks need besides the reads themselves. */
interface LookInput {
  decision: Decision;
  /** The instance re-read; undefined = the read failed or it is gone. */
  fresh: InstanceView | undefined;
  /** The probe's answer; only consulted for decisions that ask it (`asksProbe`; undefined there = no answer). */
  probe?: ProbeRead | undefined;
  /** The environments this deployment owns: a re-read must still carry one of them. */
  environments: readonly string[];
  /** The clock of the look (for job times written slightly in the future). */
  now?: Date;
}

export interface SettleJudgementInput extends LookInput {
  /** The re-check GET (scale-down, after a DELETE GitHub accepted); undefined when not made. */
  runnerRead: RunnerRead | undefined;
  /** When the mark was made (draining-since for scale-down, the decision for orphans). */
  markedAt: Date;
}

export interface BeforeDeleteInput extends LookInput {
  read: RunnerRead;
}

export interface SettleJudgement {
  terminate: boolean;
  reason: ReasonCode;
  message: string;
  /** On a termination: what the log line should add (e.g. that the probe gave no answer). */
  note?: string;
}

export interface DeleteJudgement {
  /** Go on to mark and DELETE (or, with skipDelete, straight to the settle). */
  proceed: boolean;
  /** GitHub already forgot the runner: no DELETE to send. */
  skipDelete: boolean;
  reason: ReasonCode;
  message: string;
}

/** Reasons whose decision is about an instance that carries `ghr:job` already (a stale or overdue one). */
const ABOUT_A_JOB_TAG: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['max-job-duration-exceeded', 'stale-job-evidence']);

/**
 * A re-read that does not carry the fleet tags the decision was made on is a partial (or
 * wrong) EC2 answer: an instance read without its tag set would otherwise look like "no
 * ghr:job, no bypass" (issue 10, point 2).
 */
function partialAnswer(decision: Decision, fresh: InstanceView, environments: readonly string[]): string | undefined {
  if (fresh.id !== decision.instanceId) return `EC2 answered for ${fresh.id}`;
  const { tags } = fresh;
  if (tags[TAG.application] !== RUNNER_APPLICATION) return `the re-read lacks ${TAG.application}`;
  const environment = tags[TAG.environment];
  if (environment === undefined || !environments.includes(environment)) return `the re-read lacks ${TAG.environment} of this deployment`;
  const owner = ownerOf(fresh);
  if (!owner) return `the re-read lacks a valid ${TAG.owner}/${TAG.type}`;
  if (decision.owner && (owner.type !== decision.owner.type || owner.owner !== decision.owner.owner)) {
    return `the re-read names another owner (${owner.type} ${owner.owner})`;
  }
  return undefined;
}

/**
 * What the hook tags say since the decision, or undefined when they say nothing new. With
 * the decision's own copy of the hook tags, any change is a hook that fired (a job started
 * or ended); a `ghr:job` the decision knew about (stale or overdue) is no news. Without it
 * (older callers), the tag times are compared with the mark.
 */
function jobSeen(decision: Decision, fresh: InstanceView, markedAt: Date | undefined, now: Date | undefined): string | undefined {
  const known = ABOUT_A_JOB_TAG.has(decision.reason);
  const { tags } = fresh;
  if (decision.hookTags) {
    if (hookTagsChanged(decision.hookTags, tags)) {
      return tags[TAG.job] !== undefined ? `${TAG.job}=${tags[TAG.job]} is set and the hook tags changed` : 'a job hook fired (the hook tags changed)';
    }
    if (!known && hasJobEvidence(tags)) return `${TAG.job}=${tags[TAG.job]} is set`;
    return undefined;
  }
  if (!known && hasJobEvidence(tags)) return `${TAG.job}=${tags[TAG.job]} is set`;
  if (markedAt && jobActivityAfter(tags, markedAt, now)) return `a job started or completed after ${markedAt.toISOString()}`;
  return undefined;
}

type Verdict = { reason: ReasonCode; message: string } | undefined;

/**
 * The executors ask the probe for this decision: its evidence is the probe, or it rests on
 * the hooks and the probe reaches the instance too (`probeToo`).
 */
export function asksProbe(decision: Decision): boolean {
  return decision.evidence === 'probe' || (decision.evidence === 'hooks' && decision.probeToo === true);
}

/**
 * A decision that asks the probe, whose probe gave no answer, but which stands without it
 * (`probeOptional`): judged on what is left, no machine evidence for `probe`, the hooks'
 * tags for `hooks`.
 */
function probeFellThrough(decision: Decision, probe: ProbeRead | undefined): boolean {
  return asksProbe(decision) && decision.probeOptional === true && (!probe || probe.kind === 'error');
}

/** The probe's word for a decision that asks it; undefined when it lets the action go on. */
function probeVerdict(decision: Decision, probe: ProbeRead | undefined, phase: 'before' | 'after', markedAt?: Date): Verdict {
  if (!asksProbe(decision) || probeFellThrough(decision, probe)) return undefined;
  if (!probe) return { reason: 'probe-error', message: 'Kept: the probe was not asked or gave no answer.' };
  if (probe.kind === 'error') return { reason: 'probe-error', message: `Kept: the probe gave no usable answer (${probe.error}).` };
  if (probe.busy) {
    return {
      reason: phase === 'before' ? 'race-probe-busy-before-delete' : 'race-probe-busy-after-delete',
      message: `Kept: the probe says a job runs on the machine (${probe.detail}).`,
    };
  }
  if (phase === 'after' && markedAt && probe.idleSince && probe.idleSince.getTime() > markedAt.getTime()) {
    return {
      reason: 'race-job-evidence-after-delete',
      message: `Kept: the probe says a job ended at ${probe.idleSince.toISOString()}, after ${markedAt.toISOString()}.`,
    };
  }
  return undefined;
}

/**
 * A runner gone from GitHub whose job nothing after the settle could see: without machine
 * evidence, or with hooks alone where the probe was to be asked and gave no answer (a job
 * in its set-up has not tagged yet). GitHub consumes an ephemeral runner's registration
 * when it assigns a job, so gone may mean busy.
 */
export function vanishedUnseen(decision: Decision, probe: ProbeRead | undefined): boolean {
  return (decision.evidence ?? 'none') === 'none' || probeFellThrough(decision, probe);
}

const keepAfter = (reason: ReasonCode, message: string): SettleJudgement => ({ terminate: false, reason, message });

/**
 * After the settle: terminate only if the instance was re-read whole, no job hook fired
 * since the decision, the probe (where it is asked) says no job, and GitHub does not call
 * the runner busy.
 */
export function judgeAfterSettle(input: SettleJudgementInput): SettleJudgement {
  const { decision, fresh, runnerRead, markedAt, environments, now } = input;
  if (!fresh) return keepAfter('aws-error', 'Kept: the instance could not be re-read after the settle.');
  const partial = partialAnswer(decision, fresh, environments);
  if (partial) return keepAfter('aws-error', `Kept: a partial EC2 answer after the settle (${partial}).`);
  if (fresh.state !== 'running' && fresh.state !== 'pending') return keepAfter('not-running', `Kept: the instance is already ${fresh.state}.`);
  if (hasBypass(fresh.tags)) return keepAfter('bypass-tag', `Kept: ${TAG.bypassRemoval}=true appeared during the settle.`);

  const seen = jobSeen(decision, fresh, markedAt, now);
  if (seen) {
    const mode = decision.evidence === 'none' ? ' (honoured although no machine evidence was expected)' : '';
    return keepAfter('race-job-evidence-after-delete', `Kept: ${seen} after ${markedAt.toISOString()}${mode}; orphan-cleanup finishes it later.`);
  }
  const probe = probeVerdict(decision, input.probe, 'after', markedAt);
  if (probe) return keepAfter(probe.reason, probe.message);
  if (runnerRead?.kind === 'found' && runnerRead.runner.busy) {
    return keepAfter('race-busy-after-delete', `Kept: GitHub says runner ${runnerRead.runner.name} is busy after the settle.`);
  }
  if (runnerRead?.kind === 'error') {
    return keepAfter('github-error', `Kept: the runner re-check failed (${runnerRead.error}).`);
  }
  const note = probeFellThrough(decision, input.probe)
    ? decision.evidence === 'hooks'
      ? 'the probe gave no answer, but the hooks, seen over a second sighting, allow it'
      : 'the probe gave no answer, but the rules without machine evidence allow it'
    : undefined;
  return {
    terminate: true,
    reason: decision.reason,
    message: `Terminate: nothing changed during the settle (${decision.reason}${note ? `; ${note}` : ''}).`,
    ...(note ? { note } : {}),
  };
}

const keepBefore = (reason: ReasonCode, message: string): DeleteJudgement => ({ proceed: false, skipDelete: false, reason, message });

/** Step a of the scale-down executor: the GET, the tag re-read and the probe, right before the DELETE. */
export function judgeBeforeDelete(input: BeforeDeleteInput): DeleteJudgement {
  const { decision, read, fresh, environments, now } = input;
  if (read.kind === 'error') return keepBefore('github-error', `Kept: the runner could not be read before the DELETE (${read.error}).`);
  if (read.kind === 'found' && read.runner.busy) {
    return keepBefore('race-busy-before-delete', `Kept: GitHub says runner ${read.runner.name} turned busy.`);
  }
  if (!fresh) return keepBefore('aws-error', 'Kept: the instance could not be re-read before the DELETE.');
  const partial = partialAnswer(decision, fresh, environments);
  if (partial) return keepBefore('aws-error', `Kept: a partial EC2 answer before the DELETE (${partial}).`);
  if (fresh.state !== 'running') return keepBefore('not-running', `Kept: the instance is ${fresh.state} now.`);
  if (hasBypass(fresh.tags)) return keepBefore('bypass-tag', `Kept: ${TAG.bypassRemoval}=true appeared before the DELETE.`);
  const seen = jobSeen(decision, fresh, undefined, now);
  if (seen) return keepBefore('race-job-evidence-before-delete', `Kept: ${seen} before the DELETE.`);
  const probe = probeVerdict(decision, input.probe, 'before');
  if (probe) return keepBefore(probe.reason, probe.message);
  if (read.kind === 'gone' && vanishedUnseen(decision, input.probe)) {
    // GitHub consumes an ephemeral runner's registration when it assigns a job, so a
    // runner that vanished since the listing may be running one. Without machine evidence
    // nothing after the settle could see that job; with hooks alone where the probe was
    // meant to be asked, a job still in its set-up would not have tagged yet. Leave the
    // instance to orphan-cleanup, which holds it, or sees the job's tag by its next run.
    return keepBefore(
      'runner-vanished',
      'Kept: the runner vanished from GitHub since the listing (an ephemeral runner may have taken a job) and no machine evidence could tell; orphan-cleanup finishes it.',
    );
  }
  if (read.kind === 'gone') {
    return { proceed: true, skipDelete: true, reason: decision.reason, message: 'Go on: GitHub already forgot the runner; no DELETE needed.' };
  }
  return { proceed: true, skipDelete: false, reason: decision.reason, message: `Go on: runner ${read.runner.name} is still idle.` };
}
