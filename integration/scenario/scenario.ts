/**
 * The end-to-end scenario, world-agnostic: "an idle runner is reclaimed, a busy one is
 * spared, and orphan-cleanup reclaims the busy one after its job". `npm test` runs it
 * against the twin, moto and simulated agents; the e2e workflow against GitHub, LocalStack
 * and real actions/runner processes (integration/scenario/run.ts).
 *
 * The world says which machine evidence its runners give the reaper (`RunnerHost.evidence`),
 * and the steps assert what that evidence must change (docs/design.md, "Machine evidence"):
 *
 * 1. launch two instances tagged as scale-up would (runner name = instance id);
 * 2. register an ephemeral JIT runner on each with the run's unique label, hooks installed;
 *    then the evidence: `hooks`: the boot check marks both instances `ghr:job-hooks`;
 *    `none`: neither carries the marker;
 * 3. dispatch one long job: the runner that takes it is the busy one, the other the idle one;
 * 4. run scale-down until the idle instance is reclaimed (`hooks`: on its first idle
 *    sighting; `none`: after a confirming one), then assert: idle runner deregistered and
 *    instance terminated; job running, instance alive;
 * 5. run both functions once more while the job runs: the busy instance stays;
 * 6. wait for the job to end (it must succeed), then orphan-cleanup: `hooks`: it reclaims
 *    the busy instance; `none`: it holds it (`waiting-max-job-duration`), since nothing can
 *    tell an unregistered instance without evidence from one running its job;
 * every run must have decided on the evidence the world announced, none other;
 * 7. always clean up what the scenario created (runners, job, instances, processes).
 */
import { randomBytes } from 'node:crypto';
import { HOOKS_CONTRACT_VERSION, RUNNER_APPLICATION, TAG } from '../../lambda/src/core/tags';
import { isLive } from './aws';
import type { DispatchedJob, JobState, ReaperInvocation, RunnerEvidence, RunnerProcess, ScenarioWorld } from './ports';

export interface ScenarioOptions {
  label: string;
  environment: string;
  jobDurationSeconds: number;
  timeouts: { pickUp: number; reclaim: number; jobSlack: number };
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Poll interval for waits, ms (default 1,000). */
  pollMs?: number;
  /**
   * Bound of the whole scenario, seconds from its start (default: none). Every wait ends by
   * then, whatever its own timeout, so a slow run fails with its own report and clean-up
   * instead of being killed by the workflow step's timeout.
   */
  deadlineSeconds?: number;
  /** Handed the report as soon as it exists; it fills in as the steps run (for a report on SIGTERM). */
  onReport?: (report: ScenarioReport) => void;
}

export interface ScenarioStep {
  name: string;
  ok: boolean;
  at: string;
  detail?: string;
}

export interface ScenarioReport {
  ok: boolean;
  world: string;
  label: string;
  /** The machine evidence the world's runners give the reaper, and how. */
  evidence: RunnerEvidence;
  startedAt: string;
  finishedAt?: string;
  idleInstance?: string;
  busyInstance?: string;
  jobConclusion?: string;
  runs: { fn: 'scale-down' | 'orphan-cleanup'; at: string; result: ReaperInvocation }[];
  steps: ScenarioStep[];
  cleanup: string[];
  error?: string;
}

class StepFailed extends Error {}

