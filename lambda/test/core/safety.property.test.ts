/**
 * Property test: thousands of random snapshots (seeded, so every run checks the same
 * ones), and the safety contract checked on every decision without reusing the core's
 * own helpers where that matters (runner matching and job evidence are re-derived here).
 */
import type { Config, IdleWindow } from '../../src/config/schema';
import { decideOrphans } from '../../src/core/orphan';
import { judgeAfterSettle, judgeBeforeDelete } from '../../src/core/recheck';
import { decideScaleDown } from '../../src/core/scale-down';
import { RUNNER_APPLICATION, TAG } from '../../src/core/tags';
import {
  ownerKey,
  type Decision,
  type InstanceView,
  type OwnerKey,
  type OwnerRef,
  type OwnerRunners,
  type RunnerRead,
  type RunnerView,
  type Snapshot,
} from '../../src/core/types';
import { config, ENVIRONMENT, NOW } from './fixtures';

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly next: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  /** A tag time around NOW: seconds to days ago, sometimes in the future, sometimes garbage. */
  tagTime(): string {
    const roll = this.next();
    if (roll < 0.08) return this.pick(['garbage', '', 'yesterday', '2026-13-45T99:00:00Z']);
    const secondsAgo = this.pick([
      this.int(-120, 0),
      this.int(0, 180),
      this.int(0, 3600),
      this.int(0, 86_400),
      this.int(20_000, 30_000),
      this.pick([59, 60, 61, 119, 120, 121, 21_599, 21_600, 21_601]),
    ]);
    return new Date(NOW.getTime() - secondsAgo * 1000).toISOString();
  }
}

const OWNERS: OwnerRef[] = [
  { type: 'Org', owner: 'org-a' },
  { type: 'Org', owner: 'org-b' },
  { type: 'Repo', owner: 'org-a/repo-1' },
];

function randomInstance(g: Gen, n: number): InstanceView {
  const tags: Record<string, string> = {};
  const put = (p: number, key: string, value: () => string) => {
    if (g.chance(p)) tags[key] = value();
  };
  tags[TAG.application] = g.chance(0.97) ? RUNNER_APPLICATION : 'other';
  tags[TAG.environment] = g.chance(0.97) ? ENVIRONMENT : 'prod';
  const owner = g.pick(OWNERS);
  if (g.chance(0.95)) {
    tags[TAG.owner] = g.chance(0.95) ? owner.owner : g.pick(['a/b/c', '', 'x y']);
    tags[TAG.type] = g.chance(0.95) ? owner.type : g.pick(['Team', 'org', 'Repo', 'Org']);
  }
  put(0.05, TAG.bypassRemoval, () => g.pick(['true', 'false', 'TRUE']));
  put(0.25, TAG.job, () => g.pick(['123/build', '9/test', '', ' ']));
  put(0.35, TAG.jobStartedAt, () => g.tagTime());
  put(0.35, TAG.lastJobCompletedAt, () => g.tagTime());
  put(0.5, TAG.idleSince, () => g.tagTime());
  put(0.2, TAG.drainingSince, () => g.tagTime());
  put(0.3, TAG.orphanSince, () => g.tagTime());
  put(0.3, TAG.orphan, () => 'true');
  put(0.2, TAG.githubRunnerId, () => String(g.int(1, 40)));
  const launchedSecondsAgo = g.pick([g.int(0, 600), g.int(0, 86_400), 300, 299]);
  return {
    id: `i-${n.toString(16).padStart(8, '0')}`,
    state: g.chance(0.9) ? 'running' : g.pick(['pending', 'stopping', 'stopped', 'shutting-down'] as const),
    launchTime: g.chance(0.02) ? new Date(Number.NaN) : new Date(NOW.getTime() - launchedSecondsAgo * 1000),
    tags,
  };
}

