/**
 * The `npm start` story, runnable from the CLI and from a test: a local world (moto, the
 * GitHub twin, a fleet of simulated runners, both built Lambdas in their own processes),
 * a workload of jobs, the reaper on its schedule, two forced races, and a record of
 * everything that happened (ledger, timeline, API calls).
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG } from '../../../lambda/src/core/tags';
import type { EvidenceSource } from '../../../lambda/src/core/types';
import { MotoServer } from '../../moto';
import { ROUTES, type DispatcherSwitches, type HookRequest, type TwinOwner } from '../../twin';
import type { LedgerSummary } from '../../ledger';
import { LocalWorld, type ReaperRun } from '../world';
import { AGENT_TIMING, DEMO_JOB_LABEL, machineEvidence, type DemoWorkload, type PlannedRace } from '../workload';
import { TimelineRecorder, type LaneSample, type LaneState, type Timeline } from '../report/timeline';
import { AwsCallCounter } from '../../moto/aws-call-counter';

/**
 * What GitHub does, as twin switches:
 * - `2026`: the busy flag lags 30 s behind assignment, DELETE of a runner holding a job
 *   answers 204 while the flag still reads idle, and the job runs on (the reports of 2026);
 * - `atomic`: DELETE of a runner holding a job answers 422 (GitHub's documented guard).
 */
export type GitHubModel = '2026' | 'atomic';

export const GITHUB_MODELS: Record<GitHubModel, { describe: string; switches: Partial<DispatcherSwitches> }> = {
  '2026': {
    describe: 'busy flag lags 30 s; DELETE of a runner holding a job answers 204 while the flag reads idle; the job runs on',
    switches: {
      busyFlagDelayMs: 30_000,
      deleteWhileAssigned: '204-if-flag-idle',
      afterForcedDelete: 'continues',
      getAfterDelete: '404',
      assignedOnForcedDelete: 'requeue',
    },
  },
  atomic: {
    describe: 'DELETE of a runner holding a job answers 422 (documented atomic guard)',
    switches: { deleteWhileAssigned: '422' },
  },
};

export interface DemoOptions {
  workload: DemoWorkload;
  githubModel?: GitHubModel;
  /** One line per reaper run (and a few setup lines). */
  onProgress?: (line: string) => void;
  /** Aborts the run (Ctrl-C): the world is stopped and the result marks it interrupted. */
  signal?: AbortSignal;
}

export interface RunRecord {
  fn: 'scale-down' | 'orphan-cleanup';
  startedAt: number;
  endedAt: number;
  run: ReaperRun;
}

export interface RaceRecord {
  kind: PlannedRace['kind'];
  /** The machine evidence of the runner it landed on. */
  on: PlannedRace['on'];
  jobId: string;
  instanceId: string;
  at: number;
  /** The reasons the reaper gave for keeping the instance afterwards (e.g. race-job-evidence-after-delete). */
  keptFor: string[];
  /** The job's fate in the ledger at the end. */
  fate?: string;
}

export interface DemoResult {
  workload: string;
  githubModel: GitHubModel;
  startedAt: number;
  endedAt: number;
  ledger: LedgerSummary;
  timeline: Timeline;
  runs: RunRecord[];
  races: RaceRecord[];
  /** The reaper's GitHub requests per `METHOD /route`. */
  githubCalls: Record<string, number>;
  /** The reaper's AWS calls per `service:Action`. */
  awsCalls: Record<string, number>;
  /** Instances terminated by the reaper, by function. */
  reclaimed: { scaleDown: string[]; orphanCleanup: string[] };
  /** Per instance: the machine evidence it can give, and what the reaper's decisions said they used. */
  evidence: InstanceEvidence[];
  failures: string[];
  interrupted: boolean;
}

export interface InstanceEvidence {
  instanceId: string;
  kind: string;
  /** What the instance can prove (`JOB_EVIDENCE=auto`'s pick): hooks, probe, none. */
  evidence: EvidenceSource;
  /** The evidence named by the reaper's decision lines about it (empty until the functions log it). */
  usedByReaper: string[];
  /** Jobs its runner completed. */
  jobsRun: number;
}

