/**
 * Property test: thousands of random snapshots (seeded, so every run checks the same
 * ones), and the safety contract checked on every decision without reusing the core's
 * own helpers where that matters: runner matching, job evidence, tag times and the
 * machine evidence an instance may claim (marker, SSM reachability, JOB_EVIDENCE) are
 * re-derived here, and every rule that relaxes where evidence exists is checked against
 * the evidence the instance really has.
 */
import type { Config, IdleWindow } from '../../src/config/schema';
import { decideOrphans } from '../../src/core/orphan';
import { judgeAfterSettle, judgeBeforeDelete } from '../../src/core/recheck';
import { decideScaleDown } from '../../src/core/scale-down';
import { RUNNER_APPLICATION, TAG } from '../../src/core/tags';
import { hookTagsOf } from '../../src/core/evidence';
import {
  ownerKey,
  type Decision,
  type ProbeRead,
  type InstanceView,
  type OwnerKey,
  type OwnerRef,
  type OwnerRunners,
  type RunnerRead,
  type RunnerView,
  type Snapshot,
} from '../../src/core/types';
import { Gen as BaseGen, prng } from '../helpers/random';
import { config, ENVIRONMENT, NOW } from './fixtures';

class Gen extends BaseGen {
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
  put(0.5, TAG.jobHooks, () => g.pick(['1', '1', '1', ' 1', '0', '']));
  put(0.25, TAG.job, () => g.pick(['123/build', '9/test', '', ' ']));
  put(0.35, TAG.jobStartedAt, () => g.tagTime());
  put(0.35, TAG.lastJobCompletedAt, () => g.tagTime());
  put(0.5, TAG.idleSince, () => g.tagTime());
  put(0.2, TAG.drainingSince, () => g.tagTime());
  put(0.3, TAG.reaperOrphanSince, () => g.tagTime());
  put(0.1, TAG.legacyOrphanSince, () => g.tagTime());
  put(0.2, TAG.orphan, () => 'true');
  put(0.2, TAG.githubRunnerId, () => String(g.int(1, 40)));
  put(0.08, TAG.deleteFailures, () => g.pick(['1', '2', '5', '40', 'x']));
  put(0.1, TAG.deleteFailedAt, () => g.tagTime());
  put(0.05, TAG.terminationRefusedAt, () => g.tagTime());
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
  const registeredShare = g.pick([0.65, 0.65, 0.2]);
  for (const i of instances) {
    if (!g.chance(registeredShare)) continue;
    // Sometimes two registrations claim one instance, by different tiers.
    for (let k = g.chance(0.15) ? 2 : 1; k > 0; k -= 1) {
      const byId = i.tags[TAG.githubRunnerId];
      const name = g.pick([i.id, `env-${i.id}`, `ghr-${i.id}`]);
      const id = byId !== undefined && g.chance(0.7) ? Number(byId) : g.int(100, 10_000);
      runners.push({ id, name, status: g.chance(0.9) ? 'online' : 'offline', busy: g.chance(0.3), labels: [] });
    }
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
  const maxJobDurationMinutes = g.pick([1, 360]);
  return {
    ...base,
    jobEvidence: g.pick(['auto', 'auto', 'hooks', 'off'] as const), // auto, the default, most often
    idleConfirmationSeconds: g.pick([0, 60, 120]),
    minimumRunningTimeMinutes: ((m: number) => ({ linux: m, windows: m, macos: m }))(g.pick([0, 5])),
    runnerBootTimeMinutes: g.pick([0, 5]),
    maxJobDurationMinutes,
    unregisteredHold: {
      maxMinutes: g.pick([maxJobDurationMinutes, maxJobDurationMinutes, 60, 1000]),
      maxInstances: g.pick([0, 0, 1, 1, 2]),
    },
    idlePoolScope: g.pick(['owner', 'environment'] as const),
    idleConfig: windows,
  };
}

function randomSnapshot(seed: number, base: Config): Snapshot {
  const g = new Gen(prng(seed));
  const instances = Array.from({ length: g.int(1, g.chance(0.3) ? 16 : 8) }, (_, n) => randomInstance(g, n));
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
  const probeRoll = g.next();
  // Sometimes SSM reaches every instance: hooks instances the probe is asked about too.
  const onlineShare = g.pick([0.6, 0.6, 1]);
  const probe =
    probeRoll < 0.3
      ? undefined
      : {
          enabled: probeRoll > 0.35,
          online: new Set(instances.filter(() => g.chance(onlineShare)).map((i) => i.id)),
          ...(g.chance(0.1) ? { error: 'AccessDenied' } : {}),
        };
  const cfg = randomConfig(g, base);
  if (g.chance(0.08)) {
    // A crowd held without registration and evidence, so the capacity bound gets exercised.
    cfg.jobEvidence = 'off';
    cfg.unregisteredHold = { ...cfg.unregisteredHold, maxInstances: g.int(1, 3) };
    for (const i of instances) {
      if (!g.chance(0.8)) continue;
      const { [TAG.job]: _j, [TAG.drainingSince]: _d, ...tags } = i.tags;
      i.tags = { ...tags, [TAG.reaperOrphanSince]: new Date(NOW.getTime() - g.int(60, 3000) * 1000).toISOString() };
    }
  }
  return { now: NOW, instances, runnersByOwner, ...(probe ? { probe } : {}), config: cfg };
}

// --- independent oracles -------------------------------------------------------------

const MINUTE = 60_000;

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
  return runners.filter((r) => String(r.id) === idTag?.trim() || r.name.endsWith(i.id));
}

