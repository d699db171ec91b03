/**
 * GitHub's runners API as the fuzz serves it, behind the HTTP test server of
 * lambda/test/helpers/github-mock.ts (its interceptor answers every runner request from
 * here; its own routes issue the App's installation and tokens). Answers come from the
 * world's truth, disturbed per request by the case's FaultPlan: status codes, bodies that
 * are malformed, partial or full of junk, pages that do not fit together, rate limits with
 * retry-after, slow answers, DELETEs GitHub applies but whose answer is lost, and the race
 * of a job handed to a runner as its DELETE arrives.
 *
 * Every answer is recorded in the run's RunContext with what a correct adapter must make
 * of it, and a DELETE is checked on arrival against everything the run was shown.
 */
import { ServiceWorld } from './service-world';
import type { RecordedRequest, Reply } from '../helpers/github-mock';
import { TAG } from '../../src/core/tags';
import { DELETE_FAULTS, GET_FAULTS, LISTING_FAULTS, type DeleteFault, type FaultPlan, type GetFault, type ListingFault } from './faults';
import { World, type Runner } from './model';
import { keyed, type Gen } from './random';
import type { GetVerdict, ListingRecord, RunContext } from './run-context';

const RUNNERS = /^\/(orgs\/[^/]+|repos\/[^/]+\/[^/]+)\/actions\/runners(?:\/(\d+))?$/;
const INSTALLATION = /^\/(orgs\/[^/]+|repos\/[^/]+\/[^/]+)\/installation$/;

/** Listing scenarios whose fault, once served, must make the listing fail. */
export const LISTING_MUST_FAIL: ReadonlySet<ListingFault> = new Set([
  'list-5xx',
  'list-status',
  'list-ratelimit-giveup',
  'list-malformed',
  'list-inconsistent-always',
  'list-installation',
]);

export interface GitHubWorldOptions {
  /** The client's per-attempt timeout: a "slow" answer stays well below it, a "timeout" well above. */
  requestTimeoutMs: number;
  /** Whether a job handed to an ephemeral runner as its DELETE arrives may consume its registration. */
  consumeAtDelete: boolean;
}

interface ListingState {
  record: ListingRecord;
  variant: string;
  targetPage: number;
  attempt: number;
  lastPage: number;
  lastRetryable: boolean;
  tries: Map<string, number>;
  slid: boolean;
}

const json = (status: number, body: unknown, extra: Partial<Reply> = {}): Reply => ({ status, body, ...extra });
const message = (status: number, text: string, extra: Partial<Reply> = {}): Reply => json(status, { message: text, documentation_url: 'https://docs.github.com/rest' }, extra);

/** A rate-limit answer the throttling plugin waits out (about a millisecond at the fuzz's retry unit). */
function rateLimitRetryable(g: Gen): Reply {
  if (g.chance(0.5)) return message(429, 'You have exceeded a secondary rate limit. Please wait a few minutes.', { headers: { 'retry-after': '1' } });
  const reset = Math.ceil(Date.now() / 1000) + 1;
  return message(403, 'API rate limit exceeded for installation.', {
    headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': '5000' },
  });
}

/** A rate-limit answer whose wait is longer than the client waits: it gives up. */
function rateLimitGiveUp(g: Gen): Reply {
  if (g.chance(0.5)) return message(429, 'You have exceeded a secondary rate limit.', { headers: { 'retry-after': '3600' } });
  const reset = Math.ceil(Date.now() / 1000) + 3600;
  return message(403, 'API rate limit exceeded for installation.', { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } });
}

/** A final refusal the client does not retry. */
function plainRefusal(g: Gen): Reply {
  return g.pick([
    message(403, 'Resource not accessible by integration'),
    message(422, 'Validation Failed'),
    message(429, 'Too Many Requests'),
    message(400, 'Bad Request'),
  ]);
}

