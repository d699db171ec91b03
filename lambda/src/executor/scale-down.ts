/**
 * Scale-down executor: carries out the core's `reclaim` decisions in the order the design
 * fixes (docs/design.md, "Scale-down: executor"). Each step can only take instances out of
 * the batch; any failure keeps the instance. The order matters:
 * 0. Decide what this invocation can still see through (DELETE, settle, re-check,
 *    terminate) before looking at anything: the rest is deferred without a GitHub call.
 * a. In small windows just ahead of the DELETE stream: GET each runner, re-read the
 *    instances' tags, ask the probe where the decision asks it (`asksProbe`: probe
 *    evidence, or hooks with the probe reaching too): the last look before acting.
 * b. Write-ahead `ghr:draining-since`: should this run die after the DELETE, the mark
 *    tells orphan-cleanup to finish the instance safely instead of leaving it unknown.
 * c. DELETE, never retried, each within MAX_LOOK_AGE_MS of its own look: GitHub's refusal
 *    (422 / 500 "running a job") means busy.
 * d. A settle per window, from its last DELETE (the probe's shorter one where the probe
 *    answered in the look), so a job assigned just before the DELETE has time to show on
 *    the machine (the job-started hook, the Worker process the probe sees); later windows
 *    are looked at and deregistered meanwhile.
 * e. Re-check: the probe, then GitHub where a DELETE was accepted and no probe answered, then the tags.
 * f. Terminate the rest; an instance EC2 refuses is set apart, not its whole window.
 */
import { EC2_BATCH_SIZE, chunk } from '../adapters/ec2';
import {
  TAG,
  asksProbe,
  judgeAfterSettle,
  judgeBeforeDelete,
  vanishedUnseen,
  type Decision,
  type InstanceView,
  type OwnerRef,
  type ProbeRead,
  type RunnerRead,
  type RunnerView,
} from '../core';
import {
  DELETE_COST_MS,
  LOOK_COST_MS,
  LOOK_WINDOW_SIZE,
  MAX_LOOK_AGE_MS,
  afterSettleReserveMs,
  errorText,
  recheckWaitMs,
  withDeadline,
  fromDecision,
  kept,
  type ExecutorEnv,
  type ExecutorPorts,
  type ExecutorReport,
  type Outcome,
} from './outcome';
import { LookAhead } from './look-ahead';
import { probeRound } from './probe';
import { SettleQueue } from './settle-queue';
import { applyTagChanges, decisionTagChanges, type TagChange } from './tag-changes';
import { terminateBudget, terminateInstances } from './terminate';

/** A reclaim decision with what the executor needs present. */
interface Candidate {
  decision: Decision;
  owner: OwnerRef;
  runner: RunnerView;
  /** GitHub already forgot the runner at the look: no DELETE to send. */
  skipDelete: boolean;
  /** GitHub accepted a DELETE (204): only then can a re-check GET still add evidence. */
  accepted: boolean;
  /** When this candidate's draining mark was written. */
  markedAt?: Date;
  /** What the re-check adds to the termination's log line. */
  note?: string;
  /** The probe was asked about this instance in this run (recorded on its outcome). */
  probed?: boolean;
  /** The probe answered for the machine right before its DELETE: the probe's shorter settle applies. */
  probeAnswered?: boolean;
}

interface Look {
  /** When the look began: every part of it is at least this fresh. */
  at: Date;
  reads: RunnerRead[];
  fresh: Map<string, InstanceView> | undefined;
  probes: Map<string, ProbeRead>;
}

/** Looks that end an idle streak: the next idle sighting starts a new one. */
const STREAK_ENDERS: ReadonlySet<string> = new Set([
  'race-busy-before-delete',
  'race-job-evidence-before-delete',
  'race-probe-busy-before-delete',
]);

async function freshRead(ports: ExecutorPorts, ids: string[]): Promise<Map<string, InstanceView> | undefined> {
  try {
    return await ports.ec2.describeByIds(ids);
  } catch {
    return undefined;
  }
}

