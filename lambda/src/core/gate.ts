/**
 * The rules both decision cores start with: people's bypass, state, ownership and the
 * owner's runner listing. Either a keep decision, or what the later rules need.
 */
import { hasBypass } from './evidence';
import { ownerOf } from './match';
import { RUNNER_APPLICATION, TAG } from './tags';
import { ownerKey, type Decision, type InstanceView, type OwnerRef, type RunnerView, type Snapshot } from './types';

export type GateResult =
  | { passed: false; decision: Decision }
  | { passed: true; owner: OwnerRef; runners: RunnerView[]; environment: string };

/** The instance's `ghr:environment` when it is one this deployment owns (for labelling decisions). */
function ownEnvironment(instance: InstanceView, snapshot: Snapshot): string | undefined {
  const environment = instance.tags[TAG.environment];
  return environment !== undefined && snapshot.config.environments.includes(environment) ? environment : undefined;
}

function keep(instance: InstanceView, snapshot: Snapshot, reason: Decision['reason'], message: string, owner?: OwnerRef): Decision {
  const environment = ownEnvironment(instance, snapshot);
  return {
    instanceId: instance.id,
    action: 'keep',
    reason,
    message,
    ...(owner ? { owner } : {}),
    ...(environment !== undefined ? { environment } : {}),
  };
}

export function describeOwner(owner: OwnerRef): string {
  return `${owner.type === 'Org' ? 'organization' : 'repository'} ${owner.owner}`;
}

export function gate(instance: InstanceView, snapshot: Snapshot): GateResult {
  const { tags } = instance;
  if (hasBypass(tags)) {
    return { passed: false, decision: keep(instance, snapshot, 'bypass-tag', `Kept: ${TAG.bypassRemoval}=true asks never to touch it.`) };
  }
  if (instance.state !== 'running') {
    return { passed: false, decision: keep(instance, snapshot, 'not-running', `Kept: the instance is ${instance.state}, not running.`) };
  }
  // Discovery filters on these tags already; checking again means a wrong filter can
  // never make the core act on someone else's instance.
  const environment = tags[TAG.environment];
  if (tags[TAG.application] !== RUNNER_APPLICATION || environment === undefined || !snapshot.config.environments.includes(environment)) {
    return {
      passed: false,
      decision: keep(
        instance,
        snapshot,
        'malformed-tags',
        `Kept: ${TAG.application}/${TAG.environment} do not say it is a runner of ${snapshot.config.environments.join(', ')}.`,
      ),
    };
  }
  const owner = ownerOf(instance);
  if (!owner) {
    return {
      passed: false,
      decision: keep(instance, snapshot, 'missing-owner-tag', `Kept: ${TAG.owner}/${TAG.type} do not name a valid org or owner/repo.`),
    };
  }
  const listing = snapshot.runnersByOwner.get(ownerKey(owner));
  if (!listing || !listing.ok) {
    const why = listing && !listing.ok ? `failed (${listing.error})` : 'is missing';
    return {
      passed: false,
      decision: keep(instance, snapshot, 'github-unavailable', `Kept: the runner listing of ${describeOwner(owner)} ${why}.`, owner),
    };
  }
  return { passed: true, owner, runners: listing.runners, environment };
}