function retryable(reply: Reply, timeoutMs: number): boolean {
  if (reply.status >= 500) return true;
  if ((reply.delayMs ?? 0) >= timeoutMs) return true;
  const headers = reply.headers ?? {};
  return reply.status === 429 ? headers['retry-after'] === '1' : reply.status === 403 && headers['x-ratelimit-reset'] !== undefined && Number(headers['x-ratelimit-reset']) - Date.now() / 1000 < 60;
}

export class GitHubWorld extends ServiceWorld {
  private listingStates = new Map<string, ListingState>();

  constructor(
    private readonly world: World,
    private readonly plan: FaultPlan,
    private readonly seed: number,
    private readonly options: GitHubWorldOptions,
  ) {
    super();
  }


  runnerJson(runner: Runner): Record<string, unknown> {
    return {
      id: runner.id,
      name: runner.name,
      os: runner.os,
      status: runner.offline ? 'offline' : 'online',
      busy: this.world.reportedBusy(runner),
      ephemeral: runner.ephemeral,
      labels: runner.labels.map((name, i) => ({ id: i + 1, name, type: i === 0 ? 'read-only' : 'custom' })),
    };
  }

  /** The interceptor: an answer for every runner request (and faulty installation look-ups). */
  answer(request: RecordedRequest): Reply | undefined {
    const ctx = this.ctx;
    if (!ctx) return undefined;
    const installation = INSTALLATION.exec(request.path);
    if (installation && request.method === 'GET') return this.installation(ctx, installation[1]!);
    const match = RUNNERS.exec(request.path);
    if (!match) return undefined;
    const path = match[1]!;
    if (match[2] === undefined) return request.method === 'GET' ? this.listingPage(ctx, path, request.query) : undefined;
    const id = Number(match[2]);
    if (request.method === 'GET') return this.getRunner(ctx, path, id);
    if (request.method === 'DELETE') return this.deleteRunner(ctx, path, id);
    return undefined;
  }

  // --- listings -------------------------------------------------------------------------

  private listingState(ctx: RunContext, path: string): ListingState {
    const key = `${ctx.run}|${ctx.phase}|${path}`;
    let state = this.listingStates.get(key);
    if (state) return state;
    const g = keyed(this.seed, ctx.run, ctx.phase, 'list', path);
    const full = this.world.listing(path);
    const pages = Math.max(1, Math.ceil(full.length / 100));
    const applicable = LISTING_FAULTS.filter((k) => {
      if (k === 'list-slide') return this.slideVictim(full) !== undefined;
      return true;
    });
    const scenario = this.plan.pick(g, applicable, 0.5);
    const variants: Record<string, string[]> = {
      // No 401 here: @octokit/auth-app retries a 401 on a fresh token for seconds (real time).
      'list-status': ['403', '422', '429', '400'],
      'list-malformed': ['not-json', 'empty-object', 'count-string', 'runners-object', 'count-negative', 'no-busy', 'busy-string', 'id-string', 'name-empty', 'runner-null', 'count-fraction'],
      'list-inconsistent-once': pages > 1 ? ['dup', 'count-change', 'short', 'ignore-page', 'shift'] : ['dup', 'count-change', 'short'],
      'list-inconsistent-always': pages > 1 ? ['dup', 'count-change', 'short', 'ignore-page', 'shift'] : ['dup', 'count-change', 'short'],
    };
    state = {
      record: { ownerPath: path, phase: ctx.phase, ...(scenario ? { scenario } : {}), served: false, unseen: new Set(), removed: new Set() },
      variant: scenario && variants[scenario] ? g.pick(variants[scenario]!) : '',
      targetPage: g.int(1, pages),
      attempt: 0,
      lastPage: 0,
      lastRetryable: false,
      tries: new Map(),
      slid: false,
    };
    // An empty owner has no runner to duplicate.
    if (full.length === 0 && state.variant === 'dup') state.variant = 'short';
    this.listingStates.set(key, state);
    ctx.listings.set(`${ctx.phase}|${path}`, state.record);
    return state;
  }

