/**
 * One case of the fuzz: a fleet (machines, their tags and truth, GitHub's registrations),
 * a configuration (environment variables, read by the real loadConfig), a fault plan and
 * a schedule of runs of both functions. All drawn from the case's seed.
 *
 * Every seventh case is quiet: no job, no fault, every machine with machine evidence.
 * Those are the liveness cases: a reaper that never terminates fails them.
 */
import { TAG } from '../../src/core/tags';
import { FAULT_GROUPS, FaultPlan, type FaultKind, type Profile } from './faults';
import { APPLICATION, ENVIRONMENT, FOREIGN_ENVIRONMENT, OWNERS, World, isoOf, type Machine } from './model';
import { Gen, caseSeed, keyed } from './random';
import type { RunKind } from './run-context';

const MINUTE = 60_000;
/** The fleets' clock starts here (any fixed moment would do). */
const EPOCH = Date.parse('2026-12-07T08:00:00Z');

export interface RunSpec {
  kind: RunKind;
  /** Virtual time between the previous run and this one. */
  gapMs: number;
  /**
   * The Lambda's remaining time: not given, ample, or tight (just room for the executor's
   * reserve and `tightDeletes` DELETEs, so it must defer the rest).
   */
  budget: 'none' | 'ample' | 'tight';
  tightDeletes: number;
}

export interface CaseSpec {
  seed: number;
  caseNo: number;
  caseSeed: number;
  profile: Profile;
  plan: FaultPlan;
  /** The reaper's environment (without GITHUB_API_URL: the harness adds its server's). */
  env: Record<string, string>;
  world: World;
  start: number;
  runs: RunSpec[];
  jobRate: number;
  /** A quiet case: everything idle must be reclaimed by the end. */
  quiet: boolean;
  gen: Gen;
}

export const BASE_ENV = {
  PARAMETER_GITHUB_APP_ID_NAME: '/fuzz/app/id',
  PARAMETER_GITHUB_APP_KEY_BASE64_NAME: '/fuzz/app/key',
};

function profileOf(caseNo: number, g: Gen): Profile {
  if (caseNo % 7 === 3) return 'quiet';
  return g.chance(0.55) ? 'noisy' : 'hostile';
}

/**
 * The focus kinds of a case: one of each group, round-robin over the disturbed cases, so
 * a budget of as many disturbed cases as the largest group has kinds reaches each kind.
 */
function focusOf(caseNo: number, enabled: ReadonlySet<FaultKind>): Set<FaultKind> {
  let disturbed = 0;
  for (let n = 0; n < caseNo; n++) if (n % 7 !== 3) disturbed++;
  const focus = new Set<FaultKind>();
  FAULT_GROUPS.forEach((group, g) => {
    const kinds = group.filter((k) => enabled.has(k));
    if (kinds.length > 0) focus.add(kinds[(disturbed + 3 * g) % kinds.length]!);
  });
  return focus;
}

function configEnv(g: Gen, quiet: boolean, focus: ReadonlySet<FaultKind>): Record<string, string> {
  const env: Record<string, string> = { ...BASE_ENV };
  const probeFocus = [...focus].some((k) => k.startsWith('ssm-'));
  env.JOB_EVIDENCE = probeFocus ? 'auto' : quiet ? g.pick(['auto', 'auto', 'hooks']) : g.weighted({ auto: 6, hooks: 2, off: 2 });
  if (env.JOB_EVIDENCE === 'auto' && (probeFocus || g.chance(0.75))) {
    env.PROBE_DOCUMENT_NAME = 'fuzz-probe';
    env.PROBE_TIMEOUT_SECONDS = g.pick(['5', '10']);
  }
  const minimum = g.pick(['', '0', '5']);
  if (minimum !== '') env.MINIMUM_RUNNING_TIME_IN_MINUTES = minimum;
  env.RUNNER_BOOT_TIME_IN_MINUTES = g.pick(['0', '5']);
  env.IDLE_CONFIRMATION_SECONDS = g.pick(['0', '0', '60', '120']);
  env.MAX_JOB_DURATION_MINUTES = g.pick(['30', '60', '120']);
  env.SETTLE_SECONDS = g.pick(['2', '10', '15']);
  env.IDLE_POOL_SCOPE = g.pick(['owner', 'environment']);
  if (!quiet && g.chance(0.1)) env.IDLE_CONFIG = JSON.stringify([{ cron: '* * * * *', timeZone: 'UTC', idleCount: g.int(1, 2) }]);
  if (!quiet && g.chance(0.06)) env.DRY_RUN = 'true';
  if (g.chance(0.15)) env.ENVIRONMENTS = JSON.stringify([ENVIRONMENT, `${ENVIRONMENT}-arm`]);
  else env.ENVIRONMENT = ENVIRONMENT;
  return env;
}