async function readRunner(ports: ExecutorPorts, c: Candidate): Promise<RunnerRead> {
  try {
    return await ports.github.getRunner(c.owner, c.runner.id);
  } catch (error) {
    return { kind: 'error', error: errorText(error) };
  }
}

export async function runScaleDown(
  decisions: readonly Decision[],
  ports: ExecutorPorts,
  env: ExecutorEnv,
): Promise<ExecutorReport> {
  const run = new ScaleDownRun(ports, env);
  const reclaims: Decision[] = [];
  for (const decision of decisions) {
    if (decision.action === 'reclaim') reclaims.push(decision);
    else if (decision.action === 'keep') run.outcomes.push(kept(decision, decision.reason, decision.message));
    else run.outcomes.push(kept(decision, decision.reason, `Kept: scale-down does not carry out "${decision.action}" decisions.`));
  }

  // Bookkeeping before the batches (in a dry run too: the marks only ever delay an action,
  // and with them a dry run shows by its second cycle what a real run would do). A reclaim
  // decision may ask to drop a stale draining mark, which step b then writes afresh.
  run.errors.push(...(await applyTagChanges(ports.ec2, decisionTagChanges(decisions))));

  // Fair order: runners whose DELETEs failed before go after the healthy ones, so a few
  // broken runners never use up the run's DELETE budget (issue 10, point 11).
  const ordered = reclaims
    .map((decision, index) => ({ decision, index }))
    .sort((a, b) => (a.decision.deleteFailures ?? 0) - (b.decision.deleteFailures ?? 0) || a.index - b.index)
    .map((x) => x.decision);

  const candidates: Candidate[] = [];
  for (const decision of ordered) {
    if (decision.owner && decision.runner) {
      candidates.push({ decision, owner: decision.owner, runner: decision.runner, skipDelete: false, accepted: false });
    } else {
      run.keep(decision, 'not-registered', 'Kept: the reclaim decision names no owner or runner.');
    }
  }
  let rest = candidates;
  while (rest.length > 0) rest = await run.batch(rest);
  return run.finish();
}

class ScaleDownRun {
  readonly outcomes: Outcome[] = [];
  readonly errors: string[] = [];
  private readonly tagChanges: TagChange[] = [];
  /** Candidates that have their outcome: a re-check that fails keeps only the others. */
  private readonly judged = new Set<Candidate>();
  /** MAX_TERMINATE_CALLS for the whole run, however many windows it terminates in. */
  private readonly terminations = terminateBudget();
  /** The looks of the batch under way. */
  private looks: LookAhead<Candidate, Look> | undefined;

  constructor(
    private readonly ports: ExecutorPorts,
    private readonly env: ExecutorEnv,
  ) {}

  keep(subject: Candidate | Decision, reason: Outcome['reason'], message: string, extra: Partial<Outcome> = {}): void {
    if ('decision' in subject) this.judged.add(subject);
    const decision = 'decision' in subject ? subject.decision : subject;
    const probed = 'decision' in subject && subject.probed ? { probed: true } : {};
    this.outcomes.push({ ...kept(decision, reason, message), ...probed, ...extra });
  }

  async finish(): Promise<ExecutorReport> {
    this.errors.push(...(await applyTagChanges(this.ports.ec2, this.tagChanges)));
    return { outcomes: this.outcomes, errors: this.errors };
  }

  private get settleMs(): number {
    return this.env.config.settleSeconds * 1000;
  }

  /** The settle where the probe answered before the DELETE: never longer than the full one. */
  private get probeSettleMs(): number {
    const { config } = this.env;
    return Math.min(config.probe?.settleSeconds ?? config.settleSeconds, config.settleSeconds) * 1000;
  }

  private get probeMs(): number {
    return (this.env.config.probe?.timeoutSeconds ?? 0) * 1000;
  }

  private windowCostMs(window: Candidate[]): number {
    const probe = window.some((c) => asksProbe(c.decision)) ? this.probeMs : 0;
    return LOOK_COST_MS + probe + window.length * DELETE_COST_MS;
  }

