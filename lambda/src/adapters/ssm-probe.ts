/**
 * The machine probe over AWS Systems Manager Run Command (docs/design.md, "The machine
 * probe"): which instances can be asked (DescribeInstanceInformation), and asking them
 * (one SendCommand per 50 instances, answers read with ListCommandInvocations and, when
 * its 2,500-character Output will not do, GetCommandInvocation) until a deadline.
 *
 * It never decides anything: every instance gets an answer or `{ kind: 'error' }`, and the
 * executors keep on an error. A failed SendCommand, an invocation that failed, was
 * cancelled, timed out or could not be delivered, an agent that went offline (its
 * invocation never finishes), no answer by the deadline, output that does not parse: each
 * is an error for that instance only.
 */
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  type CommandInvocation,
  type InstanceInformation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { ProbeRead } from '../core';
import { chunk } from './ec2';
import { parseProbeOutput } from './probe-answer';
import type { ProbePort } from './ports';

/**
 * Platforms the probe document supports (DescribeInstanceInformation's PlatformType). The
 * module ships a Linux shell document only; add 'Windows' here, and nowhere else, once it
 * ships a PowerShell one.
 */
export const PROBE_PLATFORMS: ReadonlySet<string> = new Set(['Linux']);

/** SendCommand takes at most 50 instance ids; DescribeInstanceInformation pages by 50 too. */
export const SSM_INSTANCE_BATCH = 50;

/** SendCommand's own delivery timeout: its minimum. The reaper's deadline is shorter anyway. */
const DELIVERY_TIMEOUT_SECONDS = 30;

/** What Run Command says while an invocation may still finish. */
const RUNNING_STATUSES: ReadonlySet<string> = new Set(['Pending', 'InProgress', 'Delayed']);
/** StatusDetails that end an invocation whatever its Status says. */
const FINAL_DETAILS: ReadonlySet<string> = new Set([
  'Undeliverable',
  'Terminated',
  'Delivery Timed Out',
  'Execution Timed Out',
  'Failed',
  'Cancelled',
]);
/** The agent appends stderr to a plugin's Output after this line (runShellScript). */
const STDERR_MARKER = /\n?-{5,}ERROR-{5,}[\s\S]*$/;
const OUTPUT_LIMIT = 2500;