  private installation(ctx: RunContext, path: string): Reply | undefined {
    const state = this.listingState(ctx, path);
    if (state.record.scenario !== 'list-installation') return undefined;
    state.record.served = true;
    ctx.served('list-installation');
    return message(500, 'Internal Server Error');
  }

  /** The stray runner right after the first page, when a stray on the first page can leave: the victim of a slide. */
  private slideVictim(full: Runner[]): Runner | undefined {
    if (full.length <= 100) return undefined;
    const victim = full[100]!;
    if (victim.instanceId !== undefined) return undefined;
    return full.slice(0, 100).some((r) => r.instanceId === undefined) ? victim : undefined;
  }

  private listingPage(ctx: RunContext, path: string, query: URLSearchParams): Reply {
    const state = this.listingState(ctx, path);
    const page = Math.max(1, Number(query.get('page') ?? 1));
    const perPage = Math.max(1, Number(query.get('per_page') ?? 30));
    if (page === 1 && !(state.lastPage === 1 && state.lastRetryable)) state.attempt++;
    const tryKey = `${state.attempt}|${page}`;
    const tryNo = (state.tries.get(tryKey) ?? 0) + 1;
    state.tries.set(tryKey, tryNo);
    const g = keyed(this.seed, ctx.run, ctx.phase, 'page', path, state.attempt, page, tryNo);
    const reply = this.composePage(ctx, state, path, page, perPage, tryNo, g);
    const body = reply.body as { runners?: unknown } | undefined;
    if (reply.status === 200 && !reply.delayMs && Array.isArray(body?.runners)) {
      for (const r of body.runners as { id?: unknown; busy?: unknown }[]) if (r && typeof r.id === 'number' && r.busy === true) ctx.shown.busyRunners.add(r.id);
    }
    state.lastPage = page;
    state.lastRetryable = retryable(reply, this.options.requestTimeoutMs);
    return reply;
  }

