/**
 * Builders for core tests (and any other test that needs instances, runners, snapshots or
 * a config). Every builder takes overrides; defaults describe one healthy, registered,
 * long-running idle org runner in environment `test`.
 */
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { RUNNER_APPLICATION, TAG } from '../../src/core/tags';
import {
  ownerKey,
  type Action,
  type Decision,
  type InstanceView,
  type OwnerKey,
  type OwnerRef,
  type OwnerRunners,
  type ReasonCode,
  type RunnerView,
  type Snapshot,
} from '../../src/core/types';

/** A fixed "now": Monday 2026-06-01 10:30:00 in Amsterdam (CEST, UTC+2). */
export const NOW = new Date('2026-06-01T08:30:00.000Z');
export const ENVIRONMENT = 'test';
export const ORG: OwnerRef = { type: 'Org', owner: 'my-org' };
export const REPO: OwnerRef = { type: 'Repo', owner: 'my-org/my-repo' };

/** The least environment loadConfig accepts. */
export const MINIMAL_ENV: Readonly<Record<string, string>> = {
  ENVIRONMENT,
  PARAMETER_GITHUB_APP_ID_NAME: '/gh-ci/app/id',
  PARAMETER_GITHUB_APP_KEY_BASE64_NAME: '/gh-ci/app/key',
};

/** A time before `from` (default NOW). */
export function ago(parts: { days?: number; hours?: number; minutes?: number; seconds?: number; ms?: number }, from: Date = NOW): Date {
  const ms =
    (parts.days ?? 0) * 86_400_000 +
    (parts.hours ?? 0) * 3_600_000 +
    (parts.minutes ?? 0) * 60_000 +
    (parts.seconds ?? 0) * 1000 +
    (parts.ms ?? 0);
  return new Date(from.getTime() - ms);
}

/** ISO string of a time before NOW: handy for tag values. */
export function isoAgo(parts: Parameters<typeof ago>[0], from: Date = NOW): string {
  return ago(parts, from).toISOString();
}

let defaults: Config | undefined;

/** The schema defaults (via loadConfig, so they cannot drift), then overrides. */
export function config(overrides: Partial<Config> = {}): Config {
  defaults ??= loadConfig({ ...MINIMAL_ENV });
  return { ...defaults, githubApp: { ...defaults.githubApp }, idleConfig: [...defaults.idleConfig], ...overrides };
}

/** The tags scale-up puts on a runner instance of `owner`. */
export function ownerTags(owner: OwnerRef = ORG): Record<string, string> {
  return {
    [TAG.application]: RUNNER_APPLICATION,
    [TAG.environment]: ENVIRONMENT,
    [TAG.owner]: owner.owner,
    [TAG.type]: owner.type,
  };
}

let instanceCounter = 0;

export interface InstanceOverrides extends Partial<Omit<InstanceView, 'tags'>> {
  /** Merged over the default tags; a value of undefined removes that tag. */
  tags?: Record<string, string | undefined>;
  owner?: OwnerRef;
}

/** A running instance launched a day before NOW with the owner's tags. */
export function instance(overrides: InstanceOverrides = {}): InstanceView {
  const { tags: tagOverrides = {}, owner, ...rest } = overrides;
  const tags: Record<string, string> = { ...ownerTags(owner) };
  for (const [key, value] of Object.entries(tagOverrides)) {
    if (value === undefined) delete tags[key];
    else tags[key] = value;
  }
  instanceCounter += 1;
  return {
    id: `i-${instanceCounter.toString(16).padStart(17, '0')}`,
    state: 'running',
    launchTime: ago({ days: 1 }),
    ...rest,
    tags,
  };
}

let runnerCounter = 1000;

/** An online idle runner; `for` names it after an instance (`runner-<instance id>`). */
export function runner(overrides: Partial<RunnerView> & { for?: InstanceView } = {}): RunnerView {
  const { for: of, ...rest } = overrides;
  runnerCounter += 1;
  return {
    id: runnerCounter,
    name: of ? `runner-${of.id}` : `runner-${runnerCounter}`,
    status: 'online',
    busy: false,
    labels: ['self-hosted', 'linux', 'x64'],
    ...rest,
  };
}

/** A successful listing of one owner. */
export function listing(owner: OwnerRef, runners: RunnerView[]): OwnerRunners {
  return { ok: true, owner, runners };
}

/** A failed listing of one owner. */
export function failedListing(owner: OwnerRef, error = 'HTTP 502 from GitHub'): OwnerRunners {
  return { ok: false, owner, error };
}

export interface SnapshotOverrides {
  now?: Date;
  instances?: InstanceView[];
  /** Runners of the default org owner (ORG), listed successfully. Ignored when `listings` has ORG. */
  runners?: RunnerView[];
  /** Listings per owner; an owner without one has a missing listing. */
  listings?: OwnerRunners[];
  config?: Partial<Config> | Config;
}

/** A snapshot at NOW; ORG is listed (empty unless `runners` says otherwise). */
export function snapshot(overrides: SnapshotOverrides = {}): Snapshot {
  const runnersByOwner = new Map<OwnerKey, OwnerRunners>();
  if (overrides.runners !== undefined || overrides.listings === undefined) {
    runnersByOwner.set(ownerKey(ORG), listing(ORG, overrides.runners ?? []));
  }
  for (const entry of overrides.listings ?? []) runnersByOwner.set(ownerKey(entry.owner), entry);
  return {
    now: overrides.now ?? NOW,
    instances: overrides.instances ?? [],
    runnersByOwner,
    config: config(overrides.config ?? {}),
  };
}

/**
 * One registered idle instance with its runner, and the snapshot around it: the common
 * shape of a single-rule test.
 */
export function registered(
  instanceOverrides: InstanceOverrides = {},
  runnerOverrides: Partial<RunnerView> = {},
): { instance: InstanceView; runner: RunnerView } {
  const i = instance(instanceOverrides);
  return { instance: i, runner: runner({ for: i, ...runnerOverrides }) };
}

/** What a table row expects of one decision. */
export interface Expected {
  action: Action;
  reason: ReasonCode;
  setTags?: Record<string, string>;
  removeTags?: string[];
}

/** Action, reason and bookkeeping exactly as expected, and a one-sentence message. */
export function expectDecision(d: Decision, e: Expected): void {
  expect({ action: d.action, reason: d.reason }).toEqual({ action: e.action, reason: e.reason });
  expect(d.setTags).toEqual(e.setTags);
  expect(d.removeTags === undefined ? undefined : [...d.removeTags].sort()).toEqual(e.removeTags?.slice().sort());
  expect(d.message).toMatch(/^\S.*\.$/);
}