const SAMPLE_EVERY_MS = 250;

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const { workload } = opts;
  const model = opts.githubModel ?? '2026';
  const say = opts.onProgress ?? (() => undefined);
  const { schedule } = workload;
  const cleanups: (() => Promise<void>)[] = [];
  const failures: string[] = [];
  const stopping = new AbortController();
  const onAbort = () => stopping.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const moto = new MotoServer();
    cleanups.push(() => moto.stop());
    await moto.start();
    const counter = new AwsCallCounter(moto.url);
    cleanups.push(() => counter.stop());
    await counter.start();
    const world = await LocalWorld.start({
      moto,
      accounts: ['acme'],
      fleetWatchIntervalMs: 1000,
      config: {
        // The product's default: per instance, hooks where proven, else the probe, else none.
        JOB_EVIDENCE: 'auto',
        // The functions reach moto through the counter: the report counts their AWS calls.
        AWS_ENDPOINT_URL: counter.url,
        IDLE_CONFIRMATION_SECONDS: String(schedule.idleConfirmationSeconds),
        SETTLE_SECONDS: String(schedule.settleSeconds),
      },
    });
    cleanups.push(() => world.stop());
    world.twin.dispatcher.setSwitches(GITHUB_MODELS[model].switches);
    say(`world ready: moto ${moto.url}, GitHub twin ${world.twin.url}; GitHub model ${model}: ${GITHUB_MODELS[model].describe}`);

    const startedAt = Date.now();
    const kinds = new Map<string, string>();
    const evidence = new Map<string, EvidenceSource>();
    for (const group of workload.fleet) {
      const launched = await world.fleet.launch(group.spec);
      for (const l of launched) {
        kinds.set(l.instanceId, group.kind);
        evidence.set(l.instanceId, machineEvidence(group.spec));
      }
    }
    const mix = (['hooks', 'probe', 'none'] as const).map((e) => `${[...evidence.values()].filter((v) => v === e).length} ${e}`).join(', ');
    say(`launched ${kinds.size} runners (machine evidence: ${mix}); ${workload.jobs.length} jobs arrive over ${Math.round(lastJobAt(workload) / 1000)} s`);

    const recorder = new TimelineRecorder(startedAt);
    const races = armRaces(world, workload.races, say, startedAt, recorder);
    const runs: RunRecord[] = [];
    const jobs = scheduleJobs(world, workload, startedAt, stopping.signal);
    const scaleUp = scaleUpLoop(world, workload, kinds, evidence, stopping.signal, say, startedAt);

    // On Ctrl-C moto may die first (same process group): readings then fail quietly.
    let lastSamples: LaneSample[] = [];
    const sample = async (): Promise<LaneSample[]> => {
      try {
        lastSamples = await sampleLanes(world, kinds, evidence);
        recorder.observe(lastSamples, Date.now());
      } catch (error) {
        if (!stopping.signal.aborted) throw error;
      }
      return lastSamples;
    };
    /** Samples the fleet (the timeline's resolution) and tells whether the story is over. */
    const done = async (): Promise<boolean> => {
      const samples = await sample();
      if (!jobs.allEnqueued() || world.ledger.summary(Date.now()).jobs.pending > 0) return false;
      return samples.every((x) => x.state === 'terminated');
    };

    await sample();

    const reaper = (fn: RunRecord['fn'], everyMs: number, offsetMs: number) =>
      (async () => {
        await sleep(offsetMs, stopping.signal);
        while (!stopping.signal.aborted) {
          const t0 = Date.now();
          let run: ReaperRun;
          try {
            run = fn === 'scale-down' ? await world.runScaleDown() : await world.runOrphanCleanup();
          } catch (error) {
            if (!stopping.signal.aborted) failures.push(`${fn} run at ${secs(t0 - startedAt)} could not run: ${String(error)}`);
            stopping.abort();
            break;
          }
          // Interrupted meanwhile: the result is already being reported.
          if (opts.signal?.aborted) break;
          const record: RunRecord = { fn, startedAt: t0, endedAt: Date.now(), run };
          runs.push(record);
          if (run.error) failures.push(`${fn} run at ${secs(t0 - startedAt)} failed: ${run.error}`);
          recorder.runFinished({
            fn,
            startedAt: t0,
            endedAt: record.endedAt,
            terminated: run.summary?.terminated ?? 0,
            racesCaught: Object.values(run.summary?.racesCaught ?? {}).reduce((a, b) => a + (b ?? 0), 0),
            ok: !run.error,
          });
          noteRaces(races, run);
          say(progressLine(record, startedAt, await sample(), world.ledger.summary(Date.now())));
          await sleep(Math.max(200, everyMs - (Date.now() - t0)), stopping.signal);
        }
      })();

    const loops = [
      // The first run one interval in, as an EventBridge rate schedule first fires: the first
      // wave's jobs have reached their runners by then (a run at once would look at runners
      // about to take those jobs, and leave none idle for the races).
      reaper('scale-down', schedule.scaleDownEveryMs, schedule.scaleDownEveryMs),
      reaper('orphan-cleanup', schedule.orphanCleanupEveryMs, Math.round(schedule.orphanCleanupEveryMs / 2)),
      scaleUp,
    ];

    const deadline = startedAt + schedule.deadlineMs;
    while (!stopping.signal.aborted) {
      await sleep(SAMPLE_EVERY_MS, stopping.signal);
      if (stopping.signal.aborted) break;
      if (await done()) break;
      if (Date.now() > deadline) {
        failures.push(`did not finish within ${secs(schedule.deadlineMs)}`);
        break;
      }
    }
    const interrupted = !!opts.signal?.aborted;
    stopping.abort();
    // Ctrl-C: leave in-flight invocations to the cleanup, which stops their processes.
    if (!interrupted) await Promise.all(loops);
    await world.fleet.sweep().catch(() => []);
    await sample();
    const endedAt = Date.now();

    const ledger = world.ledger.summary(endedAt);
    if (ledger.jobs.pending > 0 && !interrupted) failures.push(`${ledger.jobs.pending} jobs never ran`);
    const stillRunning = interrupted ? [] : (await sampleLanes(world, kinds, evidence)).filter((s) => s.state !== 'terminated');
    if (stillRunning.length > 0 && !interrupted) {
      failures.push(`${stillRunning.length} runners never reclaimed: ${stillRunning.map((s) => `${s.instanceId} (${s.state})`).join(', ')}`);
    }
    for (const race of races) {
      if (!race.jobId && !interrupted) failures.push(`the ${race.kind} race never happened (no eligible reaper request)`);
      if (race.jobId && world.ledger.getJob(race.jobId)?.fate !== 'completed' && !interrupted) {
        failures.push(`race job ${race.jobId} did not complete`);
      }
    }
    return {
      workload: workload.name,
      githubModel: model,
      startedAt,
      endedAt,
      ledger,
      timeline: recorder.finish(endedAt),
      runs,
      races: races.filter((r) => r.jobId).map((r) => ({ ...r, fate: world.ledger.getJob(r.jobId)?.fate ?? 'unknown' })),
      githubCalls: world.twin.log.counts(),
      awsCalls: withServedSsmCalls(counter.byAction(), world),
      reclaimed: {
        scaleDown: terminatedBy(runs, 'scale-down'),
        orphanCleanup: terminatedBy(runs, 'orphan-cleanup'),
      },
      evidence: [...kinds.keys()].map((instanceId) => ({
        instanceId,
        kind: kinds.get(instanceId) ?? '',
        evidence: evidence.get(instanceId) ?? 'none',
        usedByReaper: [...new Set(runs.flatMap((r) => r.run.outcomes.filter((o) => o.instanceId === instanceId && o.evidence).map((o) => o.evidence!)))],
        jobsRun: world.fleet.agent(instanceId)?.jobsRun ?? 0,
      })),
      failures,
      interrupted,
    };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stopping.abort();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** Enqueues the planned jobs at their times (real time from the start). */