export async function runScenario(world: ScenarioWorld, opts: ScenarioOptions): Promise<ScenarioReport> {
  const log = opts.log ?? (() => {});
  const pollMs = opts.pollMs ?? 1000;
  const deadline: Deadline = { at: Date.now() + (opts.deadlineSeconds ?? 7 * 86_400) * 1000, seconds: opts.deadlineSeconds };
  const waitFor = <T>(what: string, seconds: number, probe: () => Promise<T | undefined>) => waitWithin(what, seconds, pollMs, deadline, probe);
  const waitUntil = (what: string, seconds: number, probe: () => Promise<boolean>) =>
    waitWithin(what, seconds, pollMs, deadline, async () => ((await probe()) ? true : undefined)).then(() => undefined);
  const evidence = world.runners.evidence;
  const report: ScenarioReport = { ok: false, world: world.name, label: opts.label, evidence, startedAt: now(), runs: [], steps: [], cleanup: [] };
  opts.onReport?.(report);
  const step = (name: string, ok: boolean, detail?: string) => {
    report.steps.push({ name, ok, at: now(), ...(detail ? { detail } : {}) });
    log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
    if (!ok) throw new StepFailed(`${name}${detail ? `: ${detail}` : ''}`);
  };
  const created = { instances: [] as string[], runners: new Map<string, number>(), processes: [] as RunnerProcess[], job: undefined as DispatchedJob | undefined };
  let jobState: JobState | undefined;

  const invoke = async (fn: 'scale-down' | 'orphan-cleanup'): Promise<ReaperInvocation> => {
    const result = fn === 'scale-down' ? await world.functions.scaleDown() : await world.functions.orphanCleanup();
    report.runs.push({ fn, at: now(), result });
    // A terminated machine takes its runner process with it.
    await world.runners.sweep(world.instances);
    log(`ran ${fn}: ${result.ok ? `${JSON.stringify(result.summary?.reasons ?? {})} evidence ${JSON.stringify(result.summary?.evidence ?? {})}` : result.error}`);
    step(`${fn} invocation returned`, result.ok, result.error);
    // Our instances live while the functions run: each run decided on them, on the evidence
    // the world announced and no other (recorded as a step only when it did not).
    const counts = result.summary?.evidence ?? {};
    const others = Object.entries(counts).filter(([source, n]) => source !== evidence.source && (n ?? 0) > 0);
    if ((counts[evidence.source] ?? 0) === 0 || others.length > 0) {
      step(`${fn} decided on ${evidence.source} evidence`, false, `evidence counts ${JSON.stringify(result.summary?.evidence ?? null)}`);
    }
    return result;
  };
  const live = async (id: string) => isLive((await world.instances.describe(id)).state);

  try {
    // 1. Two instances, tagged as scale-up tags them.
    const ids = await world.instances.launch(2, {
      [TAG.application]: RUNNER_APPLICATION,
      [TAG.environment]: opts.environment,
      [TAG.owner]: world.registry.owner.owner,
      [TAG.type]: world.registry.owner.type,
      ...world.instanceTags,
    });
    created.instances.push(...ids);
    step('launched two instances', true, ids.join(', '));

    // 2. One ephemeral JIT runner per instance, named after it, hooks installed.
    for (const instanceId of ids) {
      const { runnerId, encodedJitConfig } = await world.registry.createJitRunner(instanceId, [opts.label]);
      created.runners.set(instanceId, runnerId);
      await world.instances.tag(instanceId, { [TAG.githubRunnerId]: String(runnerId) });
      created.processes.push(await world.runners.start(instanceId, encodedJitConfig));
    }
    await waitUntil('both runners online', opts.timeouts.pickUp, async () => {
      for (const runnerId of created.runners.values()) if ((await world.registry.getRunner(runnerId))?.status !== 'online') return false;
      return true;
    });
    step('two runners online', true, [...created.runners.values()].join(', '));

    // The runners' machine evidence, as the world announced it.
    const marker = `${TAG.jobHooks}=${HOOKS_CONTRACT_VERSION}`;
    const markedCount = async () => {
      let n = 0;
      for (const id of ids) if ((await world.instances.describe(id)).tags[TAG.jobHooks] === HOOKS_CONTRACT_VERSION) n++;
      return n;
    };
    const verdicts = () => ids.map((id) => `${id}: ${world.runners.bootCheckVerdict?.(id) ?? '(no boot check verdict)'}`).join('; ');
    if (evidence.source === 'hooks') {
      const name = `the boot check marked both instances ${marker}: the reaper has hooks evidence`;
      try {
        await waitUntil(`the boot check's ${marker} on both instances`, opts.timeouts.pickUp, async () => (await markedCount()) === ids.length);
      } catch (error) {
        if (error instanceof StepFailed) step(name, false, `${error.message}; ${verdicts()}`);
        throw error;
      }
      step(name, true, world.runners.bootCheckVerdict ? verdicts() : evidence.how);
    } else {
      step(`neither instance carries ${marker}: the reaper has no machine evidence`, (await markedCount()) === 0, evidence.how);
    }

    // 3. One long job: whichever runner takes it is the busy one.
    const correlationId = `${opts.label}-${randomBytes(4).toString('hex')}`;
    created.job = await world.jobs.dispatch({ label: opts.label, durationSeconds: opts.jobDurationSeconds, correlationId });
    const job = created.job;
    jobState = await waitFor('the job to be picked up', opts.timeouts.pickUp, async () => {
      const s = await world.jobs.state(job);
      // GitHub may report the job in progress a moment before it names the runner.
      return s.status === 'queued' || !s.runnerName ? undefined : s;
    });
    const busy = jobState.runnerName;
    step('the job was picked up by one of the runners', !!busy && ids.includes(busy), `runner ${busy ?? '(unknown)'}, ${jobState.status}`);
    const idle = ids.find((id) => id !== busy)!;
    report.busyInstance = busy!;
    report.idleInstance = idle;
    const busyInstance = busy!;
    const tagged = await waitFor(`${TAG.job} on the busy instance`, opts.timeouts.pickUp, async () => (await world.instances.describe(busyInstance)).tags[TAG.job]);
    step('the job-started hook tagged the busy instance', true, `${TAG.job}=${tagged}`);

    // 4. Scale-down until the idle instance is reclaimed.
    const confirmation = await world.functions.idleConfirmationSeconds();
    const reclaimBy = Math.min(Date.now() + opts.timeouts.reclaim * 1000, deadline.at);
    let scaleDownRuns = 0;
    for (;;) {
      await invoke('scale-down');
      scaleDownRuns++;
      if (!(await live(idle))) break;
      if (Date.now() >= reclaimBy) step('the idle instance is reclaimed in time', false, `still running after ${scaleDownRuns} scale-down runs${pastDeadline(deadline)}`);
      await sleep(Math.max(1, confirmation + 1) * 1000);
    }
    if (evidence.source === 'hooks') {
      // The machine's word needs no idle streak: the look before the DELETE and the re-check after the settle confirm.
      step('the idle instance was reclaimed on its first idle sighting', scaleDownRuns === 1, `${scaleDownRuns} scale-down runs`);
    } else {
      // Only GitHub's lagging busy flag speaks: two sightings at least.
      step('the idle instance was reclaimed after a confirming sighting', scaleDownRuns >= 2, `${scaleDownRuns} scale-down runs`);
    }
    step('the idle runner is deregistered', (await world.registry.getRunner(created.runners.get(idle)!)) === undefined);
    jobState = await world.jobs.state(job);
    step('the busy job still runs', jobState.status === 'in_progress', describeJob(jobState));
    step('the busy instance lives', await live(busyInstance));

    // 5. Both functions once more while the job runs: the busy instance stays.
    await invoke('scale-down');
    await invoke('orphan-cleanup');
    jobState = await world.jobs.state(job);
    step('the busy instance lives through another round while its job runs', (await live(busyInstance)) && jobState.status === 'in_progress', describeJob(jobState));

    // 6. The job ends and succeeds; orphan-cleanup reclaims the instance afterwards.
    jobState = await waitFor('the job to end', opts.jobDurationSeconds + opts.timeouts.jobSlack, async () => {
      const s = await world.jobs.state(job);
      return s.status === 'completed' ? s : undefined;
    });
    report.jobConclusion = jobState.status === 'completed' ? jobState.conclusion : undefined;
    step('the busy job succeeded', report.jobConclusion === 'success', `conclusion ${report.jobConclusion}`);
    step('the busy instance lived until its job ended', await live(busyInstance));
    await waitUntil(`the job-completed hook to remove ${TAG.job}`, 60, async () => !(TAG.job in (await world.instances.describe(busyInstance)).tags));
    let orphanRuns = 0;
    const orphanBy = Math.min(Date.now() + opts.timeouts.reclaim * 1000, deadline.at);
    if (evidence.source === 'hooks') {
      for (;;) {
        await invoke('orphan-cleanup');
        orphanRuns++;
        if (!(await live(busyInstance))) break;
        if (Date.now() >= orphanBy) step('orphan-cleanup reclaims the busy instance in time', false, `still running after ${orphanRuns} orphan-cleanup runs${pastDeadline(deadline)}`);
        await sleep(Math.max(1, confirmation + 1) * 1000);
      }
      step('orphan-cleanup reclaimed the busy instance after its job', true, `${orphanRuns} orphan-cleanup runs`);
    } else {
      // Its runner is gone from GitHub; without machine evidence nothing tells this instance
      // from one whose ephemeral runner runs a job: it must be held, not reclaimed.
      const holding = 'orphan-cleanup holds the busy instance after its job (waiting-max-job-duration)';
      for (;;) {
        const result = await invoke('orphan-cleanup');
        orphanRuns++;
        if (!(await live(busyInstance))) step(holding, false, `terminated by orphan-cleanup run ${orphanRuns}, before MAX_JOB_DURATION_MINUTES, with no machine evidence`);
        if ((result.summary?.reasons?.['waiting-max-job-duration'] ?? 0) > 0) break;
        if (Date.now() >= orphanBy) step(holding, false, `no run held it for that reason in ${orphanRuns} orphan-cleanup runs${pastDeadline(deadline)}`);
        await sleep(Math.max(1, confirmation + 1) * 1000);
      }
      step(holding, true, `${orphanRuns} orphan-cleanup runs; the clean-up terminates it`);
    }
    report.ok = true;
  } catch (error) {
    report.error = error instanceof StepFailed ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    if (!(error instanceof StepFailed)) log(`FAIL ${report.error}`);
  } finally {
    await cleanUp(world, created, jobState, report);
    report.finishedAt = now();
  }
  return report;
}