  /** Kept free after the DELETEs: the settle, the re-check with GitHub's worst-case waits, a probe round, terminate. */
  private reserveMs(probing: boolean): number {
    return this.settleMs + afterSettleReserveMs(this.env) + (probing ? this.probeMs : 0);
  }

  /**
   * Step 0 (issue 10, point 14): how many of these candidates this batch takes, so that
   * every one of them can be looked at, deregistered, settled, re-checked and terminated in
   * the time left. Decided before any look: a deferred runner costs no GitHub call.
   */
  private plan(candidates: Candidate[]): number {
    const cap = Math.min(candidates.length, EC2_BATCH_SIZE);
    if (!this.env.remainingMs) return cap;
    let budget = this.env.remainingMs() - this.reserveMs(false);
    let probing = false;
    let taken = 0;
    for (const window of chunk(candidates.slice(0, cap), LOOK_WINDOW_SIZE)) {
      const windowProbes = window.some((c) => asksProbe(c.decision));
      // The first window with a probe instance also reserves the probe round after the settle.
      const fixed = LOOK_COST_MS + (windowProbes ? this.probeMs : 0) + (windowProbes && !probing ? this.probeMs : 0);
      probing ||= windowProbes;
      const room = Math.floor((budget - fixed) / DELETE_COST_MS);
      if (room <= 0) break;
      const take = Math.min(window.length, room);
      taken += take;
      budget -= fixed + take * DELETE_COST_MS;
      if (take < window.length) break;
    }
    return taken;
  }

  private defer(rest: Candidate[]): void {
    for (const c of rest) {
      this.keep(c, 'deferred', 'Kept for the next run: too little time left in this invocation to deregister, settle and re-check; not looked at.');
    }
  }

  /** One batch: windows of look-mark-DELETE, each then settled, re-checked and terminated on its own. Returns what is left. */
  async batch(candidates: Candidate[]): Promise<Candidate[]> {
    const planned = this.plan(candidates);
    const mine = candidates.slice(0, planned);
    // Each window settles from its own DELETEs while the next windows are looked at and
    // deregistered: an instance waits the settle after its DELETE, not after the batch's
    // last. And a window's look (GETs, probe round, tags) begins while the DELETEs before it
    // still go out, as far ahead as the look takes (look-ahead.ts), so the DELETE stream hardly
    // stops for it; every DELETE is still held to MAX_LOOK_AGE_MS from its own look.
    const windows = chunk(mine, LOOK_WINDOW_SIZE);
    const looks = new LookAhead(windows, {
      look: (window) => this.look(window),
      // The plan was made on estimates: should the invocation run slower, stop looking.
      fits: (window, probing, deletesBefore) =>
        !this.env.remainingMs || this.env.remainingMs() >= this.reserveMs(probing) + this.windowCostMs(window) + deletesBefore * DELETE_COST_MS,
    });
    this.looks = looks;
    const settles = new SettleQueue();
    let done = 0;
    for (let i = 0; i < windows.length; i++) {
      const look = looks.take(i);
      if (!look) break;
      const window = windows[i]!;
      await this.window(window, await look, settles);
      done += window.length;
      // Re-check whatever has settled meanwhile; its reads run beside the next DELETEs.
      settles.startDue(this.env.now().getTime());
    }
    this.looks = undefined;
    // The one place the run sleeps: until the next window has settled, one sleep at a time.
    while (settles.pending) {
      const next = settles.nextAt();
      if (next === undefined) {
        // Only re-checks running: wait until one ends or adds another (a probe fallback).
        await settles.changed();
        continue;
      }
      await this.env.sleep(Math.max(0, next - this.env.now().getTime()));
      // Due by the time slept to, whatever the clock reads: a clock that did not move on
      // (or moved back) must not keep the run sleeping for ever.
      settles.startDue(Math.max(next, this.env.now().getTime()));
    }
    const cap = Math.min(candidates.length, EC2_BATCH_SIZE);
    if (done < cap) {
      this.defer(candidates.slice(done));
      return [];
    }
    return candidates.slice(done);
  }