function scheduleJobs(world: LocalWorld, workload: DemoWorkload, startedAt: number, signal: AbortSignal): { allEnqueued: () => boolean } {
  let enqueued = 0;
  const timers = workload.jobs.map((job) =>
    setTimeout(() => {
      world.twin.dispatcher.enqueue({ owner: job.owner, durationMs: job.durationMs, labels: ['self-hosted', DEMO_JOB_LABEL] });
      enqueued++;
    }, Math.max(0, job.atMs - (Date.now() - startedAt))),
  );
  signal.addEventListener('abort', () => timers.forEach(clearTimeout), { once: true });
  return { allEnqueued: () => enqueued === workload.jobs.length };
}

/**
 * A minimal scale-up: a job that waits for a free runner longer than `scaleUpAfterMs` gets
 * a new ephemeral JIT runner for its owner, whose instance shuts itself down after the job.
 */
async function scaleUpLoop(
  world: LocalWorld,
  workload: DemoWorkload,
  kinds: Map<string, string>,
  evidence: Map<string, EvidenceSource>,
  signal: AbortSignal,
  say: (line: string) => void,
  startedAt: number,
): Promise<void> {
  const servedJobs = new Set<string>();
  while (!signal.aborted) {
    await sleep(500, signal);
    const now = Date.now();
    for (const job of world.twin.dispatcher.jobsIn('queued')) {
      if (servedJobs.has(job.id) || now - job.queuedAt < workload.schedule.scaleUpAfterMs || signal.aborted) continue;
      servedJobs.add(job.id);
      const owner: TwinOwner = job.owner?.includes('/') ? { type: 'Repo', owner: job.owner } : { type: 'Org', owner: job.owner ?? 'acme' };
      const spec = { owner, jit: true, hooks: 'proven', labels: [DEMO_JOB_LABEL], onExit: 'terminate', ...AGENT_TIMING } as const;
      const [launched] = await world.fleet
        .launch({ ...spec, labels: [...spec.labels] })
        .catch((error: unknown) => {
          if (!signal.aborted) say(`scale-up failed for ${job.id}: ${String(error)}`);
          return [];
        });
      if (launched) {
        kinds.set(launched.instanceId, `${owner.type === 'Org' ? 'org' : 'repo'} ephemeral (scale-up)`);
        evidence.set(launched.instanceId, machineEvidence(spec));
        say(`${secs(now - startedAt).padStart(6)}  scale-up        launched ${launched.instanceId} for queued ${job.id}`);
      }
    }
  }
}

