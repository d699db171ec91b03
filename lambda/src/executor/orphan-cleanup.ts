/**
 * Orphan-cleanup executor: carries out the core's `terminate` decisions. Settle once, so
 * a job that just started has time to tag the instance, then look again at the instance's
 * tags and at the owners' runner listings; terminate only what nothing speaks for.
 */
import { EC2_BATCH_SIZE, chunk } from '../adapters/ec2';
import {
  findRunner,
  judgeAfterSettle,
  ownerKey,
  type Decision,
  type InstanceView,
  type OwnerKey,
  type RunnerView,
} from '../core';
import { errorText, fromDecision, kept, type ExecutorEnv, type ExecutorPorts, type ExecutorReport, type Outcome } from './outcome';
import { applyTagChanges, decisionTagChanges } from './tag-changes';

type Listing = { ok: true; runners: RunnerView[] } | { ok: false; error: string };

export interface OrphanRunOptions {
  /** When the decisions were made (the snapshot's clock): job activity after it keeps. */
  decidedAt: Date;
}

export async function runOrphanCleanup(
  decisions: readonly Decision[],
  ports: ExecutorPorts,
  env: ExecutorEnv,
  options: OrphanRunOptions,
): Promise<ExecutorReport> {
  const outcomes: Outcome[] = [];
  const errors: string[] = [];
  const candidates: Decision[] = [];
  for (const decision of decisions) {
    if (decision.action === 'terminate') candidates.push(decision);
    else if (decision.action === 'keep') outcomes.push(kept(decision, decision.reason, decision.message));
    else outcomes.push(kept(decision, decision.reason, `Kept: orphan-cleanup does not carry out "${decision.action}" decisions.`));
  }

  if (env.config.dryRun) {
    for (const d of candidates) outcomes.push(kept(d, 'dry-run', `Dry run: would terminate (${d.reason}).`));
    return { outcomes, errors };
  }
  errors.push(...(await applyTagChanges(ports.ec2, decisionTagChanges(decisions))));
  if (candidates.length === 0) return { outcomes, errors };

  await env.sleep(env.config.settleSeconds * 1000);

  let fresh: Map<string, InstanceView>;
  try {
    fresh = await ports.ec2.describeByIds(candidates.map((d) => d.instanceId));
  } catch (error) {
    for (const d of candidates) outcomes.push(kept(d, 'aws-error', `Kept: the instance could not be re-read after the settle (${errorText(error)}).`));
    return { outcomes, errors };
  }
  const listings = await relist(candidates, ports);

  const toTerminate: Decision[] = [];
  for (const d of candidates) {
    const instance = fresh.get(d.instanceId);
    if (!d.owner) {
      outcomes.push(kept(d, 'missing-owner-tag', 'Kept: the terminate decision names no owner.'));
      continue;
    }
    if (instance && instance.state !== 'running' && instance.state !== 'pending') {
      outcomes.push(kept(d, 'not-running', `Kept: the instance is already ${instance.state}.`));
      continue;
    }
    const listing = listings.get(ownerKey(d.owner));
    if (!listing || !listing.ok) {
      const why = listing && !listing.ok ? listing.error : 'not listed';
      outcomes.push(kept(d, 'github-error', `Kept: re-listing the runners of ${d.owner.owner} failed (${why}).`));
      continue;
    }
    if (instance) {
      const runner = findRunner(instance, listing.runners);
      if (runner) {
        outcomes.push(kept(d, 'race-registered-again', `Kept: runner ${runner.name} is registered again.`));
        continue;
      }
    }
    const verdict = judgeAfterSettle({
      decision: d,
      fresh: instance,
      runnerRead: undefined,
      markedAt: options.decidedAt,
      jobEvidence: env.config.jobEvidence,
    });
    if (!verdict.terminate) {
      // No DELETE happened here: a job seen now is plain job evidence, not a delete race.
      const reason = verdict.reason === 'race-job-evidence-after-delete' ? 'job-evidence' : verdict.reason;
      outcomes.push(kept(d, reason, verdict.message));
      continue;
    }
    toTerminate.push(d);
  }

  for (const batch of chunk(toTerminate, EC2_BATCH_SIZE)) {
    const result = await ports.ec2.terminate(batch.map((d) => d.instanceId));
    const done = new Set(result.terminated);
    const failed = new Map(result.failed.map((f) => [f.instanceId, f.error]));
    for (const d of batch) {
      if (done.has(d.instanceId) && !failed.has(d.instanceId)) {
        outcomes.push(fromDecision(d, 'terminated', d.reason, `Terminated: ${d.message}`));
      } else {
        outcomes.push(kept(d, 'aws-error', `Kept: TerminateInstances failed (${failed.get(d.instanceId) ?? 'no answer'}).`));
      }
    }
  }
  return { outcomes, errors };
}

/** List each affected owner once more. */
async function relist(candidates: Decision[], ports: ExecutorPorts): Promise<Map<OwnerKey, Listing>> {
  const owners = new Map(candidates.flatMap((d) => (d.owner ? [[ownerKey(d.owner), d.owner] as const] : [])));
  const listings = new Map<OwnerKey, Listing>();
  await Promise.all(
    [...owners].map(async ([key, owner]) => {
      try {
        listings.set(key, { ok: true, runners: await ports.github.listRunners(owner) });
      } catch (error) {
        listings.set(key, { ok: false, error: errorText(error) });
      }
    }),
  );
  return listings;
}