function randomRunners(g: Gen, instances: InstanceView[]): RunnerView[] {
  const runners: RunnerView[] = [];
  for (const i of instances) {
    if (!g.chance(0.65)) continue;
    const byId = i.tags[TAG.githubRunnerId];
    const name = g.pick([i.id, `env-${i.id}`, `ghr-${i.id}`]);
    const id = byId !== undefined && g.chance(0.7) ? Number(byId) : g.int(100, 10_000);
    runners.push({ id, name, status: g.chance(0.9) ? 'online' : 'offline', busy: g.chance(0.3), labels: [] });
  }
  for (let k = g.int(0, 2); k > 0; k -= 1) {
    runners.push({ id: g.int(1, 40), name: `stray-${g.int(0, 99)}`, status: 'online', busy: g.chance(0.5), labels: [] });
  }
  return runners;
}

function randomConfig(g: Gen, base: Config): Config {
  const windows: IdleWindow[] = g.chance(0.3)
    ? [
        {
          cron: g.pick(['* * * * *', '* * 9-17 * * 1-5', '* 0 * * *']),
          timeZone: g.pick(['UTC', 'Europe/Amsterdam']),
          idleCount: g.int(0, 3),
          evictionStrategy: g.pick(['oldest_first', 'newest_first'] as const),
        },
      ]
    : [];
  return {
    ...base,
    jobEvidence: g.pick(['hooks', 'off'] as const),
    idleConfirmationSeconds: g.pick([0, 60, 120]),
    minimumRunningTimeMinutes: ((m: number) => ({ linux: m, windows: m, macos: m }))(g.pick([0, 5])),
    runnerBootTimeMinutes: g.pick([0, 5]),
    maxJobDurationMinutes: g.pick([1, 360]),
    idleConfig: windows,
  };
}

function randomSnapshot(seed: number, base: Config): Snapshot {
  const g = new Gen(prng(seed));
  const instances = Array.from({ length: g.int(1, 8) }, (_, n) => randomInstance(g, n));
  const runnersByOwner = new Map<OwnerKey, OwnerRunners>();
  for (const owner of OWNERS) {
    const roll = g.next();
    if (roll < 0.1) continue; // missing listing
    const mine = instances.filter((i) => i.tags[TAG.owner] === owner.owner);
    runnersByOwner.set(
      ownerKey(owner),
      roll < 0.2 ? { ok: false, owner, error: 'boom' } : { ok: true, owner, runners: randomRunners(g, mine) },
    );
  }
  return { now: NOW, instances, runnersByOwner, config: randomConfig(g, base) };
}

// --- independent oracles -------------------------------------------------------------

function validOwner(i: InstanceView): OwnerRef | undefined {
  const owner = i.tags[TAG.owner];
  const type = i.tags[TAG.type];
  if (!owner || /\s/.test(owner)) return undefined;
  const slashes = owner.split('/').length - 1;
  if (type === 'Org' && slashes === 0) return { type, owner };
  if (type === 'Repo' && slashes === 1 && !owner.startsWith('/') && !owner.endsWith('/')) return { type, owner };
  return undefined;
}

/** Every listed runner that could be this instance's, by id tag or by name. */
function claimants(i: InstanceView, runners: RunnerView[]): RunnerView[] {
  const idTag = i.tags[TAG.githubRunnerId];
  return runners.filter((r) => String(r.id) === idTag || r.name.endsWith(i.id));
}

function ageMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : NOW.getTime() - t;
}

const BOOKKEEPING = new Set<string>([TAG.idleSince, TAG.drainingSince, TAG.orphan, TAG.orphanSince]);