/** Age in ms of a time tag, undefined when absent, unparsable or more than 5 minutes ahead. */
function ageMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t) || t > NOW.getTime() + 5 * MINUTE) return undefined;
  return NOW.getTime() - t;
}

/** A job-time tag present that ageMs cannot read. */
const unreadable = (i: InstanceView) => [TAG.jobStartedAt, TAG.lastJobCompletedAt].some((k) => i.tags[k] !== undefined && ageMs(i.tags[k]) === undefined);
const hasJobTag = (i: InstanceView) => i.tags[TAG.job] !== undefined;
const markerOk = (i: InstanceView) => i.tags[TAG.jobHooks]?.trim() === '1';
const probeReaches = (s: Snapshot, i: InstanceView) => s.config.jobEvidence === 'auto' && !!s.probe?.enabled && !s.probe.error && s.probe.online.has(i.id);

/** The evidence a decision may claim: never more than the instance proves. */
function allowedEvidence(s: Snapshot, i: InstanceView): Set<string> {
  const allowed = new Set(['none']);
  if (s.config.jobEvidence === 'off' || unreadable(i)) return allowed;
  if (markerOk(i)) allowed.add('hooks');
  if (probeReaches(s, i)) allowed.add('probe');
  return allowed;
}

const BOOKKEEPING = new Set<string>([TAG.idleSince, TAG.drainingSince, TAG.reaperOrphanSince, TAG.legacyOrphanSince, TAG.orphan]);
/** Keys the reaper may write; `ghr:orphan` is never among them (github-aws-runners kills on it). */
const WRITABLE = new Set<string>([TAG.idleSince, TAG.reaperOrphanSince]);

