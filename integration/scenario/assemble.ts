/**
 * Builds the scenario's world from its configuration: the twin, moto, agents and the zips
 * run locally (what `npm test` runs), or GitHub, LocalStack, real runner processes and the
 * deployed functions (what the e2e workflow runs).
 */
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { startFunction } from '../lambda-runtime';
import { MotoServer, putGitHubAppParameters } from '../moto';
import { FAST_REAPER_CONFIG, LocalWorld, ORPHAN_CLEANUP_ZIP, SCALE_DOWN_ZIP } from '../world/world';
import { Ec2Instances } from './aws';
import type { ScenarioConfig } from './config';
import { ScenarioConfigError } from './config';
import { OctokitRunnerRegistry, WorkflowJobSource, installationOctokit } from './github';
import { ArtifactFunctions, InvokedFunctions, deployedArtifactFunctions } from './lambda';
import { AgentRunnerHost, TwinJobSource } from './local';
import type { ReaperFunctions, ScenarioWorld } from './ports';
import { RealRunnerHost, bootCheckOf } from './runners-real';

export interface AssembleOptions {
  /** A running moto to use for the twin world (tests share one per file); default: start one. */
  moto?: MotoServer;
  /** Reaper variables over the local world's fast configuration (twin world only), e.g. to break it on purpose. */
  reaperConfig?: Record<string, string>;
}

export async function assembleWorld(config: ScenarioConfig, opts: AssembleOptions = {}): Promise<ScenarioWorld> {
  return config.github === 'twin' ? localWorld(config, opts) : realWorld(config);
}

/** Twin + moto + agents + the zips in local Lambda-like processes. */
async function localWorld(config: ScenarioConfig, opts: AssembleOptions): Promise<ScenarioWorld> {
  if (config.aws !== 'moto') throw new ScenarioConfigError('SCENARIO_GITHUB=twin runs on moto: set SCENARIO_AWS=moto');
  if (config.lambda !== 'artifact') throw new ScenarioConfigError('SCENARIO_GITHUB=twin needs SCENARIO_LAMBDA=artifact (a deployed function cannot reach the twin)');
  const ownMoto = opts.moto ? undefined : new MotoServer();
  await ownMoto?.start();
  const moto = (opts.moto ?? ownMoto)!;
  try {
    const world = await LocalWorld.start({ moto, environment: config.environment, accounts: [config.owner], ...(opts.reaperConfig ? { config: opts.reaperConfig } : {}) });
    const octokit = await installationOctokit(
      world.twin.url,
      { appId: String(world.twin.appId), privateKeyPem: world.twin.privateKeyPem },
      config.owner,
      config.repo,
      config.scope,
    );
    return {
      name: 'twin + moto + agents + artifact',
      registry: new OctokitRunnerRegistry(octokit, config.owner, config.repo, config.scope),
      jobs: new TwinJobSource(world.twin.dispatcher),
      instances: new Ec2Instances(world.ec2),
      runners: new AgentRunnerHost({ dispatcher: world.twin.dispatcher, clock: world.clock, ec2: world.ec2, ledger: world.ledger, hooks: config.hooks }),
      functions: new ArtifactFunctions(world.scaleDown, world.orphanCleanup, config.awsRegion, false),
      instanceTags: {},
      async close() {
        await world.stop();
        await ownMoto?.stop();
      },
    };
  } catch (error) {
    await ownMoto?.stop();
    throw error;
  }
}