interface MachineOptions {
  quiet: boolean;
  /** Quiet fleets must all have machine evidence: without the probe, that is the hooks. */
  hooksForAll: boolean;
  focus: ReadonlySet<FaultKind>;
  environments: string[];
  maxJobMs: number;
}

function addMachine(world: World, g: Gen, start: number, options: MachineOptions): Machine {
  const { quiet, focus } = options;
  const id = `i-0${g.hex(16)}`;
  const owner = g.weighted({ 0: 6, 1: 3, 2: 2 });
  const spec = OWNERS[Number(owner)]!;
  const windows = !quiet && g.chance(0.1);
  const foreign = !quiet && g.chance(0.08);
  const age = quiet ? 'old' : g.weighted({ young: 1, middle: 2, old: 5 });
  const launchedAgo = (age === 'young' ? g.int(0, 4) : age === 'middle' ? g.int(5, 30) : g.int(30, 240)) * MINUTE;
  const state = quiet ? 'running' : g.weighted({ running: 92, pending: launchedAgo < 5 * MINUTE ? 6 : 0, stopped: 2 });
  const hooks = quiet ? options.hooksForAll || g.chance(0.6) : g.chance(0.6);
  const ssmOnline = quiet ? !hooks || g.chance(0.5) : g.chance(0.65);
  const ssm: Machine['ssm'] = windows ? g.pick(['windows', 'absent'] as const) : ssmOnline ? 'online' : g.pick(['connection-lost', 'absent'] as const);
  const tags: Record<string, string> = {
    [TAG.application]: foreign && g.chance(0.5) ? 'someone-elses-app' : APPLICATION,
    [TAG.environment]: foreign ? FOREIGN_ENVIRONMENT : g.pick(options.environments),
    [TAG.owner]: spec.ref.owner,
    [TAG.type]: spec.ref.type,
  };
  if (hooks) tags[TAG.jobHooks] = '1';
  const machine: Machine = {
    id,
    state,
    launchTime: start - launchedAgo,
    tags,
    platformDetails: windows ? 'Windows' : 'Linux/UNIX',
    foreign,
    hooks,
    brokenStartTimes: hooks && !quiet && g.chance(0.06),
    ssm,
    protected: !quiet && g.chance(focus.has('term-protected') ? 0.4 : 0.05),
    iamDenied: !quiet && g.chance(focus.has('term-unauthorized') ? 0.4 : 0.03),
    ownerPath: spec.path,
    ephemeral: g.chance(0.3),
  };
  world.machines.set(id, machine);
  if (state === 'pending') world.schedule(machine.launchTime + g.int(1, 4) * MINUTE, `${id} boots`, () => (machine.state = 'running'));
  if (!quiet && g.chance(0.05)) tags[TAG.bypassRemoval] = g.pick(['true', 'TRUE', ' true ', 'false']);

  const registered = state !== 'stopped' && g.chance(quiet ? 0.6 : 0.8);
  if (registered) {
    const runner = world.addRunner({
      name: g.pick([id, `${ENVIRONMENT}-${id}`, `gh-${id}`]),
      ownerPath: spec.path,
      instanceId: id,
      offline: false,
      ephemeral: machine.ephemeral,
      os: windows ? 'Windows' : 'Linux',
      labels: ['self-hosted', windows ? 'windows' : 'linux', 'x64'],
    });
    if (g.chance(0.4)) tags[TAG.githubRunnerId] = String(runner.id);
  }
  if (quiet) return machine;

  // Marks an earlier run (or 0.1.0) left behind.
  const ago = (minMinutes: number, maxMinutes: number) => isoOf(start - g.int(minMinutes * 60, maxMinutes * 60) * 1000);
  if (g.chance(0.3)) tags[TAG.idleSince] = g.chance(0.05) ? 'garbage' : ago(0, 180);
  if (!registered && g.chance(0.2)) tags[TAG.drainingSince] = ago(1, 200);
  if (!registered && g.chance(0.25)) tags[TAG.reaperOrphanSince] = ago(0, 200);
  if (g.chance(0.05)) {
    tags[TAG.deleteFailures] = g.pick(['1', '2', '3', 'x']);
    tags[TAG.deleteFailedAt] = ago(0, 30);
  }
  if (g.chance(0.03)) tags[TAG.terminationRefusedAt] = ago(0, 120);
  if (g.chance(0.03)) {
    tags[TAG.orphan] = 'true';
    tags[TAG.legacyOrphanSince] = ago(0, 300);
  }
  if (hooks && g.chance(0.4)) tags[TAG.lastJobCompletedAt] = g.chance(0.05) ? 'soon' : ago(1, 300);
  if (g.chance(0.07)) {
    // A job whose completed hook never ran, long ago: a stale ghr:job.
    const startedAt = start - g.int(options.maxJobMs / MINUTE + 1, 400) * MINUTE;
    tags[TAG.job] = g.pick(['77/old', '']);
    tags[TAG.jobStartedAt] = machine.brokenStartTimes ? 'not-a-time' : isoOf(startedAt);
    if (!machine.brokenStartTimes) machine.jobTag = { jobId: 'old', startedAt };
    for (const runner of world.registrationsOf(id)) runner.offline = true;
  }
  return machine;
}

