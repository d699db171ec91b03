/**
 * Scale-down executor: carries out the core's `reclaim` decisions in the order the design
 * fixes (docs/design.md, steps a-f). Each step can only take instances out of the batch;
 * any failure keeps the instance. The order matters:
 * a. GET the runner and re-read the instance tags: the last cheap look before acting.
 * b. Write-ahead `ghr:draining-since`: should this run die after the DELETE, the mark
 *    tells orphan-cleanup to finish the instance safely instead of leaving it unknown.
 * c. DELETE, never retried: GitHub's refusal (422 / 500 "running a job") means busy.
 * d. One settle per batch, so a job assigned just before the DELETE has time to run the
 *    job-started hook that tags the instance.
 * e. Re-check both GitHub and the tags.
 * f. Terminate the rest in batches of at most 1,000.
 */
import { EC2_BATCH_SIZE, chunk } from '../adapters/ec2';
import {
  TAG,
  judgeAfterSettle,
  judgeBeforeDelete,
  type Decision,
  type InstanceView,
  type OwnerRef,
  type RunnerRead,
  type RunnerView,
} from '../core';
import {
  AFTER_SETTLE_RESERVE_MS,
  DELETE_COST_MS,
  errorText,
  fromDecision,
  kept,
  type ExecutorEnv,
  type ExecutorPorts,
  type ExecutorReport,
  type Outcome,
} from './outcome';
import { applyTagChanges, decisionTagChanges, type TagChange } from './tag-changes';

/** A reclaim decision with what the executor needs present. */
interface Candidate {
  decision: Decision;
  owner: OwnerRef;
  runner: RunnerView;
  /** GitHub already forgot the runner at step a: no DELETE to send. */
  skipDelete: boolean;
}

async function freshRead(ports: ExecutorPorts, ids: string[]): Promise<Map<string, InstanceView> | undefined> {
  try {
    return await ports.ec2.describeByIds(ids);
  } catch {
    return undefined;
  }
}

export async function runScaleDown(
  decisions: readonly Decision[],
  ports: ExecutorPorts,
  env: ExecutorEnv,
): Promise<ExecutorReport> {
  const outcomes: Outcome[] = [];
  const errors: string[] = [];
  const reclaims: Decision[] = [];
  for (const decision of decisions) {
    if (decision.action === 'reclaim') reclaims.push(decision);
    else if (decision.action === 'keep') outcomes.push(kept(decision, decision.reason, decision.message));
    else outcomes.push(kept(decision, decision.reason, `Kept: scale-down does not carry out "${decision.action}" decisions.`));
  }

  if (!env.config.dryRun) {
    // Before the batches: a reclaim decision may ask to drop a stale draining mark, which
    // step b then writes afresh.
    errors.push(...(await applyTagChanges(ports.ec2, decisionTagChanges(decisions))));
  }

  for (const batch of chunk(reclaims, EC2_BATCH_SIZE)) {
    const report = await reclaimBatch(batch, ports, env);
    outcomes.push(...report.outcomes);
    errors.push(...report.errors);
  }
  return { outcomes, errors };
}

