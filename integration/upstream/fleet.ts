/**
 * A fleet shaped like one the github-aws-runners module builds, on moto and the GitHub
 * twin: instances carry the tags of its launch template and of its scale-up, JIT runners
 * get their id and labels tagged as its scale-up does, non-JIT runners their id as its boot
 * script does, and runners are named `<runner_name_prefix><instance id>`. The facts are in
 * ./facts.ts; the agents, registration and job running are integration/agents'.
 */
import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { LaunchedInstance, RunnerFleet } from '../agents';
import type { HookInstall } from '../machine/runner-machine';
import type { TwinOwner } from '../twin';
import {
  appParameterNames,
  environmentOf,
  launchTemplateTags,
  runnerMetadataTags,
  type AppParameterNames,
  type CreatedBy,
  type SsmPaths,
  type UpstreamLayout,
  type UpstreamRunnerOs,
} from './facts';

/** One runner type: the root module's only one, or one key of `multi_runner_config`. */
export interface UpstreamRunnerType {
  layout: UpstreamLayout;
  /** The module's `prefix`. */
  prefix: string;
  /** The `multi_runner_config` key (multi-runner only). */
  key?: string;
  runnerOs: UpstreamRunnerOs;
  runnerNamePrefix?: string;
  runnerEc2Tags?: Record<string, string>;
  ssmPaths?: Partial<SsmPaths>;
}

/** `ghr:environment` of a runner type's instances. */
export function environmentOfType(type: UpstreamRunnerType): string {
  return environmentOf(type.prefix, type.layout === 'multi-runner' ? type.key : undefined);
}

export interface UpstreamLaunch {
  owner: TwinOwner;
  count?: number;
  /** `enable_ephemeral_runners`. */
  ephemeral?: boolean;
  /** `enable_jit_config` (its default: on for ephemeral runners). */
  jit?: boolean;
  labels?: string[];
  createdBy?: CreatedBy;
  /** The job hooks on these machines, as their boot left them (see hook-proof.ts); `true`/`false` = proven/none. */
  hooks: boolean | HookInstall;
  /** SSM-managed (the probe reaches them); needs a fleet with machinesDir. */
  ssm?: boolean;
  /** False: the instance boots but never registers. */
  register?: boolean;
  hookDelayMs?: number;
  pollIntervalMs?: number;
}

/** Launches runners of `type` the way that module's scale-up and boot script would tag them. */
export async function launchUpstreamRunners(
  fleet: RunnerFleet,
  ec2: EC2Client,
  type: UpstreamRunnerType,
  launch: UpstreamLaunch,
): Promise<LaunchedInstance[]> {
  const tags = {
    ...launchTemplateTags({
      layout: type.layout,
      prefix: type.prefix,
      ...(type.key !== undefined ? { runnerKey: type.key } : {}),
      ...(type.runnerNamePrefix !== undefined ? { runnerNamePrefix: type.runnerNamePrefix } : {}),
      ...(type.runnerEc2Tags ? { runnerEc2Tags: type.runnerEc2Tags } : {}),
      ...(type.ssmPaths ? { ssmPaths: type.ssmPaths } : {}),
    }),
    'ghr:Application': 'github-action-runner',
    'ghr:created_by': launch.createdBy ?? 'scale-up-lambda',
    'ghr:Type': launch.owner.type,
    'ghr:Owner': launch.owner.owner,
  };
  const jit = launch.jit ?? !!launch.ephemeral;
  const labels = launch.labels ?? ['self-hosted', type.runnerOs, 'x64'];
  const launched = await fleet.launch({
    owner: launch.owner,
    count: launch.count ?? 1,
    namePrefix: type.runnerNamePrefix ?? '',
    labels,
    ephemeral: !!launch.ephemeral || jit,
    jit,
    hooks: launch.hooks,
    ...(launch.ssm ? { ssm: true } : {}),
    ...(launch.register === false ? { register: false } : {}),
    ...(launch.hookDelayMs !== undefined ? { hookDelayMs: launch.hookDelayMs } : {}),
    ...(launch.pollIntervalMs !== undefined ? { pollIntervalMs: launch.pollIntervalMs } : {}),
    // Its ephemeral runners terminate their own instance when the runner exits (start-runner.sh `cleanup`).
    ...(launch.ephemeral || jit ? { onExit: 'terminate' as const } : {}),
    extraTags: tags,
  });
  for (const { instanceId, agent } of launched) {
    if (!agent?.runnerId) continue;
    // JIT: its scale-up tags id and labels; non-JIT: its boot script tags the id from .runner.
    const metadata = runnerMetadataTags(agent.runnerId, jit ? labels : undefined);
    await ec2.send(
      new CreateTagsCommand({ Resources: [instanceId], Tags: Object.entries(metadata).map(([Key, Value]) => ({ Key, Value })) }),
    );
  }
  return launched;
}

/**
 * Writes the GitHub App's id and key where that module keeps them: SecureString, with its
 * `kms_key_arn` when given (modules/ssm/ssm.tf).
 */
export async function storeUpstreamAppParameters(
  ssm: SSMClient,
  app: { appId: number; privateKeyBase64: string },
  where: { layout: UpstreamLayout; prefix: string; ssmPaths?: Partial<SsmPaths>; kmsKeyId?: string },
): Promise<AppParameterNames> {
  const names = appParameterNames(where.layout, where.prefix, where.ssmPaths);
  for (const [Name, Value] of [
    [names.id, String(app.appId)],
    [names.keyBase64, app.privateKeyBase64],
    [names.webhookSecret, 'webhook-secret-of-the-stand-in'],
  ] as const) {
    await ssm.send(
      new PutParameterCommand({ Name, Value, Type: 'SecureString', Overwrite: true, ...(where.kmsKeyId ? { KeyId: where.kmsKeyId } : {}) }),
    );
  }
  return names;
}
