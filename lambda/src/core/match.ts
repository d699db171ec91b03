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

/** The runners under one key, reduced to what matching needs: the first listed, and the first busy one. */
interface Claim {
  first: RunnerView;
  busy?: RunnerView;
}

function add<K>(map: Map<K, Claim>, key: K, runner: RunnerView): void {
  const claim = map.get(key);
  if (!claim) map.set(key, runner.busy ? { first: runner, busy: runner } : { first: runner });
  else if (runner.busy && !claim.busy) claim.busy = runner;
}

/**
 * One owner's runner listing, indexed so that matching an instance costs O(1) however
 * large the fleet: by runner id, by exact name, and by the last characters of each name
 * (one map per instance-id length, built the first time an id of that length is asked,
 * which is once for a real fleet: EC2 ids all have the same length). Build one per owner
 * per decision run; the listing must not change while the index is in use.
 */
export class RunnerIndex {
  private readonly byId = new Map<number, Claim>();
  private readonly byName = new Map<string, Claim>();
  /** Suffix length -> the last `length` characters of each name long enough -> claim. */
  private readonly bySuffix = new Map<number, Map<string, Claim>>();

  constructor(private readonly runners: readonly RunnerView[]) {
    for (const runner of runners) {
      add(this.byId, runner.id, runner);
      add(this.byName, runner.name, runner);
    }
  }

  /**
   * The runner of this instance, by `ghr:github_runner_id` (JIT runners), then by a name
   * equal to the instance id, then by a name ending with it; within a tier, in listing
   * order. When several runners could be it, a busy one wins across every tier (issue 8,
   * point 4): an id-tag or exact-name match must never hide a busy suffix match, or the
   * instance is reclaimed while its other registration runs a job. Falling back to the
   * name when the id tag matches nothing errs towards "registered", which only ever keeps
   * more.
   */
  find(instance: InstanceView): RunnerView | undefined {
    const id = runnerIdTag(instance);
    const tiers = [id === undefined ? undefined : this.byId.get(id), this.byName.get(instance.id), this.endingWith(instance.id)];
    for (const claim of tiers) if (claim?.busy) return claim.busy;
    for (const claim of tiers) if (claim) return claim.first;
    return undefined;
  }

  /** The runners whose name ends with `suffix` (`String.prototype.endsWith`, exactly). */
  private endingWith(suffix: string): Claim | undefined {
    const length = suffix.length;
    let map = this.bySuffix.get(length);
    if (!map) {
      map = new Map();
      for (const runner of this.runners) {
        if (runner.name.length >= length) add(map, runner.name.slice(runner.name.length - length), runner);
      }
      this.bySuffix.set(length, map);
    }
    return map.get(suffix);
  }
}

/**
 * Matching for one decision run: each owner's listing is indexed the first time one of its
 * instances is matched, and the index is reused for the rest of the run.
 */
export function runnerMatcher(): (instance: InstanceView, runners: readonly RunnerView[]) => RunnerView | undefined {
  const indexes = new Map<readonly RunnerView[], RunnerIndex>();
  return (instance, runners) => {
    let index = indexes.get(runners);
    if (!index) {
      index = new RunnerIndex(runners);
      indexes.set(runners, index);
    }
    return index.find(instance);
  };
}

/**
 * The runner of one instance in a listing (see RunnerIndex.find). Indexes the listing for
 * this one lookup: to match many instances, use a RunnerIndex or runnerMatcher.
 */
export function findRunner(instance: InstanceView, runners: readonly RunnerView[]): RunnerView | undefined {
  return new RunnerIndex(runners).find(instance);
}
