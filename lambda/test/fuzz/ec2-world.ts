/**
 * EC2 as the fuzz serves it, behind aws-sdk-client-mock (the real EC2Client and the real
 * paginator run; only `send` answers from here). DescribeInstances answers from the world's
 * tag store with the filters EC2 applies, disturbed per call and per instance: entries
 * without Tags, LaunchTime, State or InstanceId, unknown states, tags without a value,
 * duplicates across pages (the same, or one copy without its tags), instances the filter
 * should have left out, odd page sizes, NextToken loops and failures. CreateTags,
 * DeleteTags and TerminateInstances change the world and may fail; termination protection
 * (OperationNotPermitted) and IAM denials (UnauthorizedOperation) refuse the whole call, as
 * EC2 does.
 *
 * A TerminateInstances call is checked on arrival against the truth: never a machine whose
 * runner is registered and busy, that carries live job evidence or the bypass tag, that is
 * not ours, or in a dry run.
 */
import { ServiceWorld } from './service-world';
import { EC2ServiceException, type DescribeInstancesCommandInput, type Filter, type Instance, type Tag } from '@aws-sdk/client-ec2';
import { TAG } from '../../src/core/tags';
import { EC2_READ_FAULTS, type Ec2ReadFault, type FaultPlan } from './faults';
import { bypassValue, type Machine, type World } from './model';
import { keyed, type Gen } from './random';
import type { RunContext, ServedInstance } from './run-context';

/** The keys the reaper may write, and (with 0.1.0's pair) remove. */
export const REAPER_KEYS: ReadonlySet<string> = new Set([
  TAG.idleSince,
  TAG.drainingSince,
  TAG.reaperOrphanSince,
  TAG.deleteFailures,
  TAG.deleteFailedAt,
  TAG.terminationRefusedAt,
]);
/** What a dry run may write: the bookkeeping marks a real run writes too. */
const DRY_RUN_KEYS: ReadonlySet<string> = new Set([TAG.idleSince, TAG.reaperOrphanSince]);