  private async look(window: Candidate[]): Promise<Look> {
    const at = this.env.now();
    const ids = window.map((c) => c.decision.instanceId);
    const probing = window.filter((c) => asksProbe(c.decision));
    for (const c of probing) c.probed = true;
    const probeIds = probing.map((c) => c.decision.instanceId);
    const [reads, probes] = await Promise.all([Promise.all(window.map((c) => readRunner(this.ports, c))), probeRound(this.ports.probe, probeIds)]);
    // The tags are read once GitHub and the probe have answered: the time they take (a slow
    // answer, a rate-limit wait) is more time for a job's hook to show, never less.
    const fresh = await freshRead(this.ports, ids);
    return { at, reads, fresh, probes };
  }

  /** Steps a-c for one window, on its look; the candidates deregistered (or already gone) go to their settle. */
  private async window(window: Candidate[], look: Look, settles: SettleQueue): Promise<void> {
    const { env } = this;
    const proceeding = window.filter((c, i) => {
      const id = c.decision.instanceId;
      const verdict = judgeBeforeDelete({
        decision: c.decision,
        read: look.reads[i]!,
        fresh: look.fresh?.get(id),
        probe: look.probes.get(id),
        environments: env.config.environments,
        now: look.at,
      });
      if (verdict.proceed) {
        c.skipDelete = verdict.skipDelete;
        c.probeAnswered = asksProbe(c.decision) && look.probes.get(id)?.kind === 'answered';
        return true;
      }
      this.keep(c, verdict.reason, verdict.message);
      if (STREAK_ENDERS.has(verdict.reason)) this.tagChanges.push({ instanceId: id, remove: [TAG.idleSince] });
      return false;
    });
    // From here on, only the DELETEs still to send hold the next looks back.
    this.looks?.deletesLeft(window, proceeding.filter((c) => !c.skipDelete).length);

    if (env.config.dryRun) {
      for (const c of proceeding) {
        this.keep(c, 'dry-run', `Dry run: would deregister runner ${c.runner.name} and terminate (${c.decision.reason}).`);
      }
      return;
    }
    if (proceeding.length === 0) return;

    // Step b: the write-ahead mark, one call for the window.
    const markedAt = env.now();
    try {
      await this.ports.ec2.setTags(
        proceeding.map((c) => c.decision.instanceId),
        { [TAG.drainingSince]: markedAt.toISOString() },
      );
    } catch (error) {
      for (const c of proceeding) this.keep(c, 'aws-error', `Kept: writing ${TAG.drainingSince} failed (${errorText(error)}); nothing deregistered.`);
      return;
    }

    // Step c: one DELETE at a time, so each is sent knowing how old its look is.
    const deregistered: Candidate[] = [];
    for (const c of proceeding) {
      const id = c.decision.instanceId;
      if (c.skipDelete) {
        deregistered.push(c);
        continue;
      }
      const age = env.now().getTime() - look.at.getTime();
      if (!(age <= MAX_LOOK_AGE_MS)) {
        this.keep(c, 'look-too-old', `Kept for the next run: its look is ${Math.round(age / 1000)} s old, more than ${MAX_LOOK_AGE_MS / 1000} s; not deregistered.`);
        this.tagChanges.push({ instanceId: id, remove: [TAG.drainingSince] });
        this.looks?.deleteSent(window);
        continue;
      }
      let outcome;
      try {
        // The client may queue it (concurrency shared with other windows' reads, pacing):
        // it is not sent once its look is MAX_LOOK_AGE_MS old, whatever the wait.
        outcome = await this.ports.github.deleteRunner(c.owner, c.runner.id, MAX_LOOK_AGE_MS - age);
      } catch (error) {
        outcome = { kind: 'error' as const, error: errorText(error) };
      }
      this.looks?.deleteSent(window);
      if (outcome.kind === 'gone' && vanishedUnseen(c.decision, look.probes.get(id))) {
        // Gone between the look and the DELETE: as at the look, an ephemeral runner that took
        // a job, which nothing after the settle could see here.
        this.keep(
          c,
          'runner-vanished',
          `Kept: runner ${c.runner.name} vanished from GitHub between the look and the DELETE (an ephemeral runner may have taken a job) and no machine evidence could tell; ${TAG.drainingSince} stays for orphan-cleanup.`,
          { deregistered: true },
        );
      } else if (outcome.kind === 'deleted' || outcome.kind === 'gone') {
        c.accepted = outcome.kind === 'deleted';
        deregistered.push(c);
      } else if (outcome.kind === 'not-sent') {
        this.keep(c, 'look-too-old', `Kept for the next run: its DELETE waited past the look's ${MAX_LOOK_AGE_MS / 1000} s (${outcome.detail}); not deregistered.`);
        this.tagChanges.push({ instanceId: id, remove: [TAG.drainingSince] });
      } else if (outcome.kind === 'busy') {
        this.keep(c, 'race-delete-refused', `Kept: GitHub refused to remove runner ${c.runner.name}: ${outcome.detail}`);
        this.tagChanges.push({ instanceId: id, remove: [TAG.drainingSince, TAG.idleSince] });
      } else {
        // The DELETE may have happened: the draining mark stays, orphan-cleanup decides later.
        // The failure is remembered on the instance, so the runner backs off and goes last.
        const failures = (c.decision.deleteFailures ?? 0) + 1;
        this.keep(c, 'github-error', `Kept: removing runner ${c.runner.name} failed (${outcome.error}); ${TAG.drainingSince} stays; failure ${failures} backs it off.`, {
          deregistered: true,
        });
        this.tagChanges.push({
          instanceId: id,
          set: { [TAG.deleteFailures]: String(failures), [TAG.deleteFailedAt]: env.now().toISOString() },
        });
      }
    }
    for (const c of deregistered) c.markedAt = markedAt;
    this.settleWindow(settles, deregistered, env.now().getTime());
  }

