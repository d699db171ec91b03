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

/** Among several runners claiming the instance, a busy one wins: assume the worst. */
function preferBusy(candidates: RunnerView[]): RunnerView | undefined {
  return candidates.find((r) => r.busy) ?? candidates[0];
}

/**
 * The runner of this instance: by `ghr:github_runner_id` (JIT runners), else by a runner
 * name equal to or ending with the instance id. Falling back to the name when the id tag
 * matches nothing errs towards "registered", which only ever keeps more.
 */
export function findRunner(instance: InstanceView, runners: RunnerView[]): RunnerView | undefined {
  const id = runnerIdTag(instance);
  if (id !== undefined) {
    const byId = runners.find((r) => r.id === id);
    if (byId) return byId;
  }
  const exact = runners.filter((r) => r.name === instance.id);
  if (exact.length > 0) return preferBusy(exact);
  return preferBusy(runners.filter((r) => r.name.endsWith(instance.id)));
}