/**
 * The races, forced through twin hooks on the first eligible reaper request: a reusable,
 * idle runner with the race's machine evidence gets a job at that exact point, and the
 * hook waits until the machine shows it (hooks: the job-started hook has tagged the
 * instance; probe: the Runner.Worker process runs) before the twin answers.
 */
function armRaces(
  world: LocalWorld,
  planned: PlannedRace[],
  say: (line: string) => void,
  startedAt: number,
  recorder: TimelineRecorder,
): RaceRecord[] {
  const records: RaceRecord[] = [];
  const dispatcher = world.twin.dispatcher;
  const eligible = (race: PlannedRace) => (req: HookRequest): boolean => {
    if (req.route !== ROUTES.orgRunner && req.route !== ROUTES.repoRunner) return false;
    const runner = dispatcher.runnerById(Number(req.params.runner_id));
    if (!runner || runner.deleted || runner.consumed || runner.ephemeral || !runner.instanceId) return false;
    const agent = world.fleet.agent(runner.instanceId);
    if (!agent || agent.state !== 'idle' || records.some((r) => r.instanceId === runner.instanceId)) return false;
    // A job GitHub has handed over that the agent has not picked up yet: not idle, and the
    // twin would refuse a second one (the race would never land).
    if (dispatcher.holdsJob(runner)) return false;
    // Only where the reaper has machine evidence: never on a runner nothing but GitHub speaks for.
    const { machine } = agent;
    return race.on === 'hooks' ? machine.hooksRun : !machine.hooksRun && machine.spec.ssm;
  };
  planned.forEach((race, i) => {
    const record: RaceRecord = { kind: race.kind, on: race.on, jobId: '', instanceId: '', at: 0, keptFor: [] };
    records.push(record);
    const land = async (req: HookRequest): Promise<void> => {
      const runner = dispatcher.runnerById(Number(req.params.runner_id))!;
      const job = dispatcher.assignNow({ runnerId: runner.id, id: `race-${i + 1}-${race.kind}-${race.on}`, durationMs: race.durationMs });
      Object.assign(record, { jobId: job.id, instanceId: runner.instanceId!, at: Date.now() });
      const when = race.kind === 'after-get' ? "right after the reaper's GET said idle" : 'right before the DELETE';
      say(`${secs(Date.now() - startedAt).padStart(6)}  race            ${job.id} lands on ${runner.instanceId} (${race.on}) ${when}`);
      recorder.mark({ instanceId: runner.instanceId!, at: Date.now(), label: `${job.id}: a job ${when}` });
      const agent = world.fleet.agent(runner.instanceId!);
      const shows = async () =>
        agent?.state === 'busy' && (race.on === 'hooks' ? await hasJobTag(world, runner.instanceId!) : agent.machine.busy);
      // Normally under a second; generous so a loaded machine still plays the race as written.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !(await shows())) await new Promise((r) => setTimeout(r, 100));
    };
    const matcher = { method: race.kind === 'after-get' ? 'GET' : 'DELETE', where: eligible(race) };
    if (race.kind === 'after-get') world.twin.after(matcher, land, { times: 1 });
    else world.twin.before(matcher, land, { times: 1 });
  });
  return records;
}