  /**
   * Step d for the deregistered candidates of one window: when each is re-checked. Where
   * the probe answered right before the DELETE, its Worker process would show a job from
   * the job's first second, so those settle the probe's shorter time (PROBE_SETTLE_SECONDS);
   * the rest the full SETTLE_SECONDS, which covers a job's set-up before its job-started
   * hook. Both count from the window's last DELETE (`from`).
   */
  private settleWindow(settles: SettleQueue, candidates: Candidate[], from: number): void {
    if (candidates.length === 0) return;
    const quick = candidates.filter((c) => c.probeAnswered && this.probeSettleMs < this.settleMs);
    const full = candidates.filter((c) => !quick.includes(c));
    if (quick.length > 0) settles.add(from + this.probeSettleMs, () => this.guarded(quick, () => this.afterQuickSettle(settles, quick, from)));
    if (full.length > 0) settles.add(from + this.settleMs, () => this.guarded(full, () => this.afterFullSettle(full)));
  }

  /**
   * A re-check runs beside the rest of the run: should it throw (a bug, an answer no
   * adapter foresaw), its candidates without an outcome are kept, deregistered, with the
   * draining mark for orphan-cleanup, and the run goes on.
   */
  private async guarded(candidates: Candidate[], recheck: () => Promise<void>): Promise<void> {
    try {
      await recheck();
    } catch (error) {
      this.errors.push(`re-check failed: ${errorText(error)}`);
      for (const c of candidates) {
        if (this.judged.has(c)) continue;
        this.keep(c, 'aws-error', `Kept: the re-check after the settle failed (${errorText(error)}); ${TAG.drainingSince} stays for orphan-cleanup.`, { deregistered: true });
      }
    }
  }

  private async afterFullSettle(candidates: Candidate[]): Promise<void> {
    await this.recheckAndTerminate(candidates, await this.probeAfterSettle(candidates));
  }

  /**
   * After the probe's short settle, an instance the probe did not answer for and that may
   * be judged without it (hooks, or the rules without machine evidence) waits out the full
   * settle first: those rules need the time a job's set-up (or GitHub's flag) takes.
   */
  private async afterQuickSettle(settles: SettleQueue, candidates: Candidate[], from: number): Promise<void> {
    const probes = await this.probeAfterSettle(candidates);
    const fallsBack = (c: Candidate): boolean => c.decision.probeOptional === true && probes.get(c.decision.instanceId)?.kind !== 'answered';
    const later = candidates.filter(fallsBack);
    // Asked again then: a Worker that started late (a retried lock renewal) shows by then.
    if (later.length > 0) settles.add(from + this.settleMs, () => this.guarded(later, () => this.afterFullSettle(later)));
    await this.recheckAndTerminate(candidates.filter((c) => !fallsBack(c)), probes);
  }

