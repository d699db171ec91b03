/**
 * The executors' last looks before acting, as pure judgements: the I/O (GET the runner,
 * re-read the tags) happens in the executor, the verdict here. Anything unknown keeps.
 */
import { hasBypass, hasJobEvidence, jobActivityAfter } from './evidence';
import { TAG } from './tags';
import type { Config } from '../config/schema';
import type { Decision, InstanceView, ReasonCode, RunnerRead } from './types';

export interface SettleJudgementInput {
  decision: Decision;
  /** The instance re-read after the settle; undefined = the read failed or it is gone. */
  fresh: InstanceView | undefined;
  /** The re-check GET (scale-down); undefined for orphan-cleanup, which re-lists instead. */
  runnerRead: RunnerRead | undefined;
  /** When the mark was made (draining-since for scale-down, the decision for orphans). */
  markedAt: Date;
  jobEvidence: Config['jobEvidence'];
}

export interface SettleJudgement {
  terminate: boolean;
  reason: ReasonCode;
  message: string;
}

export interface DeleteJudgement {
  /** Go on to mark and DELETE (or, with skipDelete, straight to the settle). */
  proceed: boolean;
  /** GitHub already forgot the runner: no DELETE to send. */
  skipDelete: boolean;
  reason: ReasonCode;
  message: string;
}

const keepAfter = (reason: ReasonCode, message: string): SettleJudgement => ({ terminate: false, reason, message });

/**
 * After the settle: terminate only if the instance was re-read, no job hook fired since the
 * mark, and GitHub does not call the runner busy.
 */
export function judgeAfterSettle(input: SettleJudgementInput): SettleJudgement {
  const { decision, fresh, runnerRead, markedAt, jobEvidence } = input;
  if (!fresh) return keepAfter('aws-error', 'Kept: the instance could not be re-read after the settle.');
  if (hasBypass(fresh.tags)) return keepAfter('bypass-tag', `Kept: ${TAG.bypassRemoval}=true appeared during the settle.`);

  // A max-job-duration termination is about an instance that has ghr:job already: only a
  // job started after the decision stops it.
  const overdueJob = decision.reason === 'max-job-duration-exceeded';
  if ((!overdueJob && hasJobEvidence(fresh.tags)) || jobActivityAfter(fresh.tags, markedAt)) {
    const mode = jobEvidence === 'off' ? ' (honoured although JOB_EVIDENCE=off)' : '';
    return keepAfter(
      'race-job-evidence-after-delete',
      `Kept: the job hooks tagged a job after ${markedAt.toISOString()}${mode}; orphan-cleanup finishes it later.`,
    );
  }
  if (runnerRead?.kind === 'found' && runnerRead.runner.busy) {
    return keepAfter('race-busy-after-delete', `Kept: GitHub says runner ${runnerRead.runner.name} is busy after the settle.`);
  }
  if (runnerRead?.kind === 'error') {
    return keepAfter('github-error', `Kept: the runner re-check failed (${runnerRead.error}).`);
  }
  return { terminate: true, reason: decision.reason, message: `Terminate: nothing changed during the settle (${decision.reason}).` };
}

const keepBefore = (reason: ReasonCode, message: string): DeleteJudgement => ({ proceed: false, skipDelete: false, reason, message });

/** Step a of the scale-down executor: the GET and the tag re-read before any DELETE. */
export function judgeBeforeDelete(
  decision: Decision,
  read: RunnerRead,
  fresh: InstanceView | undefined,
  jobEvidence: Config['jobEvidence'] = 'hooks',
): DeleteJudgement {
  if (read.kind === 'error') return keepBefore('github-error', `Kept: the runner could not be read before the DELETE (${read.error}).`);
  if (read.kind === 'found' && read.runner.busy) {
    return keepBefore('race-busy-before-delete', `Kept: GitHub says runner ${read.runner.name} turned busy.`);
  }
  if (!fresh) return keepBefore('aws-error', 'Kept: the instance could not be re-read before the DELETE.');
  if (hasBypass(fresh.tags)) return keepBefore('bypass-tag', `Kept: ${TAG.bypassRemoval}=true appeared before the DELETE.`);
  if (hasJobEvidence(fresh.tags)) {
    return keepBefore('race-job-evidence-before-delete', `Kept: ${TAG.job}=${fresh.tags[TAG.job]} appeared before the DELETE.`);
  }
  if (read.kind === 'gone' && jobEvidence === 'off') {
    // GitHub consumes an ephemeral runner's registration when it assigns a job, so a
    // runner that vanished since the listing may be running one. Without hooks nothing
    // after the settle could see that job: leave the instance to orphan-cleanup, which
    // waits MAX_JOB_DURATION_MINUTES in this mode.
    return keepBefore(
      'runner-vanished',
      'Kept: the runner vanished from GitHub since the listing (an ephemeral runner may have taken a job) and JOB_EVIDENCE=off cannot tell; orphan-cleanup finishes it.',
    );
  }
  if (read.kind === 'gone') {
    return { proceed: true, skipDelete: true, reason: decision.reason, message: 'Go on: GitHub already forgot the runner; no DELETE needed.' };
  }
  return { proceed: true, skipDelete: false, reason: decision.reason, message: `Go on: runner ${read.runner.name} is still idle.` };
}
