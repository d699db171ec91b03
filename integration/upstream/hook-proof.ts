/**
 * What a runner booted by the github-aws-runners module really ends up with, found by
 * booting it: the boot stand-in (./user-data.ts) runs the user data the module would build
 * from these inputs, with the reaper's real snippet and hook chains in it, then a stand-in
 * Runner.Listener starts (that is when the runner reads its .env), and the reaper's real boot
 * check decides, against moto and an IMDSv2 stand-in, whether to tag the instance
 * `ghr:job-hooks`. The answer is the machine's HookInstall for the simulated fleet:
 *
 * - `proven`: the check wrote the marker (the runner calls the reaper's hooks);
 * - `overridden`: the reaper's hooks are installed but the runner calls something else,
 *   so the check wrote none;
 * - `none`: no hook of the reaper's is on the machine (Windows, prebuilt AMIs, no inputs), or
 *   only its chains without the boot check: they may tag jobs, but nothing proves they run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DescribeTagsCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { TAG } from '../../lambda/src/core/tags';
import type { HookInstall } from '../machine/runner-machine';
import { startFakeImds } from '../../test/terraform/imds';
import { RUNNER_DIR } from './facts';
import { bootInSandbox, inSandbox, renderUserData, runHook, type UpstreamBootInputs } from './user-data';

/** Where modules/runner-hooks installs the reaper's scripts and logs its boot check (its defaults). */
export const REAPER_HOOK_DIR = '/opt/runner-reaper';
export const CHECK_LOG = '/var/log/runner-reaper-hook-check.log';

export interface HookProof {
  install: HookInstall;
  /** Why: the boot check's last line, or what was missing. */
  reason: string;
  /** The effective ACTIONS_RUNNER_HOOK_JOB_STARTED the runner reads (an instance path), if any. */
  jobStartedHook?: string;
  /** With `exercise`: one job's hooks run as the runner runs them, and the tags they left. */
  job?: { started: HookRun; completed: HookRun };
}

export interface HookRun {
  code: number;
  output: string;
  /** The instance's tags after the hook. */
  tags: Record<string, string>;
}

export interface HookProofContext {
  ec2: EC2Client;
  aws: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** `ghr:environment` of the scratch instance the check tags (the fleet's). */
  environment: string;
  /** How long to wait for the check's verdict (default 60 s). */
  timeoutMs?: number;
  /** Also run one job's effective hooks (job-started, then job-completed) on the machine. */
  exercise?: boolean;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/** Kills the processes whose command line mentions the sandbox (the check we started, if it is still waiting). */
function killSandboxProcesses(root: string): void {
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cmdline.includes(root) || cwd.startsWith(root)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
}

async function tagsOf(ec2: EC2Client, instanceId: string): Promise<Record<string, string>> {
  const out = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId] }] }));
  return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** Runs the effective hooks of one job the way the runner runs them, with a job's variables. */
async function exerciseHooks(started: string, completed: string, ctx: HookProofContext, instanceId: string, imdsUrl: string): Promise<{ started: HookRun; completed: HookRun }> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_REAPER_IMDS_ENDPOINT: imdsUrl,
    AWS_ENDPOINT_URL: ctx.aws.endpoint,
    AWS_ACCESS_KEY_ID: ctx.aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ctx.aws.secretAccessKey,
    GITHUB_RUN_ID: '4242',
    GITHUB_JOB: 'build',
  };
  const first = await runHook(started, env);
  const afterStart = await tagsOf(ctx.ec2, instanceId);
  const second = await runHook(completed, env);
  const afterEnd = await tagsOf(ctx.ec2, instanceId);
  return { started: { ...first, tags: afterStart }, completed: { ...second, tags: afterEnd } };
}

/** Boots a scratch instance with these inputs and reports what the reaper's boot check made of it. */
export async function proveHookInstall(inputs: UpstreamBootInputs, ctx: HookProofContext): Promise<HookProof> {
  const rendered = renderUserData(inputs);
  if (rendered.kind === 'none') return { install: 'none', reason: rendered.reason };

  const launched = await ctx.ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0a1b2c3d4e5f60718',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG.environment, Value: ctx.environment }] }],
    }),
  );
  const instanceId = launched.Instances![0]!.InstanceId!;
  const imds = await startFakeImds({ instanceId, region: ctx.aws.region });
  let listener: ChildProcess | undefined;
  let root: string | undefined;
  let remove: (() => void) | undefined;
  try {
    const booted = await bootInSandbox(rendered, {
      RUNNER_REAPER_IMDS_ENDPOINT: imds.url,
      AWS_ENDPOINT_URL: ctx.aws.endpoint,
      AWS_REGION: ctx.aws.region,
      AWS_DEFAULT_REGION: ctx.aws.region,
      AWS_ACCESS_KEY_ID: ctx.aws.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ctx.aws.secretAccessKey,
    });
    if ('kind' in booted) return { install: 'none', reason: booted.reason };
    root = booted.root;
    remove = booted.remove;
    const jobStarted = booted.hooks.jobStarted?.replace(root, '');
    const ours = existsSync(inSandbox(root, `${REAPER_HOOK_DIR}/job-started.sh`));
    const logPath = inSandbox(root, CHECK_LOG);
    if (!existsSync(logPath)) {
      const hook = jobStarted ? { jobStartedHook: jobStarted } : {};
      if (ours) return { install: 'overridden', reason: 'the reaper hooks are installed but no boot check ran', ...hook };
      // The chains may still run the reaper's hook (and tag jobs), but nothing proves it: no marker.
      const chained = booted.hooks.jobStarted !== undefined && readFileSync(booted.hooks.jobStarted, 'utf8').includes('runner-reaper job-started hook chain');
      return {
        install: 'none',
        reason: chained ? 'the reaper hook chains run, but no boot check proves them (no runner_hooks.user_data in userdata_post_install)' : 'none of the reaper hooks are installed',
        ...hook,
      };
    }

    // The runner starts: a stand-in Listener under the runner's bin, as run.sh starts it.
    const listenerPath = inSandbox(root, `${RUNNER_DIR}/bin/Runner.Listener`);
    mkdirSync(dirname(listenerPath), { recursive: true });
    writeFileSync(listenerPath, '#!/bin/sh\nwhile :; do sleep 1; done\n');
    chmodSync(listenerPath, 0o755);
    listener = spawn('sh', [listenerPath, 'run'], { stdio: 'ignore' });

    const deadline = Date.now() + (ctx.timeoutMs ?? 60_000);
    let log = readFileSync(logPath, 'utf8');
    while (!/verified/.test(lastLine(log))) {
      if (Date.now() > deadline) throw new Error(`the boot check gave no verdict in time:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
      log = readFileSync(logPath, 'utf8');
    }
    const marked = TAG.jobHooks in (await tagsOf(ctx.ec2, instanceId));
    const reason = lastLine(log).replaceAll(root, '');
    const extra = {
      ...(jobStarted ? { jobStartedHook: jobStarted } : {}),
      ...(ctx.exercise && booted.hooks.jobStarted && booted.hooks.jobCompleted
        ? { job: await exerciseHooks(booted.hooks.jobStarted, booted.hooks.jobCompleted, ctx, instanceId, imds.url) }
        : {}),
    };
    if (marked) return { install: 'proven', reason, ...extra };
    return { install: ours ? 'overridden' : 'none', reason, ...extra };
  } finally {
    listener?.kill('SIGKILL');
    if (root) killSandboxProcesses(root);
    remove?.();
    await imds.close();
    await ctx.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  }
}

