/**
 * SSM Run Command, as the twin runs it: commands and their per-instance invocations, with
 * the service's statuses (Pending, InProgress, Success, Failed, TimedOut, Cancelled) and
 * detailed statuses (Delayed, DeliveryTimedOut, ExecutionTimedOut, Undeliverable), and the
 * managed instances DescribeInstanceInformation lists. Each invocation runs the
 * document's real script on the target's local machine (integration/machine), so the
 * answer is the machine's real state.
 *
 * Switches (all off by default): API latency, delivery delay, eventual consistency of new
 * invocations, faults per instance, instances going offline (PingStatus ConnectionLost).
 * Wall-clock time throughout: the Lambdas that call it run on real time.
 */
import { randomUUID } from 'node:crypto';
import type { RunScriptOptions, ScriptRun } from '../machine/local-machine';
import { SsmError, type RunnableDocument } from './documents';

/** What the twin needs of a machine (a LocalMachine is one). */
export interface ManagedMachine {
  readonly instanceId: string;
  readonly alive: boolean;
  readonly model: { readonly spec: { readonly ssm: boolean } };
  runScript(script: string, opts?: RunScriptOptions): Promise<ScriptRun>;
}

/** Where the twin finds the machines (the world's current fleet). */
export interface MachineDirectory {
  get(instanceId: string): ManagedMachine | undefined;
  all(): Iterable<ManagedMachine>;
}

export type InstanceFault =
  /** The command fails on the instance (exit code 1), nothing of the document runs. */
  | { kind: 'failed' }
  /** The command runs past its execution timeout: TimedOut / ExecutionTimedOut. */
  | { kind: 'execution-timeout' }
  /** Never delivered before the delivery timeout: TimedOut / DeliveryTimedOut. */
  | { kind: 'delivery-timeout' }
  /** Cannot be delivered (the node is gone): Failed / Undeliverable. */
  | { kind: 'undeliverable' }
  /** Runs nothing and prints this (a malformed or hostile answer). */
  | { kind: 'output'; stdout: string }
  /** The script starts this late (an overloaded instance, a slow agent). */
  | { kind: 'delay'; ms: number };

export interface RunCommandSwitches {
  /** Every API answer waits this long (ms). */
  latencyMs: number;
  /** SendCommand to the script's start on the instance (ms). */
  deliveryDelayMs: number;
  /** A new invocation is InvocationDoesNotExist for GetCommandInvocation this long (ms). */
  invocationVisibleAfterMs: number;
  /** Delivery timeout for instances that cannot be reached (default: the command's TimeoutSeconds). */
  deliveryTimeoutMs?: number;
}

export const DEFAULT_RUN_COMMAND_SWITCHES: RunCommandSwitches = { latencyMs: 0, deliveryDelayMs: 50, invocationVisibleAfterMs: 0 };

type InvocationStatus = 'Pending' | 'InProgress' | 'Delayed' | 'Success' | 'Cancelled' | 'TimedOut' | 'Failed' | 'Cancelling';

export interface Invocation {
  commandId: string;
  instanceId: string;
  documentName: string;
  documentVersion: string;
  pluginName: string;
  comment: string;
  requestedAt: number;
  visibleAt: number;
  status: InvocationStatus;
  statusDetails: string;
  responseCode: number;
  startedAt?: number;
  endedAt?: number;
  stdout: string;
  stderr: string;
}

export interface Command {
  commandId: string;
  document: RunnableDocument;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  comment: string;
  requestedAt: number;
  timeoutSeconds: number;
  invocations: Invocation[];
}

const TERMINAL = new Set<InvocationStatus>(['Success', 'Cancelled', 'TimedOut', 'Failed']);

export class RunCommandEngine {
  switches: RunCommandSwitches = { ...DEFAULT_RUN_COMMAND_SWITCHES };
  readonly commands = new Map<string, Command>();
  private readonly faults = new Map<string, InstanceFault>();
  private readonly offline = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly cancels = new Map<Invocation, () => void>();
  private stopped = false;

  constructor(readonly machines: MachineDirectory) {}