  private composePage(ctx: RunContext, state: ListingState, path: string, page: number, perPage: number, tryNo: number, g: Gen): Reply {
    const { record, variant, targetPage } = state;
    const scenario = record.scenario;
    const mark = (): void => {
      if (!record.served) ctx.served(scenario);
      record.served = true;
    };
    const serve = (reply: Reply): Reply => {
      mark();
      return reply;
    };
    if (scenario === 'list-slide' && page === 2 && state.attempt === 1 && !state.slid) {
      // A runner of the first page leaves and a new one joins while the listing is read:
      // the runner right after the first page slides onto it, unseen; total_count stays.
      state.slid = true;
      const before = this.world.listing(path);
      const victim = this.slideVictim(before);
      const leaver = before.slice(0, 100).find((r) => r.instanceId === undefined);
      if (victim && leaver) {
        this.world.removeRunner(path, leaver.id);
        this.world.addRunner({ ownerPath: path, name: `stray-new-${this.world.newRunnerId()}`, offline: false, ephemeral: false, os: 'Linux', labels: ['self-hosted'] });
        record.unseen.add(victim.id);
        record.removed.add(leaver.id);
        mark();
      }
    }
    const full = this.world.listing(path);
    let runners = full.slice((page - 1) * perPage, page * perPage).map((r) => this.runnerJson(r));
    let total = full.length;
    const first = state.attempt === 1 && tryNo === 1;
    switch (scenario) {
      case 'list-transient':
        if (page === targetPage && first) return serve(message(502, 'Server Error'));
        break;
      case 'list-5xx':
        if (page === targetPage) return serve(message(500, 'Internal Server Error'));
        break;
      case 'list-status':
        if (page === 1) return serve(message(Number(variant), `refused (${variant})`));
        break;
      case 'list-404-once':
        if (page === 1 && first) return serve(message(404, 'Not Found'));
        break;
      case 'list-ratelimit-retry':
        if (page === targetPage && first) return serve(rateLimitRetryable(g));
        break;
      case 'list-ratelimit-giveup':
        if (page === targetPage) return serve(rateLimitGiveUp(g));
        break;
      case 'list-malformed':
        if (page === targetPage) return serve(this.malformedPage(variant, runners, total));
        break;
      case 'list-tolerated':
        mark();
        runners = runners.map((r) => (g.chance(0.5) ? junk(r, g) : r));
        return json(200, { total_count: total, runners, ...(g.chance(0.5) ? { next: 'cursor', _links: { self: 1 } } : {}) });
      case 'list-inconsistent-once':
      case 'list-inconsistent-always': {
        if (scenario === 'list-inconsistent-once' && state.attempt > 1) break;
        const pages = Math.ceil(total / perPage) || 1;
        if (variant === 'dup' && page === Math.min(targetPage, pages) && runners.length > 0) {
          if (runners.length >= 2) runners[runners.length - 1] = runners[0]!;
          else runners.push(runners[0]!);
          mark();
        } else if (variant === 'count-change' && page === Math.min(2, pages)) {
          total += 1;
          mark();
        } else if (variant === 'short') {
          total += 1 + (targetPage % 3);
          mark();
        } else if (variant === 'ignore-page' && page > 1) {
          runners = full.slice(0, perPage).map((r) => this.runnerJson(r));
          mark();
        } else if (variant === 'shift' && page === 2) {
          runners = full.slice(perPage - 1, 2 * perPage - 1).map((r) => this.runnerJson(r));
          mark();
        }
        return json(200, { total_count: total, runners });
      }
      case 'list-slow':
        return serve(json(200, { total_count: total, runners }, { delayMs: g.int(5, Math.round(this.options.requestTimeoutMs / 4)) }));
      case 'list-timeout-once':
        if (page === targetPage && first) return serve(json(200, { total_count: total, runners }, { delayMs: this.options.requestTimeoutMs + 250 }));
        break;
      default:
        break;
    }
    return json(200, { total_count: total, runners });
  }

  private malformedPage(variant: string, runners: Record<string, unknown>[], total: number): Reply {
    const first = runners[0] ?? { id: 1, name: 'x', busy: false };
    const withFirst = (changed: Record<string, unknown> | null) => [changed, ...runners.slice(1)];
    switch (variant) {
      case 'not-json':
        return { status: 200, raw: '<html>proxy error</html>', headers: { 'content-type': 'application/json' } };
      case 'empty-object':
        return json(200, {});
      case 'count-string':
        return json(200, { total_count: String(total), runners });
      case 'runners-object':
        return json(200, { total_count: total, runners: { ...runners } });
      case 'count-negative':
        return json(200, { total_count: -1, runners });
      case 'no-busy': {
        const { busy: _b, ...rest } = first;
        return json(200, { total_count: Math.max(total, 1), runners: withFirst(rest) });
      }
      case 'busy-string':
        return json(200, { total_count: Math.max(total, 1), runners: withFirst({ ...first, busy: String(first.busy) }) });
      case 'id-string':
        return json(200, { total_count: Math.max(total, 1), runners: withFirst({ ...first, id: String(first.id) }) });
      case 'name-empty':
        return json(200, { total_count: Math.max(total, 1), runners: withFirst({ ...first, name: '' }) });
      case 'runner-null':
        return json(200, { total_count: Math.max(total, 1), runners: withFirst(null) });
      default:
        return json(200, { total_count: total + 0.5, runners });
    }
  }

  // --- one runner -----------------------------------------------------------------------

