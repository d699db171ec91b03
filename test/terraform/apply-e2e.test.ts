// Apply end to end: `terraform apply` the module against moto with a configuration that
// points it at the GitHub twin, then run the deployed zips exactly as deployed (handler,
// timeout, memory and environment read back from moto) against a runner fleet: an idle
// runner with machine evidence (the hooks marker) is reclaimed on its first sighting, one
// without on its second, the busy one is kept and its job completes; an unregistered
// instance with hook evidence is reclaimed in one run, one without is held; the schedule
// rules target the functions; `terraform destroy` leaves none of it behind.
//
// Nothing in this file sets a function variable: a variable the module mis-wires runs
// mis-wired (a wrong GITHUB_API_URL reaches no twin, a default JOB_EVIDENCE or boot time
// changes the decisions), so the runs below fail along with the read-back checks.
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand, type Rule } from '@aws-sdk/client-eventbridge';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { HOOKS_CONTRACT_VERSION, TAG } from '../../lambda/src/core/tags';
import { DeployedWorld, ensureBuiltZips, startTwin, waitFor, type DeployedFunction, type DeployedRun } from './apply-e2e-world';
import { applyModuleAgainstMoto, MOTO_REGION, type FunctionOutputs } from './harness';
import { startMoto, type Moto } from './moto';

jest.setTimeout(180_000);

const ENVIRONMENT = 'gh-apply';
const PREFIX = `${ENVIRONMENT}-reaper`;
const ORG = 'apply-org';
const APP_PARAMETERS = { appId: '/gh-apply/app/id', keyBase64: '/gh-apply/app/key_base64' };
const SCHEDULES = { scale_down: 'rate(3 minutes)', orphan_cleanup: 'rate(11 minutes)' } as const;
const GONE = /^(shutting-down|terminated)$/;
/** Runners that poll fast and whose hooks tag well inside the 2 s settle. */
const AGENT = { hookDelayMs: 300, pollIntervalMs: 200, hooks: true } as const;

/** Module variables: each differs from its default, so a variable the module drops shows. */
function moduleVars(githubApiUrl: string): Record<string, unknown> {
  return {
    environment: ENVIRONMENT,
    github_app: { id_parameter: APP_PARAMETERS.appId, key_base64_parameter: APP_PARAMETERS.keyBase64 },
    github_api_url: githubApiUrl,
    minimum_running_time_in_minutes: 0,
    runner_boot_time_in_minutes: 0,
    idle_confirmation_seconds: 0,
    settle_seconds: 2,
    job_evidence: 'hooks',
    max_job_duration_minutes: 45,
    scale_down_schedule_expression: SCHEDULES.scale_down,
    orphan_cleanup_schedule_expression: SCHEDULES.orphan_cleanup,
    scale_down_timeout: 90,
    orphan_cleanup_timeout: 85, // settle 2 + 60 + two probe rounds of 10 s: at least 82
  };
}

let moto: Moto;
let world: DeployedWorld;
let events: EventBridgeClient;
let iam: IAMClient;
let logs: CloudWatchLogsClient;
let githubApiUrl: string;
const rules = new Map<keyof typeof SCHEDULES, Rule>();
let scaleDown: DeployedFunction;
let orphanCleanup: DeployedFunction;

beforeAll(async () => {
  ensureBuiltZips();
  moto = await startMoto();
  const aws = { region: MOTO_REGION, endpoint: moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  events = new EventBridgeClient(aws);
  iam = new IAMClient(aws);
  logs = new CloudWatchLogsClient(aws);
  const { twin, ledger } = await startTwin(ORG);
  githubApiUrl = twin.url;
  try {
    const deployed = await applyModuleAgainstMoto(moto.url, moduleVars(githubApiUrl));
    world = new DeployedWorld(moto.url, deployed, twin, ledger, ENVIRONMENT);
  } catch (error) {
    await twin.stop();
    throw error;
  }
  await world.storeAppParameters(APP_PARAMETERS);
});

afterAll(async () => {
  await world?.stop();
  for (const client of [events, iam, logs]) client?.destroy();
  await moto?.stop();
});

const outputsOf = (which: keyof typeof SCHEDULES): FunctionOutputs => world.deployed.outputs[which];

function outcomeOf(run: DeployedRun, instanceId: string): { result: string; reason: string; evidence?: string } {
  const found = run.outcomes.find((o) => o.instanceId === instanceId);
  if (!found) throw new Error(`no outcome for ${instanceId} in ${JSON.stringify(run.outcomes)}`);
  return { result: found.result, reason: found.reason, ...(found.evidence !== undefined ? { evidence: found.evidence } : {}) };
}

test('each function reads back with the values passed to the module, not the defaults', async () => {
  const shared = {
    ENVIRONMENT,
    PARAMETER_GITHUB_APP_ID_NAME: APP_PARAMETERS.appId,
    PARAMETER_GITHUB_APP_KEY_BASE64_NAME: APP_PARAMETERS.keyBase64,
    GITHUB_API_URL: githubApiUrl,
    MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
    RUNNER_BOOT_TIME_IN_MINUTES: '0',
    IDLE_CONFIRMATION_SECONDS: '0',
    SETTLE_SECONDS: '2',
    JOB_EVIDENCE: 'hooks',
    MAX_JOB_DURATION_MINUTES: '45',
    DRY_RUN: 'false',
  };
  for (const [which, timeout] of [['scale_down', 90], ['orphan_cleanup', 85]] as const) {
    const config = await world.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: outputsOf(which).function_name }));
    expect(config.Timeout).toBe(timeout);
    expect(config.Environment?.Variables).toMatchObject(shared);
  }
});