function violations(s: Snapshot, decisions: Decision[], core: 'scale-down' | 'orphan'): string[] {
  const found: string[] = [];
  const fail = (i: InstanceView, d: Decision, what: string) => found.push(`${i.id} ${d.action}/${d.reason}: ${what}`);
  if (decisions.length !== s.instances.length) return [`${decisions.length} decisions for ${s.instances.length} instances`];
  const cfg = s.config;
  s.instances.forEach((i, k) => {
    const d = decisions[k]!;
    if (d.instanceId !== i.id) fail(i, d, 'decision out of order');
    for (const key of [...Object.keys(d.setTags ?? {}), ...(d.removeTags ?? [])]) {
      if (!BOOKKEEPING.has(key)) fail(i, d, `touches tag ${key}`);
    }
    for (const [key, value] of Object.entries(d.setTags ?? {})) {
      if (key !== TAG.orphan && value !== NOW.toISOString()) fail(i, d, `writes ${key}=${value}, not now`);
    }
    if (d.action === 'keep') return;

    if (core === 'scale-down' && d.action !== 'reclaim') fail(i, d, 'scale-down may only reclaim');
    if (core === 'orphan' && d.action !== 'terminate') fail(i, d, 'orphan-cleanup may only terminate');
    if (/^true$/i.test(i.tags[TAG.bypassRemoval]?.trim() ?? '')) fail(i, d, 'bypass tag');
    if (i.state !== 'running') fail(i, d, `state ${i.state}`);
    if (i.tags[TAG.environment] !== ENVIRONMENT || i.tags[TAG.application] !== RUNNER_APPLICATION) fail(i, d, 'not ours');
    const owner = validOwner(i);
    if (!owner) return fail(i, d, 'no valid owner');
    const listing = s.runnersByOwner.get(ownerKey(owner));
    if (!listing || !listing.ok) return fail(i, d, 'owner listing failed or missing');
    const candidates = claimants(i, listing.runners);
    const jobTag = (i.tags[TAG.job] ?? '').trim() !== '';
    const launchedMs = NOW.getTime() - i.launchTime.getTime();

    if (core === 'scale-down') {
      if (jobTag) fail(i, d, 'ghr:job present');
      if (candidates.length === 0) fail(i, d, 'no registered runner');
      if (candidates.some((r) => r.busy) && !candidates.some((r) => String(r.id) === i.tags[TAG.githubRunnerId] && !r.busy)) {
        fail(i, d, 'a busy runner claims it');
      }
      if (!(launchedMs >= cfg.minimumRunningTimeMinutes.linux * 60_000)) fail(i, d, 'too young');
      const idleAge = ageMs(i.tags[TAG.idleSince]);
      const needed = cfg.idleConfirmationSeconds * 1000 * (cfg.jobEvidence === 'off' ? 2 : 1);
      if (idleAge === undefined || idleAge < needed) fail(i, d, `idle ${idleAge} ms < ${needed} ms`);
      for (const key of [TAG.jobStartedAt, TAG.lastJobCompletedAt]) {
        const jobAge = ageMs(i.tags[key]);
        if (i.tags[key] !== undefined && jobAge === undefined) fail(i, d, `unparsable ${key}`);
        if (jobAge !== undefined && idleAge !== undefined && jobAge < idleAge) fail(i, d, `${key} after idle-since`);
      }
    } else {
      if (candidates.length > 0) fail(i, d, 'a runner is registered for it');
      const maxMs = cfg.maxJobDurationMinutes * 60_000;
      if (d.reason === 'max-job-duration-exceeded') {
        if (!jobTag) fail(i, d, 'overdue without ghr:job');
        const startedKey = i.tags[TAG.jobStartedAt] !== undefined ? TAG.jobStartedAt : TAG.drainingSince;
        const age = ageMs(i.tags[startedKey]);
        if (age === undefined || age < maxMs) fail(i, d, `job age ${age} ms below the maximum`);
      } else {
        if (jobTag) fail(i, d, 'ghr:job present');
        if (cfg.jobEvidence === 'off') {
          const waited = Math.max(ageMs(i.tags[TAG.drainingSince]) ?? -1, ageMs(i.tags[TAG.orphanSince]) ?? -1);
          if (waited < maxMs) fail(i, d, `JOB_EVIDENCE=off and only ${waited} ms waited`);
        }
        if (d.reason === 'orphan-confirmed') {
          const orphanAge = ageMs(i.tags[TAG.orphanSince]);
          if (orphanAge === undefined || orphanAge < cfg.idleConfirmationSeconds * 1000) fail(i, d, 'orphan not confirmed');
          if (!(launchedMs >= cfg.runnerBootTimeMinutes * 60_000)) fail(i, d, 'still booting');
        }
      }
    }
  });
  return found;
}