  private getRunner(ctx: RunContext, path: string, id: number): Reply {
    const key = `${ctx.run}|${ctx.phase}|get|${id}`;
    const tryNo = this.count(key);
    const scenario = this.plan.pick(keyed(this.seed, ctx.run, ctx.phase, 'get', id), GET_FAULTS);
    const g = keyed(this.seed, ctx.run, ctx.phase, 'get-reply', id, tryNo);
    const runner = this.world.findRunner(path, id);
    const normal = (): Reply => (runner ? json(200, this.runnerJson(runner)) : message(404, 'Not Found'));
    const reply = this.faultyGet(scenario, tryNo, runner, id, normal, g);
    const verdict = getVerdict(reply, id, this.options.requestTimeoutMs);
    if (reply.fault) ctx.served(reply.fault);
    if (verdict.kind === 'found' && verdict.busy) ctx.shown.busyRunners.add(id);
    ctx.gets.push({ seq: ctx.seq(), runnerId: id, phase: ctx.phase, status: reply.status, verdict, ...(reply.fault ? { fault: reply.fault } : {}) });
    const { fault: _f, ...plain } = reply;
    return plain;
  }

  private faultyGet(scenario: GetFault | undefined, tryNo: number, runner: Runner | undefined, id: number, normal: () => Reply, g: Gen): Reply & { fault?: GetFault } {
    const faulty = (reply: Reply): Reply & { fault?: GetFault } => ({ ...reply, ...(scenario ? { fault: scenario } : {}) });
    switch (scenario) {
      case 'get-transient':
        return tryNo === 1 ? faulty(message(502, 'Bad Gateway')) : normal();
      case 'get-5xx':
        return faulty(message(g.pick([500, 502, 503]), 'Server Error'));
      case 'get-status':
        return faulty(plainRefusal(g));
      case 'get-malformed': {
        const body: Record<string, unknown> = runner ? this.runnerJson(runner) : { id, name: `runner-${id}`, busy: false };
        const variant = g.pick(['busy-string', 'no-busy', 'other-id', 'name-empty', 'not-json', 'empty', 'null']);
        if (variant === 'not-json') return faulty({ status: 200, raw: 'upstream connect error', headers: { 'content-type': 'application/json' } });
        if (variant === 'null') return faulty({ status: 200, raw: 'null' });
        if (variant === 'empty') return faulty(json(200, {}));
        if (variant === 'busy-string') body.busy = String(body.busy);
        if (variant === 'no-busy') delete body.busy;
        if (variant === 'other-id') body.id = id + 1;
        if (variant === 'name-empty') body.name = '';
        return faulty(json(200, body));
      }
      case 'get-404-lie':
        return faulty(message(404, 'Not Found'));
      case 'get-busy-lie':
        return runner ? faulty(json(200, { ...this.runnerJson(runner), busy: true })) : normal();
      case 'get-ratelimit-retry':
        return tryNo === 1 ? faulty(rateLimitRetryable(g)) : normal();
      case 'get-ratelimit-giveup':
        return faulty(rateLimitGiveUp(g));
      case 'get-slow':
        return faulty({ ...normal(), delayMs: g.int(5, Math.round(this.options.requestTimeoutMs / 4)) });
      case 'get-timeout':
        return faulty({ ...normal(), delayMs: this.options.requestTimeoutMs + 250 });
      case 'get-tolerated':
        return runner ? faulty(json(200, junk(this.runnerJson(runner), g))) : normal();
      default:
        return normal();
    }
  }

