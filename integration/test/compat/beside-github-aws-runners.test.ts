/**
 * Compatibility with the github-aws-runners module (v7.11.0), end to end: the reaper
 * configured exactly as examples/beside-github-aws-runners and
 * examples/beside-github-aws-runners-multi-runner deploy it (Terraform into moto, beside a
 * stub of that module's outputs), run from the deployed zips against the GitHub twin (as a
 * GitHub Enterprise Server, under /api/v3 of its ghes_url) and a fleet tagged as that
 * module's scale-up and boot script tag it: root module and multi-runner, org and repo,
 * JIT and non-JIT, Linux with the hooks, Linux with 0.1.0's overridden hooks, a prebuilt
 * AMI reached by the probe, Windows with neither. See beside-world.ts for the assembly.
 *
 * Two scale-down runs per deployment, the configured IDLE_CONFIRMATION_SECONDS (60, the
 * default: the example does not change it) apart: idle runners with machine evidence (the
 * hooks, or the probe) are reclaimed on the first, busy ones kept on both, those without
 * evidence still waiting on the second (their confirmation takes twice as long); each
 * decision says which evidence it had.
 */
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import type { HookProof } from '../../upstream';
import { BesideWorld, MULTI_PREFIX, ORG, ROOT_PREFIX, type Outcome } from './beside-world';

jest.setTimeout(1_200_000);

const GONE = /^(shutting-down|terminated)$/;
const BUSY_JOB_MS = 15 * 60_000;

let world: BesideWorld;
const rootType = { layout: 'root' as const, prefix: ROOT_PREFIX, runnerOs: 'linux' as const };
const linuxType = { layout: 'multi-runner' as const, prefix: MULTI_PREFIX, key: 'linux-x64', runnerOs: 'linux' as const };
const windowsType = { layout: 'multi-runner' as const, prefix: MULTI_PREFIX, key: 'win', runnerOs: 'windows' as const };
const proofs: Record<string, HookProof> = {};
const ids: Record<string, string> = {};
const runs: { root: Outcome[][]; multi: Outcome[][] } = { root: [], multi: [] };

function outcome(list: Outcome[], name: string): Omit<Outcome, 'instanceId'> | undefined {
  const found = list.find((o) => o.instanceId === ids[name]);
  if (!found) return undefined;
  const { instanceId: _id, ...rest } = found;
  return rest;
}