test('each schedule rule has the configured expression and targets its function', async () => {
  for (const which of ['scale_down', 'orphan_cleanup'] as const) {
    const fn = outputsOf(which);
    const listed = await events.send(new ListRulesCommand({ NamePrefix: fn.schedule_rule_name }));
    expect(listed.Rules?.map((r) => [r.Name, r.ScheduleExpression, r.State])).toEqual([[fn.schedule_rule_name, SCHEDULES[which], 'ENABLED']]);
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: fn.schedule_rule_name }));
    expect(targets.Targets?.map((t) => t.Arn)).toEqual([fn.function_arn]);
    rules.set(which, listed.Rules![0]!);
  }
});

test('the deployed scale-down reclaims the idle runner and keeps the busy one, whose job completes', async () => {
  scaleDown = await world.startDeployed('scale_down', rules.get('scale_down')!.Arn!);
  const owner = { type: 'Org', owner: ORG } as const;
  // Two runners whose hook installer proved the hooks (the ghr:job-hooks marker) ...
  const [idle, busy] = (await world.fleet.launch({ count: 2, owner, labels: ['self-hosted'], ...AGENT })).map((l) => l.instanceId);
  // ... and one without hooks: JOB_EVIDENCE=hooks gives it no machine evidence.
  const [bare] = (await world.fleet.launch({ owner, labels: ['self-hosted'], ...AGENT, hooks: false })).map((l) => l.instanceId);
  expect((await world.tagsOf(idle!))[TAG.jobHooks]).toBe(HOOKS_CONTRACT_VERSION);
  expect((await world.tagsOf(bare!))[TAG.jobHooks]).toBeUndefined();
  // Long enough to outlast both runs, short enough to see it finish.
  world.twin.dispatcher.assignNow({ runnerId: world.fleet.agent(busy!)!.runnerId!, id: 'busy-job', durationMs: 20_000 });
  await waitFor('busy-job running', () => world.twin.dispatcher.getJob('busy-job')?.phase === 'running');
  await waitFor('ghr:job on the busy instance', async () => TAG.job in (await world.tagsOf(busy!)));

  // With machine evidence the first idle sighting reclaims; without, it only records
  // ghr:idle-since, and the second sighting (2 x IDLE_CONFIRMATION_SECONDS = 0 s later) reclaims.
  const first = await scaleDown.run();
  expect(outcomeOf(first, idle!)).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'hooks' });
  expect(outcomeOf(first, busy!)).toEqual({ result: 'kept', reason: 'job-evidence', evidence: 'hooks' });
  expect(outcomeOf(first, bare!)).toEqual({ result: 'kept', reason: 'idle-first-sighting', evidence: 'none' });
  expect((await world.tagsOf(bare!))[TAG.idleSince]).toBeDefined();
  expect(await world.stateOf(bare!)).toBe('running');
  expect(world.isRegistered(bare!)).toBe(true);
  expect(await world.fleet.sweep()).toEqual([idle]);
  expect(await world.stateOf(idle!)).toMatch(GONE);
  expect(world.isRegistered(idle!)).toBe(false);

  const second = await scaleDown.run();
  expect(outcomeOf(second, bare!)).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'none' });
  expect(outcomeOf(second, busy!)).toEqual({ result: 'kept', reason: 'job-evidence', evidence: 'hooks' });
  expect(await world.fleet.sweep()).toEqual([bare]);
  expect(await world.stateOf(bare!)).toMatch(GONE);
  expect(world.isRegistered(bare!)).toBe(false);

  expect(await world.stateOf(busy!)).toBe('running');
  expect(world.isRegistered(busy!)).toBe(true);
  expect(world.twin.dispatcher.getJob('busy-job')?.phase).toBe('running');

  await waitFor('busy-job completed', () => world.twin.dispatcher.getJob('busy-job')?.phase === 'completed', 40_000);
  expect(world.ledger.getJob('busy-job')?.fate).toBe('completed');
  expect(world.ledger.harmedJobs()).toEqual([]);
});