  /** A fault for every later command on this instance (undefined clears it). */
  setFault(instanceId: string, fault: InstanceFault | undefined): void {
    if (fault) this.faults.set(instanceId, fault);
    else this.faults.delete(instanceId);
  }

  /** The instance's SSM agent stops (or resumes) talking to the service. */
  setOnline(instanceId: string, online: boolean): void {
    if (online) this.offline.delete(instanceId);
    else if (!this.offline.has(instanceId)) this.offline.set(instanceId, Date.now());
  }

  /** Clears commands, faults and switches (a new round). */
  reset(): void {
    this.cancelTimers();
    this.commands.clear();
    this.faults.clear();
    this.offline.clear();
    this.switches = { ...DEFAULT_RUN_COMMAND_SWITCHES };
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimers();
  }

  /** Managed instances as DescribeInstanceInformation sees them. */
  managedInstances(): { instanceId: string; pingStatus: 'Online' | 'ConnectionLost'; lastPingAt: number }[] {
    const now = Date.now();
    const out: { instanceId: string; pingStatus: 'Online' | 'ConnectionLost'; lastPingAt: number }[] = [];
    for (const m of this.machines.all()) {
      if (!m.model.spec.ssm) continue;
      const online = m.alive && !this.offline.has(m.instanceId);
      out.push({ instanceId: m.instanceId, pingStatus: online ? 'Online' : 'ConnectionLost', lastPingAt: online ? now : (this.offline.get(m.instanceId) ?? now) });
    }
    return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  send(input: { document: RunnableDocument; instanceIds: string[]; parameters: Record<string, string[]>; comment?: string; timeoutSeconds?: number }): Command {
    const unique = new Set(input.instanceIds);
    if (unique.size !== input.instanceIds.length) throw new SsmError('DuplicateInstanceId', 'You cannot specify an instance ID in more than one association.');
    if (input.instanceIds.length === 0) throw new SsmError('ValidationException', 'Either InstanceIds or Targets must be specified.');
    const unknown = input.instanceIds.filter((id) => !this.machines.get(id)?.model.spec.ssm);
    if (unknown.length > 0) throw new SsmError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] not in a valid state for account 123456789012`);
    const now = Date.now();
    const command: Command = {
      commandId: randomUUID(),
      document: input.document,
      parameters: input.parameters,
      instanceIds: [...input.instanceIds],
      comment: input.comment ?? '',
      requestedAt: now,
      timeoutSeconds: input.timeoutSeconds ?? 3600,
      invocations: [],
    };
    for (const instanceId of input.instanceIds) {
      const inv: Invocation = {
        commandId: command.commandId,
        instanceId,
        documentName: input.document.name,
        documentVersion: input.document.version,
        pluginName: input.document.pluginName,
        comment: command.comment,
        requestedAt: now,
        visibleAt: now + this.switches.invocationVisibleAfterMs,
        status: 'Pending',
        statusDetails: 'Pending',
        responseCode: -1,
        stdout: '',
        stderr: '',
      };
      command.invocations.push(inv);
      this.later(this.switches.deliveryDelayMs, () => this.deliver(command, inv));
    }
    this.commands.set(command.commandId, command);
    return command;
  }

  cancel(commandId: string, instanceIds?: string[]): void {
    const command = this.command(commandId);
    for (const inv of command.invocations) {
      if (instanceIds && !instanceIds.includes(inv.instanceId)) continue;
      if (TERMINAL.has(inv.status)) continue;
      this.cancels.get(inv)?.();
      this.finish(inv, 'Cancelled', 'Cancelled', -1);
    }
  }

  command(commandId: string): Command {
    const command = this.commands.get(commandId);
    if (!command) throw new SsmError('InvalidCommandId', `Command ${commandId} does not exist.`);
    return command;
  }

  /** The aggregate status of a command (ListCommands). */
  commandStatus(command: Command): { status: string; details: string; completed: number; errors: number; deliveryTimedOut: number } {
    const inv = command.invocations;
    const done = inv.filter((i) => TERMINAL.has(i.status));
    const errors = inv.filter((i) => i.status === 'Failed' && i.statusDetails !== 'Undeliverable').length + inv.filter((i) => i.statusDetails === 'ExecutionTimedOut').length;
    const deliveryTimedOut = inv.filter((i) => i.statusDetails === 'DeliveryTimedOut').length;
    if (done.length < inv.length) {
      const started = inv.some((i) => i.status !== 'Pending');
      return { status: started ? 'InProgress' : 'Pending', details: started ? 'InProgress' : 'Pending', completed: done.length, errors, deliveryTimedOut };
    }
    const all = (s: InvocationStatus) => inv.every((i) => i.status === s);
    const status = all('Success') ? 'Success' : all('Cancelled') ? 'Cancelled' : inv.some((i) => i.status === 'Failed') ? 'Failed' : inv.some((i) => i.status === 'TimedOut') ? 'TimedOut' : 'Success';
    return { status, details: status === 'Success' ? 'Success' : status === 'Failed' ? 'Failed' : status, completed: done.length, errors, deliveryTimedOut };
  }

  private deliver(command: Command, inv: Invocation): void {
    if (this.stopped || TERMINAL.has(inv.status)) return;
    const fault = this.faults.get(inv.instanceId);
    const machine = this.machines.get(inv.instanceId);
    const deliveryTimeoutMs = this.switches.deliveryTimeoutMs ?? command.timeoutSeconds * 1000;
    if (fault?.kind === 'undeliverable' || !machine || !machine.alive) {
      return this.finish(inv, 'Failed', 'Undeliverable', -1);
    }
    if (fault?.kind === 'delivery-timeout' || this.offline.has(inv.instanceId)) {
      if (Date.now() - inv.requestedAt >= deliveryTimeoutMs) return this.finish(inv, 'TimedOut', 'DeliveryTimedOut', -1);
      inv.status = 'Delayed';
      inv.statusDetails = 'Delayed';
      this.later(Math.min(1000, Math.max(1, inv.requestedAt + deliveryTimeoutMs - Date.now())), () => this.deliver(command, inv));
      return;
    }
    const startDelay = fault?.kind === 'delay' ? fault.ms : 0;
    this.later(startDelay, () => this.execute(command, inv, machine, fault));
  }

  private execute(command: Command, inv: Invocation, machine: ManagedMachine, fault: InstanceFault | undefined): void {
    if (this.stopped || TERMINAL.has(inv.status)) return;
    inv.status = 'InProgress';
    inv.statusDetails = 'InProgress';
    inv.startedAt = Date.now();
    if (fault?.kind === 'failed') {
      inv.stderr = 'failed to run commands: exit status 1 (a fault of the SSM twin)';
      return this.finish(inv, 'Failed', 'Failed', 1);
    }
    if (fault?.kind === 'execution-timeout') return this.finish(inv, 'TimedOut', 'ExecutionTimedOut', -1);
    if (fault?.kind === 'output') {
      inv.stdout = fault.stdout;
      return this.finish(inv, 'Success', 'Success', 0);
    }
    let cancelled = false;
    this.cancels.set(inv, () => (cancelled = true));
    machine
      .runScript(command.document.script, { timeoutMs: command.document.executionTimeoutSeconds * 1000 })
      .then(
        (run) => {
          if (cancelled || TERMINAL.has(inv.status)) return;
          inv.stdout = run.stdout.slice(0, 24_000);
          inv.stderr = run.stderr.slice(0, 8_000);
          if (run.timedOut) this.finish(inv, 'TimedOut', 'ExecutionTimedOut', -1);
          else if (run.code === 0) this.finish(inv, 'Success', 'Success', 0);
          else this.finish(inv, 'Failed', 'Failed', run.code ?? -1);
        },
        (error: Error) => {
          if (cancelled || TERMINAL.has(inv.status)) return;
          inv.stderr = error.message.slice(0, 8_000);
          this.finish(inv, 'Failed', 'Undeliverable', -1);
        },
      )
      .finally(() => this.cancels.delete(inv));
  }

  private finish(inv: Invocation, status: InvocationStatus, details: string, code: number): void {
    inv.status = status;
    inv.statusDetails = details;
    inv.responseCode = code;
    inv.endedAt = Date.now();
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, Math.max(0, ms));
    this.timers.add(timer);
  }

  private cancelTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const cancel of this.cancels.values()) cancel();
    this.cancels.clear();
  }
}