  private deleteRunner(ctx: RunContext, path: string, id: number): Reply {
    const g = keyed(this.seed, ctx.run, 'delete', id, this.count(`${ctx.run}|del|${id}`));
    const before = this.world.findRunner(path, id);
    const instanceId = before?.instanceId ?? this.world.listing(path).find((r) => r.id === id)?.instanceId;
    this.checkDelete(ctx, path, id);
    ctx.deleteAsked.add(id);

    // The race the design fears most: a job handed to the runner as its DELETE arrives.
    if (before && this.plan.on('del-race') && g.chance(this.plan.focused('del-race') ? 0.7 : 0.35)) {
      const lagMs = g.int(1_000, 90_000);
      const consumeEphemeral = this.options.consumeAtDelete && g.chance(0.5);
      const job = this.world.assignJob(before, g, { lagMs, reason: 'as its DELETE arrives', consumeEphemeral });
      if (job) ctx.served('del-race');
      if (job && consumeEphemeral) ctx.served('race-ephemeral-at-delete');
    }
    const runner = this.world.findRunner(path, id);
    const scenario = this.plan.pick(g, DELETE_FAULTS.filter((k) => k !== 'del-race'));
    const { reply, applied, fault } = this.deleteAnswer(runner, path, g, scenario);
    if (applied && runner && this.world.trulyBusy(runner) && runner.instanceId) {
      const machine = this.world.machines.get(runner.instanceId)!;
      machine.acceptedBusyDelete = { at: this.world.now, jobId: machine.job!.id };
      this.world.log(`GitHub accepted the DELETE of busy runner ${id} on ${machine.id}`);
    }
    if (applied) this.world.removeRunner(path, id);
    ctx.served(fault);
    const verdict = deleteVerdict(reply, this.options.requestTimeoutMs);
    ctx.deletes.push({ seq: ctx.seq(), runnerId: id, ...(instanceId ? { instanceId } : {}), status: reply.status, verdict, applied, ...(fault ? { fault } : {}) });
    this.world.log(`DELETE runner ${id}: ${reply.status}${reply.delayMs ? ` after ${reply.delayMs} ms` : ''} (${verdict}${applied ? ', applied' : ''})`);
    return reply;
  }

  private deleteAnswer(runner: Runner | undefined, path: string, g: Gen, scenario: DeleteFault | undefined): { reply: Reply; applied: boolean; fault?: DeleteFault } {
    if (!runner) return { reply: message(404, 'Not Found'), applied: false };
    const refusal = (): Reply =>
      g.pick([
        message(422, `Bad request - Runner "${runner.name}" is still running a job"`),
        message(422, `Runner ${runner.name} is currently running a job and cannot be deleted`),
        message(500, `Runner ${runner.name} may be actively running a job`),
      ]);
    const busy = this.world.trulyBusy(runner);
    const timeout = this.options.requestTimeoutMs + 250;
    const done = (reply: Reply, applied: boolean) => ({ reply, applied, ...(scenario ? { fault: scenario } : {}) });
    // GitHub sometimes removes a runner that holds a job (github-runner-facts.md, 2026):
    // only the machine's own evidence after the settle can save that job then.
    if (busy && this.plan.on('del-accept-busy') && g.chance(this.plan.focused('del-accept-busy') ? 0.9 : 0.5)) {
      return { reply: { status: 204 }, applied: true, fault: 'del-accept-busy' };
    }
    switch (scenario) {
      case 'del-accept-busy':
        return { reply: busy ? refusal() : { status: 204 }, applied: !busy };
      case 'del-5xx':
        return done(message(g.pick([500, 503]), 'Internal Server Error'), false);
      case 'del-lost':
        return done(g.chance(0.5) ? message(502, 'Bad Gateway') : { status: 204, delayMs: timeout }, !busy);
      case 'del-403':
        return done(message(403, 'Resource not accessible by integration'), false);
      case 'del-429':
        return done(message(429, 'You have exceeded a secondary rate limit.', { headers: { 'retry-after': '1' } }), false);
      case 'del-200':
        return busy ? { reply: refusal(), applied: false } : done(json(200, {}), true);
      case 'del-422-spurious':
        return done(message(422, `Bad request - Runner "${runner.name}" is still running a job"`), false);
      case 'del-500-running':
        return done(message(500, `Runner ${runner.name} may be actively running a job`), false);
      case 'del-timeout':
        return done({ ...(busy ? refusal() : message(500, 'slow')), delayMs: timeout }, false);
      default:
        return busy ? { reply: refusal(), applied: false } : { reply: { status: 204 }, applied: true };
    }
  }