  /** Step e begins with the probe, for the candidates that ask it. */
  private async probeAfterSettle(candidates: Candidate[]): Promise<Map<string, ProbeRead>> {
    const probing = candidates.filter((c) => asksProbe(c.decision));
    for (const c of probing) c.probed = true;
    return probeRound(this.ports.probe, probing.map((c) => c.decision.instanceId));
  }

  /**
   * Step e after the probe's answers: GitHub, only where it accepted a DELETE (a runner
   * GitHub had already forgotten cannot come back busy) and no probe answered for the
   * machine (its Worker process shows a job from the job's first second, so GitHub's word
   * adds nothing there); then the tags of all. Then step f.
   */
  private async recheckAndTerminate(candidates: Candidate[], probes: Map<string, ProbeRead>): Promise<void> {
    if (candidates.length === 0) return;
    const { env, ports } = this;
    const ids = candidates.map((c) => c.decision.instanceId);
    const waitMs = recheckWaitMs(env);
    const noAnswer = (): RunnerRead => ({ kind: 'error', error: `no answer within ${waitMs / 1000} s (a rate-limit wait?)` });
    const asksGitHub = (c: Candidate): boolean => c.accepted === true && !(c.probed && probes.get(c.decision.instanceId)?.kind === 'answered');
    const reads = await Promise.all(candidates.map((c) => (asksGitHub(c) ? withDeadline(readRunner(ports, c), waitMs, noAnswer) : Promise.resolve(undefined))));
    // Last, the tags: what GitHub and the probe took is more time for the hook, never less.
    const fresh = await freshRead(ports, ids);
    const toTerminate = candidates.filter((c, i) => {
      const id = c.decision.instanceId;
      const verdict = judgeAfterSettle({
        decision: c.decision,
        fresh: fresh?.get(id),
        runnerRead: reads[i],
        probe: probes.get(id),
        markedAt: c.markedAt ?? env.now(),
        environments: env.config.environments,
        now: env.now(),
      });
      if (verdict.terminate) {
        if (verdict.note) c.note = verdict.note;
        return true;
      }
      this.keep(c, verdict.reason, `${verdict.message} ${TAG.drainingSince} stays for orphan-cleanup.`, { deregistered: true });
      return false;
    });
    if (toTerminate.length === 0) return;

    // Step f: terminate. A failure leaves the draining mark: orphan-cleanup retries safely.
    const result = await terminateInstances(ports.ec2, toTerminate.map((c) => c.decision.instanceId), this.terminations);
    for (const c of toTerminate) {
      const id = c.decision.instanceId;
      const refused = result.refused.get(id);
      if (result.terminated.has(id)) {
        this.judged.add(c);
        this.outcomes.push({
          ...fromDecision(
            c.decision,
            'terminated',
            c.decision.reason,
            `Terminated: runner ${c.runner.name} deregistered, idle after the settle${c.note ? ` (${c.note})` : ''}.`,
          ),
          deregistered: true,
          ...(c.probed ? { probed: true } : {}),
        });
      } else if (refused !== undefined) {
        this.keep(c, 'termination-refused', `Kept: EC2 refuses to terminate it (${refused}); ${TAG.drainingSince} stays, retried after a back-off.`, {
          deregistered: true,
        });
        this.tagChanges.push({ instanceId: id, set: { [TAG.terminationRefusedAt]: env.now().toISOString() } });
      } else {
        this.keep(c, 'aws-error', `Kept: TerminateInstances failed (${result.failed.get(id) ?? 'no answer'}); ${TAG.drainingSince} stays.`, {
          deregistered: true,
        });
      }
    }
  }
}