const KNOWN_STATES = new Set(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']);

/** A page loop longer than this is what the Lambda timeout would end. */
export const PAGE_LOOP_LIMIT = 40;

export class FuzzPageLoop extends Error {
  override readonly name = 'FuzzPageLoop';
}

function awsError(name: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

function matches(machine: Machine, filters: readonly Filter[]): boolean {
  for (const filter of filters) {
    const values = filter.Values ?? [];
    const name = filter.Name ?? '';
    if (name === 'instance-state-name' && !values.includes(machine.state)) return false;
    if (name === 'instance-id' && !values.includes(machine.id)) return false;
    if (name.startsWith('tag:')) {
      const value = machine.tags[name.slice(4)];
      if (value === undefined || !values.includes(value)) return false;
    }
  }
  return true;
}

function toSdk(machine: Machine): Instance {
  return {
    InstanceId: machine.id,
    LaunchTime: new Date(machine.launchTime),
    State: { Name: machine.state as never, Code: 16 },
    Tags: Object.entries(machine.tags).map(([Key, Value]) => ({ Key, Value })),
    PlatformDetails: machine.platformDetails,
    InstanceType: 'm7g.large',
  };
}

/** What the entry says, read by the contract of ec2.ts (id, valid launch time, known state). */
function describeEntry(raw: Instance, fault: Ec2ReadFault | undefined): ServedInstance {
  const launch = raw.LaunchTime;
  const wellFormed =
    typeof raw.InstanceId === 'string' && raw.InstanceId !== '' && launch instanceof Date && !Number.isNaN(launch.getTime()) && KNOWN_STATES.has(raw.State?.Name ?? '');
  const tags = raw.Tags === undefined ? undefined : Object.fromEntries(raw.Tags.filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));
  return { ...(raw.InstanceId ? { id: raw.InstanceId } : {}), wellFormed, ...(tags ? { tags } : {}), ...(fault ? { fault } : {}) };
}

interface PagedCall {
  pages: Instance[][];
  /** Page index the token of each page points to (a loop points back). */
  next: (number | undefined)[];
  throwAt?: { page: number; error: EC2ServiceException };
  served: number;
  describeIndex: number;
}

export class Ec2World extends ServiceWorld {
  private calls = new Map<string, PagedCall>();
  private callNo = 0;

  constructor(
    private readonly world: World,
    private readonly plan: FaultPlan,
    private readonly seed: number,
    private readonly caseStart: number,
  ) {
    super();
  }


  describeInstances(input: DescribeInstancesCommandInput): unknown {
    const ctx = this.ctx!;
    if (input.NextToken !== undefined) return this.page(ctx, input.NextToken);
    const filters = input.Filters ?? [];
    const call = filters.some((f) => f.Name === 'instance-id') ? 'ids' : 'list';
    const n = this.count(`${ctx.run}|${ctx.phase}|${call}`);
    const g = keyed(this.seed, ctx.run, ctx.phase, 'describe', call, n);
    const asked = call === 'ids' ? filters.find((f) => f.Name === 'instance-id')?.Values ?? [] : undefined;
    const machines = g.shuffle([...this.world.machines.values()].filter((m) => matches(m, filters)));
    const callFault = this.plan.pick(g, ['ec2-foreign', 'ec2-pages', 'ec2-token-loop', 'ec2-throw'] as const, 0.4);
    if (callFault === 'ec2-foreign' && call === 'list') {
      // A filter EC2 did not apply: another deployment's instance, or one of ours that is stopped.
      const stray = g.shuffle([...this.world.machines.values()].filter((m) => !matches(m, filters)))[0];
      if (stray) machines.splice(g.int(0, machines.length), 0, stray);
    }
    const entries: Instance[] = [];
    const served: ServedInstance[] = [];
    for (const machine of machines) {
      const fault = this.plan.pick(
        keyed(this.seed, ctx.run, ctx.phase, 'instance', call, n, machine.id),
        EC2_READ_FAULTS.filter((k) => INSTANCE_FAULTS.has(k) && (k !== 'ec2-missing' || call === 'ids')),
        0.3,
      );
      for (const raw of this.disturb(machine, fault, g)) {
        entries.push(raw);
        served.push(describeEntry(raw, fault));
      }
      ctx.served(fault);
    }
    for (const entry of served) this.noteShown(ctx, entry);
    const record = { seq: ctx.seq(), call, phase: ctx.phase, ...(asked ? { asked: [...asked] } : {}), entries: served, ...(callFault ? { fault: callFault } : {}) } as const;
    ctx.describes.push({ ...record });
    ctx.served(callFault);

    const pages: Instance[][] = [];
    if (callFault === 'ec2-pages' || callFault === 'ec2-token-loop') {
      let rest = entries;
      while (rest.length > 0 || pages.length === 0) {
        const size = g.int(0, 3);
        pages.push(rest.slice(0, size));
        rest = rest.slice(size);
      }
      if (g.chance(0.5)) pages.push([]);
    } else {
      pages.push(entries);
    }
    const next = pages.map((_, i) => (i + 1 < pages.length ? i + 1 : undefined));
    if (callFault === 'ec2-token-loop') next[pages.length - 1] = Math.max(0, pages.length - 2);
    const paged: PagedCall = { pages, next, served: 0, describeIndex: ctx.describes.length - 1 };
    if (callFault === 'ec2-throw') {
      paged.throwAt = { page: g.int(0, pages.length - 1), error: awsError(g.pick(['RequestLimitExceeded', 'InternalError', 'UnauthorizedOperation']), 'EC2 could not answer') };
    }
    const id = `c${++this.callNo}`;
    this.calls.set(id, paged);
    return this.serve(ctx, id, paged, 0);
  }

  private page(ctx: RunContext, token: string): unknown {
    const [id, index] = token.split(':');
    const paged = this.calls.get(id ?? '');
    if (!paged) throw awsError('InvalidParameterValue', `unknown NextToken ${token}`);
    return this.serve(ctx, id!, paged, Number(index));
  }

  private serve(ctx: RunContext, id: string, paged: PagedCall, index: number): unknown {
    paged.served++;
    if (paged.served > PAGE_LOOP_LIMIT) {
      ctx.violation('page-loop-not-detected', `DescribeInstances followed ${PAGE_LOOP_LIMIT} NextTokens in a loop: the run would hang until the Lambda times out`);
      throw new FuzzPageLoop('the NextToken loop went on (the Lambda would time out here)');
    }
    if (paged.throwAt && paged.throwAt.page === index) {
      ctx.describes[paged.describeIndex]!.threw = paged.throwAt.error.name;
      throw paged.throwAt.error;
    }
    const next = paged.next[index];
    return {
      Reservations: [{ ReservationId: `r-${id}-${index}`, Instances: paged.pages[index] ?? [] }],
      ...(next !== undefined ? { NextToken: `${id}:${next}` } : {}),
    };
  }

  private disturb(machine: Machine, fault: Ec2ReadFault | undefined, g: Gen): Instance[] {
    const raw = toSdk(machine);
    switch (fault) {
      case 'ec2-no-tags':
        return [g.chance(0.5) ? { ...raw, Tags: [] } : withoutKey(raw, 'Tags')];
      case 'ec2-no-launch':
        return [g.chance(0.5) ? withoutKey(raw, 'LaunchTime') : { ...raw, LaunchTime: new Date('not a date') }];
      case 'ec2-no-state':
        return [g.chance(0.5) ? withoutKey(raw, 'State') : { ...raw, State: {} }];
      case 'ec2-unknown-state':
        return [{ ...raw, State: { Name: g.pick(['hibernating', 'RUNNING', '', 'rebooting']) as never } }];
      case 'ec2-no-id':
        return [withoutKey(raw, 'InstanceId')];
      case 'ec2-dup-same':
        return [raw, { ...raw }];
      case 'ec2-dup-partial':
        return g.shuffle([raw, withoutKey(raw, 'Tags')]);
      case 'ec2-tag-no-value': {
        const tags = raw.Tags ?? [];
        const victim = g.int(0, Math.max(0, tags.length - 1));
        return [{ ...raw, Tags: tags.map((t, i): Tag => (i === victim ? { Key: t.Key } : t)) }];
      }
      case 'ec2-missing':
        return [];
      default:
        return [raw];
    }
  }

  private noteShown(ctx: RunContext, entry: ServedInstance): void {
    if (!entry.wellFormed || !entry.id || !entry.tags) return;
    const machine = this.world.machines.get(entry.id);
    if (entry.tags[TAG.job] !== undefined && machine && this.world.liveJobTag(machine, this.caseStart)) ctx.shown.liveJobTags.add(entry.id);
    if (bypassValue(entry.tags[TAG.bypassRemoval])) ctx.shown.bypass.add(entry.id);
  }

  // --- writes ---------------------------------------------------------------------------

  private writeFault(ctx: RunContext, call: string, kind: 'tags-fail' | 'untag-fail'): EC2ServiceException | undefined {
    const n = this.count(`${ctx.run}|${call}`);
    const fault = this.plan.pick(keyed(this.seed, ctx.run, call, n), [kind]);
    if (!fault) return undefined;
    ctx.served(fault);
    const g = keyed(this.seed, ctx.run, call, n, 'error');
    return awsError(g.pick(['RequestLimitExceeded', 'InternalError', 'UnauthorizedOperation']), `${call} failed`);
  }

  createTags(input: { Resources?: string[]; Tags?: Tag[] }): unknown {
    const ctx = this.ctx!;
    const ids = input.Resources ?? [];
    const keys = (input.Tags ?? []).map((t) => t.Key ?? '');
    this.checkWrite(ctx, 'CreateTags', ids, keys);
    const error = this.writeFault(ctx, 'CreateTags', 'tags-fail');
    ctx.writes.push({ seq: ctx.seq(), call: 'CreateTags', phase: ctx.phase, ids: [...ids], keys, ...(error ? { failed: error.name, fault: 'tags-fail' as const } : {}) });
    if (error) throw error;
    for (const id of ids) {
      const machine = this.world.machines.get(id);
      if (machine) for (const tag of input.Tags ?? []) machine.tags[tag.Key!] = tag.Value ?? '';
    }
    return {};
  }

  deleteTags(input: { Resources?: string[]; Tags?: Tag[] }): unknown {
    const ctx = this.ctx!;
    const ids = input.Resources ?? [];
    const keys = (input.Tags ?? []).map((t) => t.Key ?? '');
    this.checkWrite(ctx, 'DeleteTags', ids, keys);
    const error = this.writeFault(ctx, 'DeleteTags', 'untag-fail');
    ctx.writes.push({ seq: ctx.seq(), call: 'DeleteTags', phase: ctx.phase, ids: [...ids], keys, ...(error ? { failed: error.name, fault: 'untag-fail' as const } : {}) });
    if (error) throw error;
    for (const id of ids) {
      const machine = this.world.machines.get(id);
      if (machine) for (const key of keys) delete machine.tags[key];
    }
    return {};
  }

  private checkWrite(ctx: RunContext, call: 'CreateTags' | 'DeleteTags', ids: string[], keys: string[]): void {
    for (const id of ids) {
      const machine = this.world.machines.get(id);
      if (!machine) ctx.violation('write-unknown-instance', `${call} on ${id}, which EC2 never listed`);
      else if (machine.foreign) ctx.violation('write-foreign-instance', `${call} ${keys.join(',')} on ${id}, another deployment's instance`);
      for (const key of keys) {
        const legacy = call === 'DeleteTags' && (key === TAG.legacyOrphanSince || (key === TAG.orphan && machine?.tags[TAG.legacyOrphanSince] !== undefined));
        if (!REAPER_KEYS.has(key) && !legacy) ctx.violation('write-forbidden-tag', `${call} ${key} on ${id}`);
        if (ctx.dryRun && call === 'CreateTags' && !DRY_RUN_KEYS.has(key)) ctx.violation('dry-run-wrote', `${call} ${key} on ${id} in a dry run`);
      }
    }
  }

  terminateInstances(input: { InstanceIds?: string[] }): unknown {
    const ctx = this.ctx!;
    const ids = input.InstanceIds ?? [];
    for (const id of ids) this.checkTermination(ctx, id);
    const n = this.count(`${ctx.run}|terminate`);
    const g = keyed(this.seed, ctx.run, 'terminate', n);
    const machines = ids.map((id) => this.world.machines.get(id));
    const record = { seq: ctx.seq(), call: 'TerminateInstances' as const, phase: ctx.phase, ids: [...ids], keys: [] as string[] };
    const fail = (error: EC2ServiceException, fault?: 'term-fail' | 'term-protected' | 'term-unauthorized') => {
      ctx.writes.push({ ...record, failed: error.name, ...(fault ? { fault } : {}) });
      ctx.served(fault);
      return error;
    };
    const protectedOne = machines.find((m) => m?.protected);
    if (protectedOne) {
      throw fail(
        awsError('OperationNotPermitted', `The instance '${protectedOne.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`),
        'term-protected',
      );
    }
    const denied = machines.find((m) => m?.iamDenied);
    if (denied) throw fail(awsError('UnauthorizedOperation', `You are not authorized to perform this operation. Encoded authorization failure message: ${denied.id}`), 'term-unauthorized');
    if (this.plan.pick(g, ['term-fail'])) throw fail(awsError(g.pick(['InternalError', 'RequestLimitExceeded', 'Unavailable']), 'TerminateInstances failed'), 'term-fail');
    ctx.writes.push(record);
    for (const machine of machines) {
      if (!machine) continue;
      this.world.log(`EC2 terminates ${machine.id}${machine.job ? ` while job ${machine.job.id} runs` : ''}`);
      this.world.terminate(machine);
      ctx.terminated.add(machine.id);
    }
    return { TerminatingInstances: ids.map((InstanceId) => ({ InstanceId, CurrentState: { Name: 'shutting-down' } })) };
  }

  /** The invariants a termination must meet, judged by the truth as the call arrives. */
  private checkTermination(ctx: RunContext, id: string): void {
    const machine = this.world.machines.get(id);
    if (!machine) return ctx.violation('terminate-unknown-instance', `TerminateInstances of ${id}, which EC2 never listed`);
    const where = `TerminateInstances of ${id}`;
    if (ctx.dryRun) ctx.violation('terminate-in-dry-run', where);
    if (machine.foreign) ctx.violation('terminate-foreign-instance', `${where}: another deployment's instance`);
    if (bypassValue(machine.tags[TAG.bypassRemoval])) ctx.violation('terminate-bypass', `${where}: it carries ${TAG.bypassRemoval}=${machine.tags[TAG.bypassRemoval]}`);
    if (this.world.liveJobTag(machine, this.caseStart)) {
      ctx.violation('terminate-live-job-tag', `${where}: it carries ${TAG.job}=${machine.tags[TAG.job]} of a job that started less than MAX_JOB_DURATION_MINUTES ago or still runs`);
    }
    for (const runner of this.world.registrationsOf(id)) {
      if (this.world.trulyBusy(runner)) ctx.violation('terminate-registered-busy', `${where}: its runner ${runner.id} is registered and runs job ${machine.job?.id}`);
    }
    if (machine.job && !this.world.registrationsOf(id).some((r) => this.world.trulyBusy(r))) {
      const accepted = machine.acceptedBusyDelete;
      const probeSaw = [...ctx.shown.probeBusy].includes(id);
      if (accepted && accepted.jobId === machine.job.id && !probeSaw && !machine.hooks) {
        ctx.excused.push(`${id}: GitHub accepted the DELETE of its busy runner (job ${machine.job.id}) and no machine evidence could show the job`);
      } else {
        ctx.violation('terminate-running-job', `${where}: job ${machine.job.id} runs on it (a Runner.Worker the probe sees)`);
      }
    }
  }
}

const INSTANCE_FAULTS: ReadonlySet<Ec2ReadFault> = new Set([
  'ec2-no-tags',
  'ec2-no-launch',
  'ec2-no-state',
  'ec2-unknown-state',
  'ec2-no-id',
  'ec2-dup-same',
  'ec2-dup-partial',
  'ec2-tag-no-value',
  'ec2-missing',
]);

function withoutKey<K extends keyof Instance>(raw: Instance, key: K): Instance {
  const { [key]: _dropped, ...rest } = raw;
  return rest;
}