function violations(s: Snapshot, decisions: Decision[], core: 'scale-down' | 'orphan'): string[] {
  const found: string[] = [];
  const fail = (i: InstanceView, d: Decision, what: string) => found.push(`${i.id} ${d.action}/${d.reason}: ${what}`);
  if (decisions.length !== s.instances.length) return [`${decisions.length} decisions for ${s.instances.length} instances`];
  const cfg = s.config;
  const maxMs = cfg.maxJobDurationMinutes * MINUTE;
  const holdMs = Math.min(cfg.unregisteredHold.maxMinutes, cfg.maxJobDurationMinutes) * MINUTE;
  s.instances.forEach((i, k) => {
    const d = decisions[k]!;
    if (d.instanceId !== i.id) fail(i, d, 'decision out of order');
    for (const key of d.removeTags ?? []) if (!BOOKKEEPING.has(key)) fail(i, d, `removes tag ${key}`);
    for (const [key, value] of Object.entries(d.setTags ?? {})) {
      if (!WRITABLE.has(key)) fail(i, d, `writes tag ${key}`);
      // Marks are now, or 0.1.0's orphan time carried over.
      if (value !== NOW.toISOString() && !(key === TAG.reaperOrphanSince && value === i.tags[TAG.legacyOrphanSince])) fail(i, d, `writes ${key}=${value}`);
    }
    if (d.removeTags?.includes(TAG.orphan) && i.tags[TAG.legacyOrphanSince] === undefined) fail(i, d, "removes github-aws-runners' own ghr:orphan");
    if (d.evidence !== undefined && !allowedEvidence(s, i).has(d.evidence)) fail(i, d, `claims evidence ${d.evidence}`);
    const asks = d.evidence === 'probe' || (d.evidence === 'hooks' && d.probeToo === true);
    if (d.probeToo && !(d.evidence === 'hooks' && probeReaches(s, i))) fail(i, d, 'probeToo without hooks evidence and a probe that reaches it');
    if (d.probeOptional && !asks) fail(i, d, 'probeOptional on a decision that does not ask the probe');
    if (d.action === 'keep') return;

    // The hooks lag a job's set-up: wherever the probe reaches an instance that an action on
    // "no job runs" rests on machine evidence for, the executors must ask it. (Cutting short
    // a job overdue by its own ghr:job tag is not such an action.)
    if (d.evidence !== 'none' && d.reason !== 'max-job-duration-exceeded' && probeReaches(s, i) && !asks) fail(i, d, 'the probe reaches it but is not asked');

    if (d.evidence === undefined) fail(i, d, 'acts without naming its evidence');
    if (d.environment !== i.tags[TAG.environment]) fail(i, d, 'environment label wrong');
    if (core === 'scale-down' && d.action !== 'reclaim') fail(i, d, 'scale-down may only reclaim');
    if (core === 'orphan' && d.action !== 'terminate') fail(i, d, 'orphan-cleanup may only terminate');
    if (/^true$/i.test(i.tags[TAG.bypassRemoval]?.trim() ?? '')) fail(i, d, 'bypass tag');
    if (i.state !== 'running') fail(i, d, `state ${i.state}`);
    if (i.tags[TAG.environment] !== ENVIRONMENT || i.tags[TAG.application] !== RUNNER_APPLICATION) fail(i, d, 'not ours');
    const refusedAge = ageMs(i.tags[TAG.terminationRefusedAt]);
    if (refusedAge !== undefined && refusedAge < 60 * MINUTE) fail(i, d, 'EC2 refused it less than an hour ago');
    const owner = validOwner(i);
    if (!owner) return fail(i, d, 'no valid owner');
    const listing = s.runnersByOwner.get(ownerKey(owner));
    if (!listing || !listing.ok) return fail(i, d, 'owner listing failed or missing');
    const candidates = claimants(i, listing.runners);
    const launchedMs = NOW.getTime() - i.launchTime.getTime();

    if (core === 'scale-down') {
      if (candidates.length === 0) fail(i, d, 'no registered runner');
      if (candidates.some((r) => r.busy)) fail(i, d, 'a busy runner claims it');
      if (!(launchedMs >= cfg.minimumRunningTimeMinutes.linux * MINUTE)) fail(i, d, 'too young');
      const idleAge = ageMs(i.tags[TAG.idleSince]);
      if (hasJobTag(i)) {
        const startAge = ageMs(i.tags[TAG.jobStartedAt]);
        const stale = startAge !== undefined ? startAge >= maxMs : (idleAge ?? -1) >= maxMs;
        if (d.reason !== 'stale-job-evidence' || !stale) fail(i, d, 'ghr:job present and not stale');
        if (d.evidence === 'hooks') fail(i, d, 'stale hooks claimed as evidence');
      } else if (d.reason === 'stale-job-evidence') fail(i, d, 'stale without ghr:job');
      const failures = i.tags[TAG.deleteFailures] === undefined ? 0 : /^\d+$/.test(i.tags[TAG.deleteFailures]!) ? Math.max(1, Number(i.tags[TAG.deleteFailures])) : 1;
      const failedAge = ageMs(i.tags[TAG.deleteFailedAt]);
      if (failures > 0 && failedAge !== undefined && failedAge < Math.min(5 * MINUTE * 2 ** (failures - 1), 120 * MINUTE)) fail(i, d, 'inside its DELETE back-off');
      const conf = cfg.idleConfirmationSeconds * 1000;
      if (unreadable(i) && !((idleAge ?? -1) >= maxMs)) fail(i, d, 'unreadable job times before the bound');
      if (d.evidence === 'none') {
        // Only GitHub's word: two sightings spanning twice the confirmation, no job between.
        if (idleAge === undefined || idleAge < 2 * conf) fail(i, d, `idle ${idleAge} ms < ${2 * conf} ms without evidence`);
        for (const key of [TAG.jobStartedAt, TAG.lastJobCompletedAt]) {
          const jobAge = ageMs(i.tags[key]);
          if (jobAge !== undefined && idleAge !== undefined && jobAge < idleAge) fail(i, d, `${key} after idle-since`);
        }
      }
      // With machine evidence the executor's look and re-check are the confirmation: the
      // decision must hand them the hook tags it saw.
      if (d.evidence !== 'none' && d.hookTags === undefined) fail(i, d, 'machine evidence without the hook tags seen');
      if (d.probeOptional) {
        // Without the probe's answer: the conservative confirmation for probe evidence, a
        // second sighting for hooks; no job between the sightings either way.
        const needed = d.evidence === 'hooks' ? conf : 2 * conf;
        if (idleAge === undefined || idleAge < needed) fail(i, d, `probeOptional after ${idleAge} ms idle, before ${needed} ms`);
        for (const key of [TAG.jobStartedAt, TAG.lastJobCompletedAt]) {
          const jobAge = ageMs(i.tags[key]);
          if (jobAge !== undefined && idleAge !== undefined && jobAge < idleAge) fail(i, d, `probeOptional with ${key} after idle-since`);
        }
      }
    } else {
      if (candidates.length > 0) fail(i, d, 'a runner is registered for it');
      const unregisteredAge = Math.max(
        ageMs(i.tags[TAG.drainingSince]) ?? -1,
        ageMs(i.tags[TAG.reaperOrphanSince]) ?? (i.tags[TAG.reaperOrphanSince] === undefined ? ageMs(i.tags[TAG.legacyOrphanSince]) ?? -1 : -1),
      );
      if (d.reason === 'max-job-duration-exceeded') {
        if (!hasJobTag(i)) fail(i, d, 'overdue without ghr:job');
        const startAge = ageMs(i.tags[TAG.jobStartedAt]);
        const age = startAge ?? unregisteredAge;
        if (age < maxMs) fail(i, d, `job age ${age} ms below the maximum`);
      } else {
        if (hasJobTag(i)) fail(i, d, 'ghr:job present');
        if (d.reason === 'unregistered-hold-limit') {
          if (cfg.unregisteredHold.maxInstances <= 0) fail(i, d, 'hold limit without the operator asking for it');
        } else if (d.evidence === 'none') {
          if (unregisteredAge < holdMs) fail(i, d, `no evidence and only ${unregisteredAge} ms held`);
          if (unregisteredAge < maxMs && d.reason !== 'unregistered-hold-exceeded') fail(i, d, 'safety traded silently');
        } else if (d.reason === 'unregistered-hold-exceeded') fail(i, d, 'hold bound with machine evidence');
        if (d.reason === 'orphan-confirmed' && d.evidence === 'none') {
          if (!(launchedMs >= cfg.runnerBootTimeMinutes * MINUTE)) fail(i, d, 'still booting');
        }
        if (d.reason === 'orphan-confirmed' && d.evidence !== 'none') {
          if (!(launchedMs >= cfg.runnerBootTimeMinutes * MINUTE)) fail(i, d, 'still booting');
          if (d.hookTags === undefined) fail(i, d, 'machine evidence without the hook tags seen');
        }
        if (unreadable(i) && d.reason !== 'unregistered-hold-limit' && unregisteredAge < maxMs) fail(i, d, 'unreadable job times before the bound');
        if (d.probeOptional && d.evidence === 'probe' && unregisteredAge < maxMs) fail(i, d, 'probeOptional before MAX_JOB_DURATION_MINUTES unregistered');
        if (d.probeOptional && d.evidence === 'hooks') {
          // Hooks without the probe's answer: the mark this rule rests on is a first sighting
          // at least IDLE_CONFIRMATION_SECONDS old, with no job since it.
          const mark = d.reason === 'drained' ? TAG.drainingSince : i.tags[TAG.reaperOrphanSince] !== undefined ? TAG.reaperOrphanSince : TAG.legacyOrphanSince;
          const markAge = ageMs(i.tags[mark]);
          const conf = cfg.idleConfirmationSeconds * 1000;
          if (markAge === undefined || markAge < conf) fail(i, d, `probeOptional with ${mark} ${markAge} ms old, before ${conf} ms`);
          for (const key of [TAG.jobStartedAt, TAG.lastJobCompletedAt]) {
            const jobAge = ageMs(i.tags[key]);
            if (jobAge !== undefined && markAge !== undefined && jobAge < markAge) fail(i, d, `probeOptional with ${key} after ${mark}`);
          }
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
    ['decideScaleDown', decideScaleDown, 'scale-down', ['idle-confirmed', 'stale-job-evidence']],
    ['decideOrphans', decideOrphans, 'orphan', ['orphan-confirmed', 'drained', 'max-job-duration-exceeded', 'unregistered-hold-exceeded', 'unregistered-hold-limit']],
  ] as const)('%s never acts against the evidence', (_name, decide, core, actingReasons) => {
    const problems: string[] = [];
    const reasons = new Map<string, number>();
    const evidence = new Map<string, number>();
    for (let seed = 1; seed <= CASES && problems.length < 5; seed += 1) {
      const s = randomSnapshot(seed, base);
      const decisions = decide(s);
      for (const d of decisions) {
        reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
        if (d.action !== 'keep') evidence.set(d.evidence ?? '?', (evidence.get(d.evidence ?? '?') ?? 0) + 1);
        if (d.action !== 'keep' && d.probeToo) evidence.set(d.probeOptional ? 'hooks, probe too, optional' : 'hooks, probe too', (evidence.get(d.probeOptional ? 'hooks, probe too, optional' : 'hooks, probe too') ?? 0) + 1);
      }
      problems.push(...violations(s, decisions, core).map((p) => `seed ${seed}: ${p}`));
    }
    expect(problems).toEqual([]);
    // The generator must reach every acting rule and every evidence source often, or the invariants prove nothing.
    for (const reason of actingReasons) expect([reason, (reasons.get(reason) ?? 0) >= 20]).toEqual([reason, true]);
    // Hooks where the probe reaches too, and those of them past a second sighting (rarer: it
    // takes an old idle or orphan mark with no job since), must be reached as well.
    const least: Record<string, number> = { hooks: 20, probe: 20, none: 20, 'hooks, probe too': 20, 'hooks, probe too, optional': 10 };
    for (const [source, count] of Object.entries(least)) expect([source, (evidence.get(source) ?? 0) >= count]).toEqual([source, true]);
    expect(reasons.size).toBeGreaterThanOrEqual(core === 'scale-down' ? 17 : 17);
  });

  test('the executor judgements never let a job, a busy runner or an unknown through', () => {
    const g = new Gen(prng(424242));
    const problems: string[] = [];
    let terminated = 0;
    let proceeded = 0;
    for (let n = 0; n < CASES; n += 1) {
      const seen = randomInstance(g, n);
      // The re-read: gone, the same, with a hook that fired, or a partial answer without tags.
      const roll = g.next();
      const fresh: InstanceView | undefined =
        roll < 0.1 ? undefined : roll < 0.55 ? seen : roll < 0.9 ? randomInstance(g, n) : { ...seen, tags: {} };
      const reason = g.pick(['idle-confirmed', 'stale-job-evidence', 'orphan-confirmed', 'drained', 'max-job-duration-exceeded'] as const);
      const evidence = g.pick(['hooks', 'probe', 'none'] as const);
      const decision: Decision = {
        instanceId: seen.id,
        action: 'terminate',
        reason,
        message: '.',
        owner: validOwner(seen) ?? OWNERS[0]!,
        evidence,
        ...(g.chance(0.7) ? { hookTags: hookTagsOf(seen.tags) } : {}),
        ...(g.chance(0.3) ? { probeOptional: true } : {}),
        ...(g.chance(0.5) ? { probeToo: true } : {}),
      };
      const r: RunnerView = { id: 1, name: 'r', status: 'online', busy: g.chance(0.4), labels: [] };
      const read: RunnerRead = g.pick([{ kind: 'found', runner: r }, { kind: 'gone' }, { kind: 'error', error: 'x' }] as const);
      const probe: ProbeRead | undefined = g.pick([
        undefined,
        { kind: 'error', error: 'timeout' },
        { kind: 'answered', busy: true, at: NOW, detail: 'worker' },
        { kind: 'answered', busy: false, at: NOW, detail: 'idle' },
        { kind: 'answered', busy: false, at: NOW, detail: 'idle', idleSince: new Date(NOW.getTime() - g.int(0, 900) * 1000) },
      ] as const);
      const markedAt = new Date(NOW.getTime() - g.int(0, 3600) * 1000);
      const jobTag = fresh !== undefined && hasJobTag(fresh);
      const bypass = /^true$/i.test(fresh?.tags[TAG.bypassRemoval]?.trim() ?? '');
      const whole = fresh !== undefined && fresh.id === seen.id && fresh.tags[TAG.application] === RUNNER_APPLICATION && fresh.tags[TAG.environment] === ENVIRONMENT && validOwner(fresh)?.owner === decision.owner!.owner && validOwner(fresh)?.type === decision.owner!.type;
      const HOOK_KEYS = [TAG.job, TAG.jobStartedAt, TAG.lastJobCompletedAt];
      const hooksChanged = fresh !== undefined && HOOK_KEYS.some((key) => seen.tags[key] !== fresh.tags[key]);
      const aboutJob = reason === 'max-job-duration-exceeded' || reason === 'stale-job-evidence';
      const jobAfter = (since: Date) =>
        [TAG.jobStartedAt, TAG.lastJobCompletedAt].some((key) => {
          const v = fresh?.tags[key];
          return v !== undefined && (Number.isNaN(Date.parse(v)) || Date.parse(v) > since.getTime());
        });
      const hookSaysJob = (since: Date | undefined) =>
        decision.hookTags ? hooksChanged || (jobTag && !aboutJob) : (jobTag && !aboutJob) || (since !== undefined && jobAfter(since));
      // The probe is asked for probe evidence, and for hooks where it reaches too.
      const asked = evidence === 'probe' || (evidence === 'hooks' && decision.probeToo === true);
      const fellThrough = asked && decision.probeOptional === true && (!probe || probe.kind === 'error');
      const probeLets = (phase: 'before' | 'after') => {
        if (!asked || fellThrough) return true;
        if (!probe || probe.kind === 'error' || probe.busy) return false;
        if (phase === 'after' && probe.idleSince && probe.idleSince.getTime() > markedAt.getTime()) return false;
        return true;
      };

      const after = judgeAfterSettle({ decision, fresh, runnerRead: g.chance(0.5) ? read : undefined, probe, markedAt, environments: [ENVIRONMENT], now: NOW });
      if (after.terminate) {
        terminated += 1;
        if (!whole || bypass || hookSaysJob(markedAt) || !probeLets('after')) problems.push(`after ${n}: evidence ignored`);
        if (fresh && fresh.state !== 'running' && fresh.state !== 'pending') problems.push(`after ${n}: not running`);
        if (after.reason !== reason) problems.push(`after ${n}: reason changed`);
      }
      const before = judgeBeforeDelete({ decision, read, fresh, probe, environments: [ENVIRONMENT], now: NOW });
      if (before.proceed) {
        proceeded += 1;
        if (!whole || bypass || hookSaysJob(undefined) || !probeLets('before') || read.kind === 'error' || (read.kind === 'found' && read.runner.busy)) {
          problems.push(`before ${n}: proceeded against evidence`);
        }
        if (fresh?.state !== 'running') problems.push(`before ${n}: not running`);
        if (read.kind === 'gone' && (evidence === 'none' || fellThrough)) problems.push(`before ${n}: a vanished runner without evidence`);
      }
      if (before.skipDelete && read.kind !== 'gone') problems.push(`before ${n}: skipped a needed DELETE`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(terminated).toBeGreaterThan(CASES / 20);
    expect(proceeded).toBeGreaterThan(CASES / 20);
  });
});