function noteRaces(races: RaceRecord[], run: ReaperRun): void {
  for (const race of races) {
    if (!race.instanceId) continue;
    for (const o of run.outcomes) {
      if (o.instanceId === race.instanceId && o.result === 'kept' && (o.reason.startsWith('race-') || o.reason === 'job-evidence' || o.reason === 'probe-busy')) {
        if (!race.keptFor.includes(o.reason)) race.keptFor.push(o.reason);
      }
    }
  }
}

async function hasJobTag(world: LocalWorld, instanceId: string): Promise<boolean> {
  const view = await world.instance(instanceId).catch(() => undefined);
  return !!view?.tags[TAG.job];
}

/**
 * AWS calls per action: the counter's (the functions' calls to moto, proxied SSM calls
 * included) plus the Run Command calls the SSM twin served itself.
 */
function withServedSsmCalls(counted: Record<string, number>, world: LocalWorld): Record<string, number> {
  const out = { ...counted };
  for (const e of world.ssmTwin.log) if (e.served) out[`ssm:${e.operation}`] = (out[`ssm:${e.operation}`] ?? 0) + 1;
  return out;
}

/** Every fleet instance's state now, from EC2 (states, tags) and the agents. */
async function sampleLanes(world: LocalWorld, kinds: Map<string, string>, evidence: Map<string, EvidenceSource>): Promise<LaneSample[]> {
  const ids = [...kinds.keys()];
  if (ids.length === 0) return [];
  const out = await world.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }] }));
  const seen = new Map((out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId!, i]));
  return ids.map((instanceId) => {
    const inst = seen.get(instanceId);
    const tags = Object.fromEntries((inst?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const ec2State = inst?.State?.Name ?? 'gone';
    const agent = world.fleet.agent(instanceId);
    const deregistered = !!tags[TAG.drainingSince];
    let state: LaneState;
    if (ec2State !== 'running' && ec2State !== 'pending') state = 'terminated';
    else if (agent?.state === 'busy') state = 'busy';
    else if (deregistered) state = 'draining';
    else if (!agent || agent.state !== 'idle') state = 'unregistered';
    else state = 'idle';
    return { instanceId, kind: kinds.get(instanceId) ?? '', evidence: evidence.get(instanceId) ?? 'none', state, deregistered };
  });
}

/**
 * Instances terminated by `fn`. Both functions run on their own schedules, so a draining
 * instance can be terminated by both at about the same time (harmless: it has no job);
 * it counts for the run that finished first.
 */
function terminatedBy(runs: RunRecord[], fn: RunRecord['fn']): string[] {
  const first = new Map<string, RunRecord['fn']>();
  for (const r of [...runs].sort((a, b) => a.endedAt - b.endedAt)) {
    for (const o of r.run.outcomes) if (o.result === 'terminated' && !first.has(o.instanceId)) first.set(o.instanceId, r.fn);
  }
  return [...first.entries()].filter(([, by]) => by === fn).map(([id]) => id);
}

function progressLine(record: RunRecord, startedAt: number, samples: LaneSample[], ledger: LedgerSummary): string {
  const { run } = record;
  const count = (s: LaneState) => samples.filter((x) => x.state === s).length;
  let action: string;
  if (run.error) action = `FAILED: ${run.error}`;
  else {
    const terminated = run.summary?.terminated ?? 0;
    const races = run.outcomes.filter((o) => o.result === 'kept' && o.reason.startsWith('race-'));
    action = `terminated ${terminated}`;
    if (races.length > 0) action += `, spared ${races.length} (${[...new Set(races.map((o) => o.reason))].join(', ')})`;
  }
  const done = ledger.jobs.completed;
  const harmed = ledger.jobs.killedByTermination + ledger.jobs.cancelledByDeregistration;
  const runners = `busy ${count('busy')} idle ${count('idle')} draining ${count('draining')} unregistered ${count('unregistered')} terminated ${count('terminated')}`;
  const jobs = `jobs ${done}/${ledger.jobs.total} done${harmed > 0 ? `, ${harmed} KILLED` : ''}`;
  return `${secs(record.endedAt - startedAt).padStart(6)}  ${record.fn.padEnd(15)} ${runners} | ${jobs} | ${action}`;
}

function lastJobAt(w: DemoWorkload): number {
  return w.jobs.reduce((a, j) => Math.max(a, j.atMs), 0);
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
