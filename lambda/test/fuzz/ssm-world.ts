/**
 * Systems Manager as the fuzz serves it, behind aws-sdk-client-mock: who is online
 * (DescribeInstanceInformation) and the probe itself (SendCommand, then
 * ListCommandInvocations / GetCommandInvocation on the probe's own clock). The probe's
 * answer is the machine's truth (a Worker runs or not); the disturbances are failed,
 * cancelled, undeliverable or never-ending invocations, output that does not parse, a cut
 * or stderr-mixed Output, failing calls, invocations without an id, agents that are not
 * what DescribeInstanceInformation said. The probe never lies about a Worker: it is the
 * machine's own word, and nothing could detect a machine that lies.
 */
import { ServiceWorld } from './service-world';
import { SSMServiceException, type CommandInvocation, type InstanceInformation } from '@aws-sdk/client-ssm';
import type { FaultPlan, SsmFault } from './faults';
import { FuzzPageLoop, PAGE_LOOP_LIMIT } from './ec2-world';
import { isoOf, type World } from './model';
import { keyed, type Gen } from './random';
import type { RunContext, ServedProbe } from './run-context';

function ssmError(name: string, message: string): SSMServiceException {
  return new SSMServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

const INVOCATION_FAULTS: readonly SsmFault[] = ['ssm-inv-failed', 'ssm-inv-stuck', 'ssm-output-malformed', 'ssm-output-truncated', 'ssm-stderr', 'ssm-inv-no-id'];

interface Plan {
  instanceId: string;
  readyAfterMs: number;
  fault?: SsmFault;
  variant: string;
  /** The machine's answer at the moment the command reached it. */
  answer: Record<string, unknown>;
  busy: boolean;
  deliverable: boolean;
  recorded?: ServedProbe;
}

interface Command {
  id: string;
  sentAt: number;
  phase: RunContext['phase'];
  plans: Map<string, Plan>;
  polls: number;
}

export class SsmWorld extends ServiceWorld {
  /** The probe's own clock: its polling waits advance it, never the world's. */
  readonly clock = { t: 0 };
  private commands = new Map<string, Command>();
  private commandNo = 0;

  constructor(
    private readonly world: World,
    private readonly plan: FaultPlan,
    private readonly seed: number,
  ) {
    super();
  }


  describeInstanceInformation(input: { Filters?: { Key?: string; Values?: string[] }[]; NextToken?: string }): unknown {
    const ctx = this.ctx!;
    const asked = input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
    const n = this.count(`${ctx.run}|info|${asked.join(',')}|${input.NextToken ?? ''}`);
    if (input.NextToken === 'loop') {
      if (n > PAGE_LOOP_LIMIT) {
        ctx.violation('page-loop-not-detected', `DescribeInstanceInformation followed ${PAGE_LOOP_LIMIT} repeating NextTokens: the run would hang until the Lambda times out`);
        throw new FuzzPageLoop('the NextToken loop went on (the Lambda would time out here)');
      }
      return { InstanceInformationList: [], NextToken: 'loop' };
    }
    const g = keyed(this.seed, ctx.run, 'info', asked.join(','), input.NextToken ?? '', n);
    const fault = this.plan.pick(g, ['ssm-info-throw', 'ssm-info-pages', 'ssm-info-odd', 'ssm-info-loop'] as const, 0.5);
    ctx.served(fault);
    if (fault === 'ssm-info-throw') {
      const error = ssmError(g.pick(['AccessDeniedException', 'ThrottlingException', 'InternalServerError']), 'SSM could not answer');
      ctx.online.push({ seq: ctx.seq(), asked: [...asked], onlineLinux: new Set(), threw: error.name, fault });
      throw error;
    }
    let entries: InstanceInformation[] = [];
    for (const id of asked) {
      const machine = this.world.machines.get(id);
      if (!machine || machine.ssm === 'absent') continue;
      entries.push({
        InstanceId: id,
        PingStatus: machine.ssm === 'connection-lost' ? 'ConnectionLost' : 'Online',
        PlatformType: machine.ssm === 'windows' ? 'Windows' : 'Linux',
      });
    }
    if (fault === 'ssm-info-odd') {
      const other = g.pick([...this.world.machines.keys()]);
      entries.push({ InstanceId: other, PingStatus: 'Online', PlatformType: 'Linux' });
      if (entries[0]) entries.push({ ...entries[0] });
      entries = entries.map((e) => (g.chance(0.3) ? { ...e, PingStatus: 'Inactive' } : g.chance(0.2) ? { InstanceId: e.InstanceId, PingStatus: e.PingStatus } : e));
    }
    let nextToken: string | undefined = fault === 'ssm-info-loop' ? 'loop' : undefined;
    if (fault === 'ssm-info-pages' && entries.length > 1 && input.NextToken === undefined) {
      // The rest comes on a second page.
      const cut = g.int(0, entries.length - 1);
      nextToken = `more:${entries.slice(cut).map((e) => e.InstanceId).join(',')}`;
      entries = entries.slice(0, cut);
    }
    if (input.NextToken?.startsWith('more:')) {
      const rest = new Set(input.NextToken.slice(5).split(','));
      entries = entries.filter((e) => rest.has(e.InstanceId ?? ''));
    }
    const onlineLinux = new Set(entries.filter((e) => e.PingStatus === 'Online' && e.PlatformType === 'Linux').map((e) => e.InstanceId!));
    ctx.online.push({ seq: ctx.seq(), asked: [...asked], onlineLinux, ...(fault ? { fault } : {}) });
    return { InstanceInformationList: entries, ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  sendCommand(input: { InstanceIds?: string[]; DocumentName?: string }): unknown {
    const ctx = this.ctx!;
    const ids = input.InstanceIds ?? [];
    const n = ++this.commandNo;
    const g = keyed(this.seed, ctx.run, 'send', n);
    const fault = this.plan.pick(g, ['ssm-send-throw', 'ssm-no-command-id'] as const);
    if (fault) {
      ctx.served(fault);
      for (const instanceId of ids) ctx.probes.push({ seq: ctx.seq(), phase: ctx.phase, instanceId, verdict: { kind: 'error' }, fault });
      if (fault === 'ssm-send-throw') throw ssmError(g.pick(['InvalidInstanceId', 'ThrottlingException', 'InvalidDocument']), 'SendCommand failed');
      return { Command: { DocumentName: input.DocumentName } };
    }
    const id = `${String(n).padStart(8, '0')}-aaaa-bbbb-cccc-${String(ctx.run).padStart(12, '0')}`;
    const plans = new Map<string, Plan>();
    for (const instanceId of ids) {
      const pg = keyed(this.seed, ctx.run, 'invocation', n, instanceId);
      const machine = this.world.machines.get(instanceId);
      const busy = machine?.job !== undefined;
      const idleSince = machine ? machine.lastJobEndedAt ?? machine.launchTime : this.world.now;
      const invocationFault = this.plan.pick(pg, INVOCATION_FAULTS, 0.6);
      plans.set(instanceId, {
        instanceId,
        readyAfterMs: pg.pick([0, pg.int(0, 2_000), pg.int(500, 6_000)]),
        ...(invocationFault ? { fault: invocationFault } : {}),
        variant: pg.pick(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']),
        busy,
        deliverable: machine !== undefined && machine.ssm === 'online' && machine.state === 'running',
        answer: {
          probe: 'runner-reaper',
          version: 1,
          busy,
          workers: busy ? 1 : 0,
          idleSince: busy ? null : isoOf(idleSince),
          now: isoOf(this.world.now),
          detail: busy ? `Runner.Worker runs job ${machine?.job?.id}` : 'no Runner.Worker under /opt/actions-runner',
        },
      });
    }
    this.commands.set(id, { id, sentAt: this.clock.t, phase: ctx.phase, plans, polls: 0 });
    return { Command: { CommandId: id, DocumentName: input.DocumentName, InstanceIds: ids } };
  }

  listCommandInvocations(input: { CommandId?: string; NextToken?: string }): unknown {
    const ctx = this.ctx!;
    const command = this.commands.get(input.CommandId ?? '');
    if (!command) throw ssmError('InvalidCommandId', 'no such command');
    command.polls++;
    const g = keyed(this.seed, ctx.run, 'list-invocations', command.id, command.polls, input.NextToken ?? '');
    const callFault = this.plan.pick(g, ['ssm-list-throw'] as const);
    if (callFault) {
      ctx.served(callFault);
      throw ssmError('ThrottlingException', 'Rate exceeded');
    }
    const elapsed = this.clock.t - command.sentAt;
    let plans = [...command.plans.values()];
    let nextToken: string | undefined;
    if (input.NextToken === undefined && plans.length > 1 && g.chance(0.3)) {
      nextToken = 'second-half';
      plans = plans.slice(0, Math.ceil(plans.length / 2));
    } else if (input.NextToken === 'second-half') {
      plans = plans.slice(Math.ceil(plans.length / 2));
    }
    const invocations = plans.map((p) => this.invocation(ctx, command, p, elapsed, g));
    return { CommandInvocations: invocations, ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  private record(ctx: RunContext, command: Command, plan: Plan, verdict: ServedProbe['verdict']): void {
    if (plan.recorded) {
      plan.recorded.verdict = verdict;
    } else {
      plan.recorded = { seq: ctx.seq(), phase: command.phase, instanceId: plan.instanceId, verdict, ...(plan.fault ? { fault: plan.fault } : {}) };
      ctx.probes.push(plan.recorded);
      ctx.served(plan.fault);
    }
    if (verdict.kind === 'answered' && verdict.busy) ctx.shown.probeBusy.add(plan.instanceId);
  }

  private invocation(ctx: RunContext, command: Command, plan: Plan, elapsed: number, g: Gen): CommandInvocation {
    const base = { CommandId: command.id, InstanceId: plan.instanceId, DocumentName: 'fuzz-probe' };
    if (plan.fault === 'ssm-inv-no-id' && elapsed < plan.readyAfterMs + 1_500) {
      const { InstanceId: _i, ...rest } = base;
      return { ...rest, Status: 'InProgress', StatusDetails: 'InProgress' };
    }
    if (elapsed < plan.readyAfterMs || plan.fault === 'ssm-inv-stuck') {
      // A stuck invocation never answers: the probe's verdict is an error from the first look.
      if (plan.fault === 'ssm-inv-stuck' && !plan.recorded) this.record(ctx, command, plan, { kind: 'error' });
      return { ...base, Status: g.pick(['Pending', 'InProgress', 'Delayed'] as const), StatusDetails: 'InProgress' };
    }
    if (!plan.deliverable || plan.fault === 'ssm-inv-failed') {
      const ended = !plan.deliverable
        ? { Status: 'Failed' as const, StatusDetails: 'Undeliverable' }
        : ({
            a: { Status: 'Failed' as const, StatusDetails: 'Failed' },
            b: { Status: 'TimedOut' as const, StatusDetails: 'Execution Timed Out' },
            c: { Status: 'Cancelled' as const, StatusDetails: 'Cancelled' },
            d: { Status: 'Failed' as const, StatusDetails: 'Undeliverable' },
            e: { Status: 'InProgress' as const, StatusDetails: 'Delivery Timed Out' },
            f: { Status: 'Cancelling' as const, StatusDetails: 'Cancelling' },
            g: { Status: 'Success' as const, StatusDetails: 'Failed' },
            h: { Status: 'Failed' as const, StatusDetails: 'Terminated' },
          } as Record<string, { Status: CommandInvocation['Status']; StatusDetails: string }>)[plan.variant]!;
      this.record(ctx, command, plan, { kind: 'error' });
      const pluginStatus = ended.Status === 'Success' || ended.Status === 'Delayed' || ended.Status === 'Pending' ? 'Failed' : ended.Status;
      return { ...base, ...ended, CommandPlugins: [{ Name: 'probe', Status: pluginStatus as 'Failed', Output: '' }] };
    }
    const line = JSON.stringify(plan.answer);
    const success = (Output: string): CommandInvocation => ({
      ...base,
      Status: 'Success',
      StatusDetails: 'Success',
      CommandPlugins: [{ Name: 'probe', Status: 'Success', Output }],
    });
    switch (plan.fault) {
      case 'ssm-output-malformed':
        this.record(ctx, command, plan, { kind: 'error' });
        return success(this.malformedOutput(plan));
      case 'ssm-output-truncated': {
        // Notices before the answer push it past Run Command's 2,500-character Output: the
        // adapter must fetch the full stdout (GetCommandInvocation).
        const full = `${'notice: probing /opt/actions-runner\n'.repeat(80)}${line}\n`;
        if (!plan.recorded) this.record(ctx, command, plan, { kind: 'error' });
        return success(full.slice(0, 2500));
      }
      case 'ssm-stderr':
        this.record(ctx, command, plan, { kind: 'answered', busy: plan.busy });
        return success(`${line}\n----------ERROR-------\nps: warning: bad /proc entry\n`);
      default:
        this.record(ctx, command, plan, { kind: 'answered', busy: plan.busy });
        return success(plan.variant === 'a' ? `probing...\n${line}\n` : `${line}\n`);
    }
  }

  private malformedOutput(plan: Plan): string {
    const a = plan.answer;
    const at = (ms: number) => isoOf(ms);
    switch (plan.variant) {
      case 'a':
        return 'bash: /opt/probe.sh: Permission denied\n';
      case 'b':
        return `${JSON.stringify({ ...a, probe: 'something-else' })}\n`;
      case 'c':
        return `${JSON.stringify({ ...a, version: 2 })}\n`;
      case 'd':
        return `${JSON.stringify({ ...a, busy: a.busy ? 'yes' : 'no' })}\n`;
      case 'e':
        return `${JSON.stringify({ ...a, idleSince: at(this.world.now + 3_600_000), busy: false })}\n`;
      case 'f': {
        const { now: _n, ...rest } = a;
        return `${JSON.stringify(rest)}\n`;
      }
      case 'g':
        return '   \n\n';
      default:
        return `${JSON.stringify({ ...a, detail: 'x'.repeat(2100) })}`.slice(0, 2300);
    }
  }

  getCommandInvocation(input: { CommandId?: string; InstanceId?: string }): unknown {
    const ctx = this.ctx!;
    const command = this.commands.get(input.CommandId ?? '');
    const plan = command?.plans.get(input.InstanceId ?? '');
    if (!command || !plan) throw ssmError('InvocationDoesNotExist', 'no such invocation');
    const line = JSON.stringify(plan.answer);
    const good = plan.fault !== 'ssm-output-truncated' || plan.variant < 'e';
    this.record(ctx, command, plan, good ? { kind: 'answered', busy: plan.busy } : { kind: 'error' });
    if (!good) return { CommandId: command.id, InstanceId: plan.instanceId, Status: plan.variant < 'g' ? 'Failed' : 'Success', StatusDetails: 'Failed', StandardOutputContent: '' };
    return {
      CommandId: command.id,
      InstanceId: plan.instanceId,
      Status: 'Success',
      StatusDetails: 'Success',
      StandardOutputContent: `${'notice: probing /opt/actions-runner\n'.repeat(80)}${line}\n`,
    };
  }
}