function addStrays(world: World, g: Gen, path: string, count: number): void {
  for (let i = 0; i < count; i++) {
    world.addRunner({ name: `stray-${g.hex(6)}`, ownerPath: path, offline: g.chance(0.3), ephemeral: false, os: 'Linux', labels: ['self-hosted'] });
  }
}

export function generateCase(seed: number, caseNo: number, enabled: ReadonlySet<FaultKind>): CaseSpec {
  const cs = caseSeed(seed, caseNo);
  const g = Gen.of(cs);
  const profile = profileOf(caseNo, g);
  const quiet = profile === 'quiet';
  const focus = focusOf(caseNo, enabled);
  const plan = new FaultPlan(profile, focus, enabled);
  const env = configEnv(g, quiet, focus);
  // The probe's own settle, shorter than the full one, where the probe answers (and the
  // full one after it where the probe then gives no answer). From a stream of its own, so
  // the rest of each case stays as it was.
  const settle = env.SETTLE_SECONDS ?? '15';
  if (env.PROBE_DOCUMENT_NAME && settle !== '2') env.PROBE_SETTLE_SECONDS = keyed(cs, 'probe-settle').pick(['1', '3', settle]);
  const maxJobMs = Number(env.MAX_JOB_DURATION_MINUTES) * MINUTE;
  const start = EPOCH + g.int(0, 86_400) * 1000;
  const world = new World(cs, start - maxJobMs, maxJobMs, Number(env.SETTLE_SECONDS) * 1000);
  const environments = env.ENVIRONMENTS ? (JSON.parse(env.ENVIRONMENTS) as string[]) : [ENVIRONMENT];

  const count = quiet ? g.int(2, 5) : g.int(4, 9);
  const hooksForAll = quiet && !(env.JOB_EVIDENCE === 'auto' && env.PROBE_DOCUMENT_NAME !== undefined);
  for (let i = 0; i < count; i++) addMachine(world, g, start, { quiet, hooksForAll, focus, environments, maxJobMs });
  const bigListing = focus.has('list-slide') || focus.has('list-inconsistent-once') || focus.has('list-inconsistent-always') || g.chance(0.08);
  for (const owner of OWNERS) addStrays(world, g, owner.path, quiet ? g.int(0, 2) : g.int(0, 4));
  if (bigListing) addStrays(world, g, g.pick(OWNERS.slice(0, 2)).path, g.int(96, 230));

  // Jobs that started before the case, some still running; then the world catches up to the start.
  const jobRate = quiet ? 0 : focus.has('busy-fleet') ? 0.8 : g.pick([0, 0.05, 0.15, 0.3]);
  if (!quiet) world.planActivity(g, start - maxJobMs, start, Math.min(1, jobRate + 0.2));
  world.advance(start);

  const runCount = quiet ? 4 : g.int(3, 5);
  const runs: RunSpec[] = [];
  for (let i = 0; i < runCount; i++) {
    const kind: RunKind = quiet ? (i % 2 === 0 ? 'scale-down' : 'orphan-cleanup') : g.chance(0.65) ? 'scale-down' : 'orphan-cleanup';
    const gapMs = i === 0 ? 0 : g.pick([1, 2, 5, 10, 15, 40]) * MINUTE;
    const budget = quiet ? 'none' : g.weighted({ none: 7, ample: 2, tight: 1 });
    runs.push({ kind, gapMs, budget, tightDeletes: g.int(0, 4) });
  }
  return { seed, caseNo, caseSeed: cs, profile, plan, env, world, start, runs, jobRate, quiet, gen: g };
}