async function startBusyJob(name: string): Promise<void> {
  const agent = world.fleet.agent(ids[name]!)!;
  world.twin.dispatcher.assignNow({ runnerId: agent.runnerId!, id: `${name}-job`, durationMs: BUSY_JOB_MS });
  const deadline = Date.now() + 30_000;
  while (world.twin.dispatcher.getJob(`${name}-job`)?.phase !== 'running') {
    if (Date.now() > deadline) throw new Error(`${name}-job did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1_000)); // the job-started hook tags within its 300 ms
}

beforeAll(async () => {
  world = await BesideWorld.start();
  const org = { type: 'Org' as const, owner: ORG };
  const repo = { type: 'Repo' as const, owner: `${ORG}/app` };

  // Each machine's hooks, found by booting it: the example's wiring, 0.1.0's, none.
  proofs.root = await world.prove(world.bootInputs.get('root')!, ROOT_PREFIX);
  proofs.linux = await world.prove(world.bootInputs.get('linux-x64')!, `${MULTI_PREFIX}-linux-x64`);
  proofs.windows = await world.prove(world.bootInputs.get('win')!, `${MULTI_PREFIX}-win`);
  const rootInputs = world.bootInputs.get('root')!;
  proofs.old = await world.prove(
    { runnerOs: 'linux', userdataPostInstall: rootInputs.userdataPostInstall, runnerHookJobStarted: '#!/bin/bash\necho "the team\'s own hook"' },
    ROOT_PREFIX,
  );
  proofs.prebuilt = await world.prove({ ...rootInputs, enableUserdata: false }, ROOT_PREFIX);

  const one = async (name: string, launched: Promise<{ instanceId: string }[]>) => {
    ids[name] = (await launched)[0]!.instanceId;
  };
  await one('rootIdle', world.launch(rootType, proofs.root, { owner: org, ssm: true }));
  await one('rootBusy', world.launch(rootType, proofs.root, { owner: org, ssm: true }));
  await one('repoJit', world.launch(rootType, proofs.root, { owner: repo, ephemeral: true, ssm: true }));
  await one('overridden', world.launch(rootType, proofs.old, { owner: org }));
  await one('prebuilt', world.launch(rootType, proofs.prebuilt, { owner: org, ssm: true }));
  await one('linuxJit', world.launch(linuxType, proofs.linux, { owner: org, ephemeral: true, ssm: true }));
  await one('windowsBusy', world.launch(windowsType, proofs.windows, { owner: org }));
  await one('windowsIdle', world.launch(windowsType, proofs.windows, { owner: org }));
  const stranger = await world.ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-0a1b2c3d4e5f60718',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'ghr:Application', Value: 'github-action-runner' }, { Key: 'ghr:environment', Value: 'someone-else' }, { Key: 'ghr:Owner', Value: ORG }, { Key: 'ghr:Type', Value: 'Org' }] }],
    }),
  );
  ids.stranger = stranger.Instances![0]!.InstanceId!;
  await startBusyJob('rootBusy');
  await startBusyJob('windowsBusy');

  // Two runs of each deployment's scale-down, IDLE_CONFIRMATION_SECONDS apart (as configured).
  const confirmation = Number(world.root.scaleDown.env().IDLE_CONFIRMATION_SECONDS ?? '60');
  runs.root.push(await world.root.scaleDown.run());
  runs.multi.push(await world.multi.scaleDown.run());
  await new Promise((r) => setTimeout(r, (confirmation + 2) * 1_000));
  runs.root.push(await world.root.scaleDown.run());
  runs.multi.push(await world.multi.scaleDown.run());
  await world.fleet.sweep();
});

afterAll(async () => {
  await world?.stop();
});

test('booting the upstream-shaped machines: the example wiring proves its hooks, 0.1.0 wiring is overridden, Windows and prebuilt AMIs have none', () => {
  expect({ root: proofs.root!.install, linux: proofs.linux!.install, windows: proofs.windows!.install }).toEqual({ root: 'proven', linux: 'proven', windows: 'none' });
  expect(proofs.old).toMatchObject({ install: 'overridden', reason: expect.stringMatching(/does not run the reaper's hook/) });
  expect(proofs.prebuilt).toMatchObject({ install: 'none', reason: expect.stringMatching(/prebuilt AMI/) });
});

test('the functions run with the configuration the examples deployed: that module\'s names and ghes_url, its settings kept', () => {
  expect(world.root.scaleDown.env()).toMatchObject({
    ENVIRONMENT: ROOT_PREFIX,
    PARAMETER_GITHUB_APP_ID_NAME: `/github-action-runners/${ROOT_PREFIX}/app/github_app_id`,
    GHES_URL: world.ghes.url,
    IDLE_POOL_SCOPE: 'environment',
    JOB_EVIDENCE: 'auto',
    DRY_RUN: 'false',
  });
  expect(JSON.parse(world.multi.scaleDown.env().ENVIRONMENTS!)).toEqual([`${MULTI_PREFIX}-linux-x64`, `${MULTI_PREFIX}-win`]);
  // Every GitHub call went to <ghes_url>/api/v3.
  expect(world.ghes.misses()).toEqual([]);
});

/** Whether GitHub (the twin) no longer lists the instance's runner. */
function deregistered(name: string): boolean {
  const runner = world.twin.dispatcher.runnerById(world.fleet.agent(ids[name]!)!.runnerId!);
  return !!runner && (runner.deleted || runner.consumed);
}

test('root module: idle runners with machine evidence are reclaimed on the first run, org and repo, JIT and not, hooks or probe', async () => {
  expect(outcome(runs.root[0]!, 'rootIdle')).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'hooks', deregistered: true });
  expect(outcome(runs.root[0]!, 'prebuilt')).toEqual({ result: 'terminated', reason: 'idle-confirmed', evidence: 'probe', deregistered: true });
  // Its ephemeral runners' instances terminate themselves once the runner exits
  // (start-runner.sh `cleanup`): deregistered, the instance was already going when re-checked.
  expect(outcome(runs.root[0]!, 'repoJit')).toEqual({ result: 'kept', reason: 'not-running', evidence: 'hooks', deregistered: true });
  for (const name of ['rootIdle', 'repoJit', 'prebuilt']) {
    expect({ name, state: await world.stateOf(ids[name]!), deregistered: deregistered(name) }).toEqual({ name, state: expect.stringMatching(GONE), deregistered: true });
    expect(outcome(runs.root[1]!, name)).toBeUndefined();
  }
});

test('root module: the busy runner is kept on its job evidence, its job lives on', async () => {
  for (const run of runs.root) expect(outcome(run, 'rootBusy')).toMatchObject({ result: 'kept', reason: 'job-evidence', evidence: 'hooks' });
  expect(await world.stateOf(ids.rootBusy!)).toBe('running');
  expect(world.twin.dispatcher.getJob('rootBusy-job')?.phase).toBe('running');
});

test('hooks overridden by a later .env line: reported as no evidence, still waiting after one confirmation period', () => {
  expect(outcome(runs.root[0]!, 'overridden')).toEqual({ result: 'kept', reason: 'idle-first-sighting', evidence: 'none' });
  expect(outcome(runs.root[1]!, 'overridden')).toEqual({ result: 'kept', reason: 'idle-not-confirmed', evidence: 'none' });
});

test('multi-runner: one deployment serves every runner type; Linux JIT reclaimed, Windows without evidence busy kept, idle still waiting', async () => {
  expect(outcome(runs.multi[0]!, 'linuxJit')).toEqual({ result: 'kept', reason: 'not-running', evidence: 'hooks', deregistered: true });
  expect({ state: await world.stateOf(ids.linuxJit!), deregistered: deregistered('linuxJit') }).toEqual({ state: expect.stringMatching(GONE), deregistered: true });
  for (const run of runs.multi) expect(outcome(run, 'windowsBusy')).toMatchObject({ result: 'kept', reason: 'busy-on-github', evidence: 'none' });
  expect(outcome(runs.multi[0]!, 'windowsIdle')).toEqual({ result: 'kept', reason: 'idle-first-sighting', evidence: 'none' });
  expect(outcome(runs.multi[1]!, 'windowsIdle')).toEqual({ result: 'kept', reason: 'idle-not-confirmed', evidence: 'none' });
  expect(world.twin.dispatcher.getJob('windowsBusy-job')?.phase).toBe('running');
});

test("each deployment decides on its own fleet only, and no job was harmed", async () => {
  const rootIds = new Set(runs.root.flat().map((o) => o.instanceId));
  const multiIds = new Set(runs.multi.flat().map((o) => o.instanceId));
  for (const name of ['linuxJit', 'windowsBusy', 'windowsIdle', 'stranger']) expect({ name, root: rootIds.has(ids[name]!) }).toEqual({ name, root: false });
  for (const name of ['rootIdle', 'rootBusy', 'repoJit', 'overridden', 'prebuilt', 'stranger']) expect({ name, multi: multiIds.has(ids[name]!) }).toEqual({ name, multi: false });
  expect(await world.stateOf(ids.stranger!)).toBe('running');
  expect(world.ledger.harmedJobs()).toEqual([]);
});
