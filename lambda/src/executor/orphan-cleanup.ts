/**
 * Orphan-cleanup executor: carries out the core's `terminate` decisions. Settle once, so
 * a job that just started has time to show on the machine, then look again at the
 * instance's tags, the probe (where the decision asks it: `asksProbe`) and the owners'
 * runner listings; terminate only what nothing speaks for.
 */
import {
  RunnerIndex,
  TAG,
  asksProbe,
  heldSummary,
  judgeAfterSettle,
  ownerKey,
  type Decision,
  type InstanceView,
  type OwnerKey,
  type ReasonCode,
} from '../core';
import { errorText, fromDecision, kept, type ExecutorEnv, type ExecutorPorts, type ExecutorReport, type Outcome } from './outcome';
import { probeRound } from './probe';
import { applyTagChanges, decisionTagChanges, type TagChange } from './tag-changes';
import { terminateInstances } from './terminate';

/** One owner's re-listing, indexed once for matching all of that owner's candidates. */
type Listing = { ok: true; index: RunnerIndex } | { ok: false; error: string };

export interface OrphanRunOptions {
  /** When the decisions were made (the snapshot's clock): job activity after it keeps. */
  decidedAt: Date;
}

/** No DELETE happens here: what the shared judgement calls a delete race is plain evidence. */
const ORPHAN_REASON: Partial<Record<ReasonCode, ReasonCode>> = {
  'race-job-evidence-after-delete': 'job-evidence',
  'race-probe-busy-after-delete': 'probe-busy',
};

export async function runOrphanCleanup(
  decisions: readonly Decision[],
  ports: ExecutorPorts,
  env: ExecutorEnv,
  options: OrphanRunOptions,
): Promise<ExecutorReport> {
  const outcomes: Outcome[] = [];
  const errors: string[] = [];
  const candidates: Decision[] = [];
  const held = heldSummary(decisions, options.decidedAt);
  for (const decision of decisions) {
    if (decision.action === 'terminate') candidates.push(decision);
    else if (decision.action === 'keep') outcomes.push(kept(decision, decision.reason, decision.message));
    else outcomes.push(kept(decision, decision.reason, `Kept: orphan-cleanup does not carry out "${decision.action}" decisions.`));
  }

  // Bookkeeping first, in a dry run too: the marks only ever delay a termination, and with
  // them a dry run shows by its second cycle what a real run would do.
  errors.push(...(await applyTagChanges(ports.ec2, decisionTagChanges(decisions))));
  if (env.config.dryRun) {
    for (const d of candidates) outcomes.push(kept(d, 'dry-run', `Dry run: would terminate (${d.reason}).`));
    return { outcomes, errors, held };
  }
  if (candidates.length === 0) return { outcomes, errors, held };

  await env.sleep(env.config.settleSeconds * 1000);

  let fresh: Map<string, InstanceView>;
  try {
    fresh = await ports.ec2.describeByIds(candidates.map((d) => d.instanceId));
  } catch (error) {
    for (const d of candidates) outcomes.push(kept(d, 'aws-error', `Kept: the instance could not be re-read after the settle (${errorText(error)}).`));
    return { outcomes, errors, held };
  }
  const probeIds = candidates.filter(asksProbe).map((d) => d.instanceId);
  const probed = new Set(probeIds);
  // Every outcome from here on says whether the probe was asked about its instance.
  const report = (outcome: Outcome): void => {
    outcomes.push(probed.has(outcome.instanceId) ? { ...outcome, probed: true } : outcome);
  };
  const [listings, probes] = await Promise.all([relist(candidates, ports), probeRound(ports.probe, probeIds)]);

  const toTerminate: Decision[] = [];
  const notes = new Map<string, string>();
  for (const d of candidates) {
    const instance = fresh.get(d.instanceId);
    if (!d.owner) {
      report(kept(d, 'missing-owner-tag', 'Kept: the terminate decision names no owner.'));
      continue;
    }
    if (instance && instance.state !== 'running' && instance.state !== 'pending') {
      report(kept(d, 'not-running', `Kept: the instance is already ${instance.state}.`));
      continue;
    }
    const listing = listings.get(ownerKey(d.owner));
    if (!listing || !listing.ok) {
      const why = listing && !listing.ok ? listing.error : 'not listed';
      report(kept(d, 'github-error', `Kept: re-listing the runners of ${d.owner.owner} failed (${why}).`));
      continue;
    }
    if (instance) {
      const runner = listing.index.find(instance);
      if (runner) {
        report(kept(d, 'race-registered-again', `Kept: runner ${runner.name} is registered again.`));
        continue;
      }
    }
    const verdict = judgeAfterSettle({
      decision: d,
      fresh: instance,
      runnerRead: undefined,
      probe: probes.get(d.instanceId),
      markedAt: options.decidedAt,
      environments: env.config.environments,
      now: env.now(),
    });
    if (!verdict.terminate) {
      report(kept(d, ORPHAN_REASON[verdict.reason] ?? verdict.reason, verdict.message));
      continue;
    }
    if (verdict.note) notes.set(d.instanceId, verdict.note);
    toTerminate.push(d);
  }

  const tagChanges: TagChange[] = [];
  const result = await terminateInstances(ports.ec2, toTerminate.map((d) => d.instanceId));
  for (const d of toTerminate) {
    const refused = result.refused.get(d.instanceId);
    if (result.terminated.has(d.instanceId)) {
      const note = notes.get(d.instanceId);
      report(fromDecision(d, 'terminated', d.reason, `Terminated: ${d.message}${note ? ` (${note}.)` : ''}`));
    } else if (refused !== undefined) {
      report(kept(d, 'termination-refused', `Kept: EC2 refuses to terminate it (${refused}); retried after a back-off.`));
      tagChanges.push({ instanceId: d.instanceId, set: { [TAG.terminationRefusedAt]: env.now().toISOString() } });
    } else {
      report(kept(d, 'aws-error', `Kept: TerminateInstances failed (${result.failed.get(d.instanceId) ?? 'no answer'}).`));
    }
  }
  errors.push(...(await applyTagChanges(ports.ec2, tagChanges)));
  return { outcomes, errors, held };
}

/** List each affected owner once more. */
async function relist(candidates: Decision[], ports: ExecutorPorts): Promise<Map<OwnerKey, Listing>> {
  const owners = new Map(candidates.flatMap((d) => (d.owner ? [[ownerKey(d.owner), d.owner] as const] : [])));
  const listings = new Map<OwnerKey, Listing>();
  await Promise.all(
    [...owners].map(async ([key, owner]) => {
      try {
        listings.set(key, { ok: true, index: new RunnerIndex(await ports.github.listRunners(owner)) });
      } catch (error) {
        listings.set(key, { ok: false, error: errorText(error) });
      }
    }),
  );
  return listings;
}
