/**
 * Bookkeeping tags (idle-since, orphan marks, removing a draining mark after a refused
 * DELETE). Instances that need the same change share one CreateTags/DeleteTags call, so a
 * thousand first idle sightings in one run cost one call, not a thousand. A failure here
 * never makes anything less safe: the marks only ever delay an action.
 */
import type { Ec2Port } from '../adapters/ports';
import { errorText } from './outcome';

export interface TagChange {
  instanceId: string;
  set?: Readonly<Record<string, string>>;
  remove?: readonly string[];
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Applies removals first, then additions: a change that sets and removes a key ends with it set. */
export async function applyTagChanges(ec2: Ec2Port, changes: readonly TagChange[]): Promise<string[]> {
  const errors: string[] = [];
  const removals = changes.filter((c) => c.remove && c.remove.length > 0);
  for (const group of groupBy(removals, (c) => JSON.stringify([...(c.remove ?? [])].sort())).values()) {
    const keys = [...(group[0]?.remove ?? [])].sort();
    const ids = group.map((c) => c.instanceId);
    try {
      await ec2.removeTags(ids, keys);
    } catch (error) {
      errors.push(`removing tags ${keys.join(',')} from ${ids.join(',')} failed: ${errorText(error)}`);
    }
  }
  const additions = changes.filter((c) => c.set && Object.keys(c.set).length > 0);
  const sortedEntries = (c: TagChange) => Object.entries(c.set ?? {}).sort(([a], [b]) => a.localeCompare(b));
  for (const group of groupBy(additions, (c) => JSON.stringify(sortedEntries(c))).values()) {
    const tags = group[0]?.set ?? {};
    const ids = group.map((c) => c.instanceId);
    try {
      await ec2.setTags(ids, tags);
    } catch (error) {
      errors.push(`setting tags ${Object.keys(tags).join(',')} on ${ids.join(',')} failed: ${errorText(error)}`);
    }
  }
  return errors;
}

/** The bookkeeping the decision core asked for. */
export function decisionTagChanges(
  decisions: readonly { instanceId: string; setTags?: Record<string, string>; removeTags?: string[] }[],
): TagChange[] {
  return decisions
    .filter((d) => (d.setTags && Object.keys(d.setTags).length > 0) || (d.removeTags && d.removeTags.length > 0))
    .map((d) => ({
      instanceId: d.instanceId,
      ...(d.setTags ? { set: d.setTags } : {}),
      ...(d.removeTags ? { remove: d.removeTags } : {}),
    }));
}
