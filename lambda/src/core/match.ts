/** Who an instance serves, and which GitHub runner it is. */
import { TAG } from './tags';
import type { InstanceView, OwnerRef, RunnerView } from './types';

/** An org login: one path segment, no whitespace. */
const ORG_OWNER = /^[^/\s]+$/;
/** A repository: exactly `owner/repo`. */
const REPO_OWNER = /^[^/\s]+\/[^/\s]+$/;

/**
 * The GitHub owner from `ghr:Owner` + `ghr:Type`, or undefined when the pair is not valid
 * (an instance we cannot place is never acted on).
 */
export function ownerOf(instance: InstanceView): OwnerRef | undefined {
  const owner = instance.tags[TAG.owner];
  const type = instance.tags[TAG.type];
  if (owner === undefined) return undefined;
  if (type === 'Org' && ORG_OWNER.test(owner)) return { type, owner };
  if (type === 'Repo' && REPO_OWNER.test(owner)) return { type, owner };
  return undefined;
}

function runnerIdTag(instance: InstanceView): number | undefined {
  const raw = instance.tags[TAG.githubRunnerId]?.trim();
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Every listed runner that could be this instance's registration, best match first:
 * by `ghr:github_runner_id` (JIT runners), then by a name equal to the instance id, then
 * by a name ending with it.
 */
export function claimingRunners(instance: InstanceView, runners: RunnerView[]): RunnerView[] {
  const id = runnerIdTag(instance);
  const byId = id === undefined ? [] : runners.filter((r) => r.id === id);
  const exact = runners.filter((r) => r.name === instance.id);
  const suffix = runners.filter((r) => r.name.endsWith(instance.id));
  return [...new Set([...byId, ...exact, ...suffix])];
}

/**
 * The runner of this instance. When several runners could be it, a busy one wins across
 * every tier (issue 8, point 4): an id-tag or exact-name match must never hide a busy
 * suffix match, or the instance is reclaimed while its other registration runs a job.
 * Falling back to the name when the id tag matches nothing errs towards "registered",
 * which only ever keeps more.
 */
export function findRunner(instance: InstanceView, runners: RunnerView[]): RunnerView | undefined {
  const claimants = claimingRunners(instance, runners);
  return claimants.find((r) => r.busy) ?? claimants[0];
}