async function reclaimBatch(batch: Decision[], ports: ExecutorPorts, env: ExecutorEnv): Promise<ExecutorReport> {
  const outcomes: Outcome[] = [];
  const tagChanges: TagChange[] = [];
  const keep = (subject: Candidate | Decision, reason: Outcome['reason'], message: string, extra: Partial<Outcome> = {}) => {
    const decision = 'decision' in subject ? subject.decision : subject;
    outcomes.push({ ...kept(decision, reason, message), ...extra });
  };

  // A reclaim decision always names its owner and runner; one that does not is kept.
  let candidates: Candidate[] = [];
  for (const decision of batch) {
    if (decision.owner && decision.runner) {
      candidates.push({ decision, owner: decision.owner, runner: decision.runner, skipDelete: false });
    } else {
      keep(decision, 'not-registered', 'Kept: the reclaim decision names no owner or runner.');
    }
  }

  // Step a: GET each runner, then one fresh read of the instances' tags.
  const firstReads = await Promise.all(candidates.map((c) => ports.github.getRunner(c.owner, c.runner.id)));
  const firstFresh = await freshRead(ports, candidates.map((c) => c.decision.instanceId));
  candidates = candidates.filter((c, i) => {
    const verdict = judgeBeforeDelete(c.decision, firstReads[i] as RunnerRead, firstFresh?.get(c.decision.instanceId), env.config.jobEvidence);
    if (verdict.proceed) {
      c.skipDelete = verdict.skipDelete;
      return true;
    }
    keep(c, verdict.reason, verdict.message);
    if (verdict.reason === 'race-busy-before-delete' || verdict.reason === 'race-job-evidence-before-delete') {
      // The idle streak ended: the next idle sighting starts a new one.
      tagChanges.push({ instanceId: c.decision.instanceId, remove: [TAG.idleSince] });
    }
    return false;
  });

  if (env.config.dryRun) {
    for (const c of candidates) {
      keep(c, 'dry-run', `Dry run: would deregister runner ${c.runner.name} and terminate (${c.decision.reason}).`);
    }
    return { outcomes, errors: [] };
  }

  const errors: string[] = [];
  const finish = async (): Promise<ExecutorReport> => {
    errors.push(...(await applyTagChanges(ports.ec2, tagChanges)));
    return { outcomes, errors };
  };
  if (candidates.length === 0) return finish();

  // Only as many DELETEs as this invocation can still see through; the rest wait,
  // unmarked and registered, for the next run.
  const fitting = deletesThatFit(env);
  let deletes = 0;
  candidates = candidates.filter((c) => {
    if (c.skipDelete || ++deletes <= fitting) return true;
    keep(c, 'deferred', 'Kept for the next run: too little time left in this invocation to deregister, settle and re-check.');
    return false;
  });
  if (candidates.length === 0) return finish();

  // Step b: the write-ahead mark, one call for the batch.
  const markedAt = env.now();
  try {
    await ports.ec2.setTags(
      candidates.map((c) => c.decision.instanceId),
      { [TAG.drainingSince]: markedAt.toISOString() },
    );
  } catch (error) {
    for (const c of candidates) keep(c, 'aws-error', `Kept: writing ${TAG.drainingSince} failed (${errorText(error)}); nothing deregistered.`);
    return finish();
  }

  // Step c: DELETE, never retried.
  const deleted = await Promise.all(
    candidates.map((c) => (c.skipDelete ? Promise.resolve(undefined) : ports.github.deleteRunner(c.owner, c.runner.id))),
  );
  candidates = candidates.filter((c, i) => {
    const outcome = deleted[i];
    if (outcome === undefined || outcome.kind === 'deleted' || outcome.kind === 'gone') return true;
    if (outcome.kind === 'busy') {
      keep(c, 'race-delete-refused', `Kept: GitHub refused to remove runner ${c.runner.name}: ${outcome.detail}`);
      tagChanges.push({ instanceId: c.decision.instanceId, remove: [TAG.drainingSince, TAG.idleSince] });
      return false;
    }
    // The DELETE may have happened: the draining mark stays, orphan-cleanup decides later.
    keep(c, 'github-error', `Kept: removing runner ${c.runner.name} failed (${outcome.error}); ${TAG.drainingSince} stays.`, {
      deregistered: true,
    });
    return false;
  });
  if (candidates.length === 0) return finish();

  // Step d: one settle for the whole batch.
  await env.sleep(env.config.settleSeconds * 1000);

  // Step e: GitHub and the instance's own tags, again.
  const secondReads = await Promise.all(candidates.map((c) => ports.github.getRunner(c.owner, c.runner.id)));
  const secondFresh = await freshRead(ports, candidates.map((c) => c.decision.instanceId));
  candidates = candidates.filter((c, i) => {
    const verdict = judgeAfterSettle({
      decision: c.decision,
      fresh: secondFresh?.get(c.decision.instanceId),
      runnerRead: secondReads[i],
      markedAt,
      jobEvidence: env.config.jobEvidence,
    });
    if (verdict.terminate) return true;
    keep(c, verdict.reason, `${verdict.message} ${TAG.drainingSince} stays for orphan-cleanup.`, { deregistered: true });
    return false;
  });
  if (candidates.length === 0) return finish();

  // Step f: terminate. A failure leaves the draining mark: orphan-cleanup retries safely.
  const result = await ports.ec2.terminate(candidates.map((c) => c.decision.instanceId));
  const done = new Set(result.terminated);
  const failed = new Map(result.failed.map((f) => [f.instanceId, f.error]));
  for (const c of candidates) {
    const error = failed.get(c.decision.instanceId);
    if (error !== undefined || !done.has(c.decision.instanceId)) {
      keep(c, 'aws-error', `Kept: TerminateInstances failed (${error ?? 'no answer'}); ${TAG.drainingSince} stays.`, {
        deregistered: true,
      });
    } else {
      outcomes.push({
        ...fromDecision(c.decision, 'terminated', c.decision.reason, `Terminated: runner ${c.runner.name} deregistered, idle after the settle.`),
        deregistered: true,
      });
    }
  }
  return finish();
}

function deletesThatFit(env: ExecutorEnv): number {
  if (!env.remainingMs) return Number.POSITIVE_INFINITY;
  const budget = env.remainingMs() - env.config.settleSeconds * 1000 - AFTER_SETTLE_RESERVE_MS;
  return Math.max(0, Math.floor(budget / DELETE_COST_MS));
}