  /** A DELETE must not be sent against evidence the run was shown, nor without the write-ahead mark. */
  private checkDelete(ctx: RunContext, path: string, id: number): void {
    const runner = this.world.findRunner(path, id);
    const instanceId = runner?.instanceId;
    const where = `DELETE of runner ${id}${instanceId ? ` (instance ${instanceId})` : ''}`;
    if (ctx.kind !== 'scale-down') ctx.violation('delete-outside-scale-down', `${where} in ${ctx.kind}`);
    if (ctx.dryRun) ctx.violation('delete-in-dry-run', where);
    if (ctx.shown.busyRunners.has(id)) ctx.violation('delete-after-busy-shown', `${where}: GitHub said busy earlier in this run`);
    if (runner && instanceId === undefined) ctx.violation('delete-of-unclaimed-runner', `${where}: the runner is no machine's of this fleet`);
    if (!instanceId) return;
    if (ctx.shown.liveJobTags.has(instanceId)) ctx.violation('delete-after-job-tag-shown', `${where}: its instance was shown a live ${TAG.job} in this run`);
    if (ctx.shown.bypass.has(instanceId)) ctx.violation('delete-after-bypass-shown', `${where}: its instance was shown ${TAG.bypassRemoval}=true in this run`);
    if (ctx.shown.probeBusy.has(instanceId)) ctx.violation('delete-after-probe-busy', `${where}: the probe said busy in this run`);
    const machine = this.world.machines.get(instanceId);
    if (machine && machine.tags[TAG.drainingSince] === undefined) ctx.violation('delete-without-draining-mark', `${where}: ${TAG.drainingSince} is not written`);
  }
}

/** Unknown values in fields the reaper does not use, and fields it has never heard of. */
function junk(runner: Record<string, unknown>, g: Gen): Record<string, unknown> {
  const out: Record<string, unknown> = { ...runner, runner_group_id: g.int(1, 9), [`x_${g.int(0, 99)}`]: { nested: [1, 'two', null] } };
  const field = g.pick(['status', 'labels', 'os', 'ephemeral', 'all']);
  if (field === 'status' || field === 'all') out.status = g.pick(['weird', null, 42, 'ONLINE']);
  if (field === 'labels' || field === 'all') out.labels = g.pick(['self-hosted', [{}], null, [{ name: 7 }], 12]);
  if (field === 'os' || field === 'all') out.os = g.pick([42, '', null, { name: 'Linux' }]);
  if (field === 'ephemeral' || field === 'all') out.ephemeral = 'maybe';
  return out;
}

/** What a correct adapter makes of a GET answer, were it the last attempt. */
export function getVerdict(reply: Reply, id: number, timeoutMs: number): GetVerdict {
  if ((reply.delayMs ?? 0) >= timeoutMs) return { kind: 'error' };
  if (reply.status === 404) return { kind: 'gone' };
  if (reply.status === 401) return { kind: 'installation' };
  if (reply.status !== 200 || reply.raw !== undefined) return { kind: 'error' };
  const body = reply.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object') return { kind: 'error' };
  const wellFormed =
    typeof body.id === 'number' && Number.isInteger(body.id) && body.id > 0 && typeof body.name === 'string' && body.name !== '' && typeof body.busy === 'boolean';
  if (!wellFormed || body.id !== id) return { kind: 'error' };
  return { kind: 'found', busy: body.busy as boolean };
}

/** What a correct adapter makes of a DELETE answer (never retried). */
export function deleteVerdict(reply: Reply, timeoutMs: number): 'deleted' | 'gone' | 'busy' | 'error' {
  if ((reply.delayMs ?? 0) >= timeoutMs) return 'error';
  if (reply.status === 204) return 'deleted';
  if (reply.status === 404) return 'gone';
  if (reply.status === 422) return 'busy';
  const text = String((reply.body as { message?: unknown } | undefined)?.message ?? '');
  if (reply.status === 500 && /running a job/i.test(text)) return 'busy';
  return 'error';
}