/** GitHub + LocalStack (or moto) + real actions/runner processes + the deployed or local functions. */
async function realWorld(config: ScenarioConfig): Promise<ScenarioWorld> {
  const app = config.app;
  if (!app) throw new ScenarioConfigError('SCENARIO_GITHUB=real needs SCENARIO_GITHUB_APP_ID and SCENARIO_GITHUB_APP_PRIVATE_KEY');
  if (!config.awsEndpointUrl) throw new ScenarioConfigError('AWS_ENDPOINT_URL is required: the instances are emulated (LocalStack or moto)');
  if (!config.runnerDir) throw new ScenarioConfigError('SCENARIO_RUNNER_DIR is required with SCENARIO_RUNNERS=real');
  if (config.hooks === 'env' && !config.hooksDir) throw new ScenarioConfigError('SCENARIO_HOOKS_DIR is required with SCENARIO_HOOKS=env');
  const userData = config.terraformOutputs?.runnerHooksUserData;
  if (config.hooks === 'installed' && !userData) throw new ScenarioConfigError('SCENARIO_HOOKS=installed needs output runner_hooks_user_data in SCENARIO_TERRAFORM_OUTPUTS');
  // The SDK clients read AWS_ENDPOINT_URL and the static credentials from the environment.
  const region = config.awsRegion;
  const octokit = await installationOctokit(config.apiUrl, app, config.owner, config.repo, config.scope);
  const functions = await realFunctions(config, region);
  return {
    name: `GitHub + ${config.aws} + actions/runner + ${config.lambda}`,
    registry: new OctokitRunnerRegistry(octokit, config.owner, config.repo, config.scope),
    // The job workflow lives in the repository, whatever the runners' scope.
    jobs: new WorkflowJobSource(octokit, config.owner, config.repo, config.jobWorkflow, config.jobRef),
    instances: new Ec2Instances(new EC2Client({ region })),
    runners: new RealRunnerHost({
      runnerDir: config.runnerDir,
      hooks: config.hooks === 'installed' ? { from: 'runner-env-file', bootCheck: bootCheckOf(userData!) } : { from: 'dir', dir: config.hooksDir! },
      workDir: config.workDir,
      awsRegion: region,
      awsEndpointUrl: config.awsEndpointUrl,
    }),
    functions,
    instanceTags: {},
    close: () => functions.stop(),
  };
}

async function realFunctions(config: ScenarioConfig, region: string): Promise<ReaperFunctions> {
  const outputs = config.terraformOutputs;
  if (config.lambda === 'invoke') {
    if (!outputs) throw new ScenarioConfigError('SCENARIO_LAMBDA=invoke needs SCENARIO_TERRAFORM_OUTPUTS');
    return new InvokedFunctions(new LambdaClient({ region }), outputs.scaleDownFunction, outputs.orphanCleanupFunction, region);
  }
  const endpointEnv = {
    AWS_ENDPOINT_URL: config.awsEndpointUrl!,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
  if (outputs) {
    // The deployed functions' own configuration, their code run locally from the same zips.
    return deployedArtifactFunctions({
      lambdaClient: new LambdaClient({ region }),
      scaleDownName: outputs.scaleDownFunction,
      orphanCleanupName: outputs.orphanCleanupFunction,
      scaleDownZip: SCALE_DOWN_ZIP,
      orphanCleanupZip: ORPHAN_CLEANUP_ZIP,
      region,
      extraEnv: endpointEnv,
    });
  }
  // Nothing deployed: store the App in SSM and run the zips with the fast test configuration.
  const app = config.app!;
  const names = await putGitHubAppParameters(
    new SSMClient({ region }),
    { appId: Number(app.appId), privateKeyBase64: Buffer.from(app.privateKeyPem).toString('base64'), ...(app.installationId ? { installationId: app.installationId } : {}) },
    { appId: `/${config.environment}/app/github_app_id`, keyBase64: `/${config.environment}/app/github_app_key_base64`, installationId: `/${config.environment}/app/github_app_installation_id` },
  );
  const env = {
    ...endpointEnv,
    ENVIRONMENT: config.environment,
    PARAMETER_GITHUB_APP_ID_NAME: names.appId,
    PARAMETER_GITHUB_APP_KEY_BASE64_NAME: names.keyBase64,
    ...(names.installationId && app.installationId ? { PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: names.installationId } : {}),
    GITHUB_API_URL: config.apiUrl,
    ...FAST_REAPER_CONFIG,
    // Real runners: the hook scripts make IMDS and AWS CLI calls, slower than agents.
    SETTLE_SECONDS: '15',
  };
  const start = (name: string, zipPath: string) =>
    startFunction({ zipPath, handler: 'index.handler', functionName: `${config.environment}-${name}`, region, timeoutSeconds: 180, memoryMb: 512, env });
  const scaleDown = await start('scale-down', SCALE_DOWN_ZIP);
  return new ArtifactFunctions(scaleDown, await start('orphan-cleanup', ORPHAN_CLEANUP_ZIP), region);
}

/** Where run.ts writes its report. */
export function reportDir(config: ScenarioConfig): string {
  return join(config.workDir, 'report');
}