test('the deployed orphan-cleanup reclaims a spent ephemeral runner in one run, holds a never-registered instance without evidence, and leaves registered runners', async () => {
  orphanCleanup = await world.startDeployed('orphan_cleanup', rules.get('orphan_cleanup')!.Arn!);
  const owner = { type: 'Org', owner: ORG } as const;
  // An ephemeral runner with proven hooks runs its one job; GitHub then forgets it, and
  // the instance stays up (onExit: idle), unregistered, its hooks saying no job runs.
  const [spent] = (await world.fleet.launch({ owner, labels: ['self-hosted'], ephemeral: true, ...AGENT })).map((l) => l.instanceId);
  world.twin.dispatcher.assignNow({ runnerId: world.fleet.agent(spent!)!.runnerId!, id: 'ephemeral-job', durationMs: 1_000 });
  await waitFor('ephemeral-job completed', () => world.twin.dispatcher.getJob('ephemeral-job')?.phase === 'completed');
  await waitFor('the spent runner unregistered and its hooks done', async () => {
    const tags = await world.tagsOf(spent!);
    return !world.isRegistered(spent!) && !(TAG.job in tags) && TAG.lastJobCompletedAt in tags;
  });
  // A failed boot: never registered, no hook marker (the boot check waits for the listener).
  const [never] = (await world.fleet.launch({ owner, register: false })).map((l) => l.instanceId);
  const registered = [...world.fleet.agents.values()].filter((a) => a.alive && world.isRegistered(a.instanceId)).map((a) => a.instanceId);
  expect(registered).toEqual([expect.any(String)]);

  // A boot time of 0 (not the default 5 minutes) makes a just-launched instance eligible.
  const first = await orphanCleanup.run();
  expect(outcomeOf(first, spent!)).toEqual({ result: 'terminated', reason: 'orphan-confirmed', evidence: 'hooks' });
  expect(outcomeOf(first, never!)).toEqual({ result: 'kept', reason: 'orphan-first-sighting', evidence: 'none' });
  expect(await world.stateOf(spent!)).toMatch(GONE);
  const marked = await world.tagsOf(never!);
  expect(marked[TAG.reaperOrphanSince]).toBeDefined();
  // Never ghr:orphan: the github-aws-runners scale-down terminates whatever carries it.
  expect({ orphan: marked[TAG.orphan], legacySince: marked[TAG.legacyOrphanSince] }).toEqual({ orphan: undefined, legacySince: undefined });

  // Without machine evidence it may be an ephemeral runner running its job: held up to
  // MAX_JOB_DURATION_MINUTES (45), whatever the number of sightings.
  const second = await orphanCleanup.run();
  expect(outcomeOf(second, never!)).toEqual({ result: 'kept', reason: 'waiting-max-job-duration', evidence: 'none' });
  expect(await world.stateOf(never!)).toBe('running');
  expect((await world.tagsOf(never!))[TAG.orphan]).toBeUndefined();

  expect(await world.stateOf(registered[0]!)).toBe('running');
  expect(world.isRegistered(registered[0]!)).toBe(true);
  expect(world.ledger.getJob('ephemeral-job')?.fate).toBe('completed');
  expect(world.ledger.harmedJobs()).toEqual([]);
});

test('terraform destroy leaves no function, role, log group or rule of ours', async () => {
  const ours = [outputsOf('scale_down'), outputsOf('orphan_cleanup')];
  // They exist before the destroy, so the checks below cannot pass on an empty moto.
  const before = await world.lambda.send(new ListFunctionsCommand({}));
  expect((before.Functions ?? []).map((f) => f.FunctionName).sort()).toEqual(ours.map((o) => o.function_name).sort());
  const groupsBefore = await logs.send(new DescribeLogGroupsCommand({}));
  expect((groupsBefore.logGroups ?? []).map((g) => g.logGroupName).sort()).toEqual(ours.map((o) => o.log_group_name).sort());
  await world.deployed.destroy();

  const functions = await world.lambda.send(new ListFunctionsCommand({}));
  expect(functions.Functions ?? []).toEqual([]);
  const roles = await iam.send(new ListRolesCommand({}));
  const roleNames = (roles.Roles ?? []).map((r) => r.RoleName);
  expect(roleNames.filter((n) => n?.startsWith(PREFIX) || ours.some((o) => o.role_name === n))).toEqual([]);
  const groups = await logs.send(new DescribeLogGroupsCommand({}));
  expect((groups.logGroups ?? []).map((g) => g.logGroupName).filter((n) => ours.some((o) => o.log_group_name === n) || n?.includes(PREFIX))).toEqual([]);
  const listed = await events.send(new ListRulesCommand({}));
  expect(listed.Rules ?? []).toEqual([]);
});