export interface SsmProbeOptions {
  documentName: string;
  /** Deadline of one probe round, from its start. */
  timeoutSeconds: number;
  /** Gap between reads of the answers. */
  pollIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Since the container started. */
export interface ProbeStats {
  /** Instances asked (one per instance per round). */
  probesSent: number;
  /** Instances whose answer was an error. */
  probeFailures: number;
}

function errorName(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Verdict = { done: false } | { done: true; read: ProbeRead } | { done: true; fetchOutput: true };

/** What one invocation says so far. */
function judge(invocation: CommandInvocation): Verdict {
  const status = invocation.Status ?? 'Pending';
  const details = invocation.StatusDetails ?? status;
  if (status === 'Success' && (details === 'Success' || invocation.StatusDetails === undefined)) {
    const plugins = invocation.CommandPlugins ?? [];
    const output = plugins.at(-1)?.Output;
    if (output === undefined) return { done: true, fetchOutput: true };
    const read = parseProbeOutput(output.replace(STDERR_MARKER, ''));
    // A cut-off or stderr-mixed Output may still parse from the full stdout.
    if (read.kind === 'error' && (output.length >= OUTPUT_LIMIT - 100 || STDERR_MARKER.test(output))) {
      return { done: true, fetchOutput: true };
    }
    return { done: true, read };
  }
  if (RUNNING_STATUSES.has(status) && !FINAL_DETAILS.has(details)) return { done: false };
  return { done: true, read: { kind: 'error', error: `the probe command ended ${status} (${details})` } };
}

export class SsmProbe implements ProbePort {
  readonly stats: ProbeStats = { probesSent: 0, probeFailures: 0 };
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: SSMClient,
    private readonly options: SsmProbeOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  async onlineInstances(ids: readonly string[]): Promise<ReadonlySet<string>> {
    const asked = new Set(ids);
    const online = new Set<string>();
    for (const part of chunk([...asked], SSM_INSTANCE_BATCH)) {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(
          new DescribeInstanceInformationCommand({
            Filters: [{ Key: 'InstanceIds', Values: part }],
            MaxResults: SSM_INSTANCE_BATCH,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        for (const info of page.InstanceInformationList ?? []) {
          if (isProbeable(info) && asked.has(info.InstanceId as string)) online.add(info.InstanceId as string);
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return online;
  }

  async probe(ids: readonly string[]): Promise<Map<string, ProbeRead>> {
    const reads = new Map<string, ProbeRead>();
    const unique = [...new Set(ids)];
    if (unique.length === 0) return reads;
    const deadline = this.now() + this.options.timeoutSeconds * 1000;
    const settle = (id: string, read: ProbeRead) => {
      if (reads.has(id)) return;
      reads.set(id, read);
      if (read.kind === 'error') this.stats.probeFailures++;
    };
    this.stats.probesSent += unique.length;

    // One SendCommand per 50 instances, all at once.
    const commands: { commandId: string; pending: Set<string>; lastError?: string }[] = [];
    await Promise.all(
      chunk(unique, SSM_INSTANCE_BATCH).map(async (part) => {
        try {
          const sent = await this.client.send(
            new SendCommandCommand({
              DocumentName: this.options.documentName,
              InstanceIds: part,
              TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
              // Every instance at once, and one failing instance must not cancel the rest.
              MaxConcurrency: '100%',
              MaxErrors: '100%',
              Comment: 'runner-reaper probe: does a job run here?',
            }),
            { abortSignal: AbortSignal.timeout(Math.max(1, deadline - this.now())) },
          );
          const commandId = sent.Command?.CommandId;
          if (!commandId) throw new Error('SendCommand gave no CommandId');
          commands.push({ commandId, pending: new Set(part) });
        } catch (error) {
          for (const id of part) settle(id, { kind: 'error', error: `SendCommand failed: ${errorName(error)}` });
        }
      }),
    );

    let first = true;
    while (commands.some((c) => c.pending.size > 0)) {
      const left = deadline - this.now();
      if (left <= 0) break;
      // The first look comes sooner: an idle machine answers within a second or two.
      await this.sleep(Math.min(first ? this.pollIntervalMs / 2 : this.pollIntervalMs, left));
      first = false;
      await Promise.all(commands.filter((c) => c.pending.size > 0).map((c) => this.readAnswers(c, deadline, settle)));
    }
    for (const command of commands) {
      for (const id of command.pending) {
        const why = command.lastError ? `; last read failed: ${command.lastError}` : '';
        settle(id, { kind: 'error', error: `no probe answer within ${this.options.timeoutSeconds} s${why}` });
      }
    }
    return reads;
  }

  private async readAnswers(
    command: { commandId: string; pending: Set<string>; lastError?: string },
    deadline: number,
    settle: (id: string, read: ProbeRead) => void,
  ): Promise<void> {
    const signal = () => AbortSignal.timeout(Math.max(1, deadline - this.now()));
    try {
      let nextToken: string | undefined;
      do {
        const page = await this.client.send(
          new ListCommandInvocationsCommand({
            CommandId: command.commandId,
            Details: true,
            MaxResults: SSM_INSTANCE_BATCH,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
          { abortSignal: signal() },
        );
        for (const invocation of page.CommandInvocations ?? []) {
          const id = invocation.InstanceId;
          if (!id || !command.pending.has(id)) continue;
          const verdict = judge(invocation);
          if (!verdict.done) continue;
          command.pending.delete(id);
          if ('read' in verdict) settle(id, verdict.read);
          else settle(id, await this.fullOutput(command.commandId, id, signal()));
        }
        nextToken = page.NextToken;
      } while (nextToken);
    } catch (error) {
      // Transient: look again until the deadline; the last error is reported with the timeout.
      command.lastError = errorName(error);
    }
  }

  private async fullOutput(commandId: string, instanceId: string, abortSignal: AbortSignal): Promise<ProbeRead> {
    try {
      const invocation = await this.client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }), {
        abortSignal,
      });
      if (invocation.Status !== 'Success') {
        return { kind: 'error', error: `the probe command ended ${invocation.Status} (${invocation.StatusDetails})` };
      }
      return parseProbeOutput(invocation.StandardOutputContent ?? '');
    } catch (error) {
      return { kind: 'error', error: `GetCommandInvocation failed: ${errorName(error)}` };
    }
  }
}

/** Online, on a platform the document supports. */
function isProbeable(info: InstanceInformation): boolean {
  return info.PingStatus === 'Online' && info.PlatformType !== undefined && PROBE_PLATFORMS.has(info.PlatformType);
}