const CASES = 3000;

describe('safety invariants over random snapshots', () => {
  const base = config();

  test.each([
    ['decideScaleDown', decideScaleDown, 'scale-down', ['idle-confirmed']],
    ['decideOrphans', decideOrphans, 'orphan', ['orphan-confirmed', 'drained', 'max-job-duration-exceeded']],
  ] as const)('%s never acts against the evidence', (_name, decide, core, actingReasons) => {
    const problems: string[] = [];
    const reasons = new Map<string, number>();
    for (let seed = 1; seed <= CASES && problems.length < 5; seed += 1) {
      const s = randomSnapshot(seed, base);
      const decisions = decide(s);
      for (const d of decisions) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
      problems.push(...violations(s, decisions, core).map((p) => `seed ${seed}: ${p}`));
    }
    expect(problems).toEqual([]);
    // The generator must reach every acting rule often, or the invariants prove nothing.
    for (const reason of actingReasons) expect([reason, (reasons.get(reason) ?? 0) >= 20]).toEqual([reason, true]);
    expect(reasons.size).toBeGreaterThanOrEqual(core === 'scale-down' ? 14 : 15);
  });

  test('the executor judgements never let a job, a busy runner or an unknown through', () => {
    const g = new Gen(prng(424242));
    const problems: string[] = [];
    let terminated = 0;
    for (let n = 0; n < CASES; n += 1) {
      const fresh = g.chance(0.1) ? undefined : randomInstance(g, n);
      const reason = g.pick(['idle-confirmed', 'orphan-confirmed', 'drained', 'max-job-duration-exceeded'] as const);
      const decision: Decision = { instanceId: fresh?.id ?? 'i-x', action: 'terminate', reason, message: '.' };
      const r: RunnerView = { id: 1, name: 'r', status: 'online', busy: g.chance(0.4), labels: [] };
      const read: RunnerRead = g.pick([{ kind: 'found', runner: r }, { kind: 'gone' }, { kind: 'error', error: 'x' }] as const);
      const markedAt = new Date(NOW.getTime() - g.int(0, 3600) * 1000);
      const jobTag = (fresh?.tags[TAG.job] ?? '').trim() !== '';
      const bypass = /^true$/i.test(fresh?.tags[TAG.bypassRemoval]?.trim() ?? '');

      const after = judgeAfterSettle({ decision, fresh, runnerRead: g.chance(0.5) ? read : undefined, markedAt, jobEvidence: g.pick(['hooks', 'off'] as const) });
      if (after.terminate) {
        terminated += 1;
        const jobAfterMark = [TAG.jobStartedAt, TAG.lastJobCompletedAt].some((key) => {
          const v = fresh?.tags[key];
          return v !== undefined && (Number.isNaN(Date.parse(v)) || Date.parse(v) > markedAt.getTime());
        });
        if (!fresh || bypass || jobAfterMark || (jobTag && reason !== 'max-job-duration-exceeded')) problems.push(`after ${n}: evidence ignored`);
        if (after.reason !== reason) problems.push(`after ${n}: reason changed`);
      }
      const before = judgeBeforeDelete(decision, read, fresh);
      if (before.proceed && (!fresh || bypass || jobTag || read.kind === 'error' || (read.kind === 'found' && read.runner.busy))) {
        problems.push(`before ${n}: proceeded against evidence`);
      }
      if (before.skipDelete && read.kind !== 'gone') problems.push(`before ${n}: skipped a needed DELETE`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(terminated).toBeGreaterThan(CASES / 20);
  });
});