/** Removes what the scenario created; each part is tried even when another failed. */
async function cleanUp(
  world: ScenarioWorld,
  created: { instances: string[]; runners: Map<string, number>; job: DispatchedJob | undefined },
  jobState: JobState | undefined,
  report: ScenarioReport,
): Promise<void> {
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      report.cleanup.push(`${what}: done`);
    } catch (error) {
      report.cleanup.push(`${what}: failed (${(error as Error).message})`);
    }
  };
  const job = created.job;
  if (job && jobState?.status !== 'completed') await attempt('cancel the job', () => world.jobs.cancel(job));
  await attempt('stop the runner processes', () => world.runners.stopAll());
  for (const [instanceId, runnerId] of created.runners) {
    await attempt(`deregister runner ${runnerId} (${instanceId})`, () => world.registry.deleteRunner(runnerId));
  }
  await attempt('terminate the instances', async () => {
    const left: string[] = [];
    for (const id of created.instances) if (isLive((await world.instances.describe(id)).state)) left.push(id);
    await world.instances.terminate(left);
  });
}

interface Deadline {
  at: number;
  seconds: number | undefined;
}

function pastDeadline(deadline: Deadline): string {
  return Date.now() >= deadline.at ? `; the scenario's deadline of ${deadline.seconds} s (SCENARIO_DEADLINE_SECONDS) has passed` : '';
}

/** Waits for `probe` up to `seconds`, and never past the scenario's deadline. */
async function waitWithin<T>(what: string, seconds: number, pollMs: number, deadline: Deadline, probe: () => Promise<T | undefined>): Promise<T> {
  const own = Date.now() + seconds * 1000;
  const end = Math.min(own, deadline.at);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) {
      throw new StepFailed(
        own <= deadline.at
          ? `timed out after ${seconds} s waiting for ${what}`
          : `the scenario's deadline of ${deadline.seconds} s (SCENARIO_DEADLINE_SECONDS) passed while waiting for ${what}`,
      );
    }
    await sleep(Math.max(0, Math.min(pollMs, end - Date.now() + 1)));
  }
}

function describeJob(state: JobState): string {
  if (state.status !== 'completed') return `job ${state.status}`;
  const hint = state.conclusion === 'success' ? '; SCENARIO_JOB_DURATION_SECONDS may be too short' : '';
  return `job completed with conclusion ${state.conclusion}${hint}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function now(): string {
  return new Date().toISOString();
}
