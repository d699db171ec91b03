/**
 * The reaper's hooks on a runner booted the way the github-aws-runners module boots it,
 * for real: its boot order (the stand-in, run with bash), the reaper's user-data snippet
 * and hook chains as Terraform renders them (modules/runner-hooks), its boot check against
 * moto and an IMDSv2 stand-in, and one job's hooks run as the runner runs them.
 *
 * The recommended path (its runner_hook_job_* inputs fed the chains, the snippet in
 * userdata_post_install) is proven and tags the job; 0.1.0's path (the snippet alone) is
 * overridden as soon as the team uses those inputs for hooks of its own, and then leaves no
 * marker: no false safety.
 */
import { rmSync } from 'node:fs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { MotoServer, MOTO_CREDENTIALS, MOTO_REGION, motoEc2 } from '../../moto';
import { proveHookInstall, type HookProofContext } from '../../upstream';
import { stageWithStub, writeConfiguration } from '../../../test/terraform/upstream';

jest.setTimeout(300_000);

/** A team hook with a line "EOF", which would end that module's here-document if written as is. */
const TEAM_STARTED = '#!/bin/bash\ncat <<EOF\nteam hook: started\nEOF\n';
const TEAM_COMPLETED = '#!/bin/bash\necho "team hook: completed"\nexit 3\n';
/** A team hook that module can write as it is (no line "EOF"). */
const TEAM_PLAIN = '#!/bin/bash\necho "team hook"\n';

interface Hooks {
  user_data: string;
  github_aws_runners: { runner_hook_job_started: string; runner_hook_job_completed: string };
}

const moto = new MotoServer();
let ec2: EC2Client;
let staged: string;
let withTeam: Hooks;
let alone: Hooks;
let ctx: HookProofContext;

beforeAll(async () => {
  await moto.start();
  ec2 = motoEc2(moto.url);
  ctx = {
    ec2,
    aws: { endpoint: moto.url, region: MOTO_REGION, ...MOTO_CREDENTIALS },
    environment: 'gh-compat',
    exercise: true,
  };
  staged = await stageWithStub();
  const config = writeConfiguration(staged, 'hooks', moto.url, {
    module: {
      with_team: { source: 'modules/runner-hooks', environment: 'gh-compat', existing_hooks: { job_started: TEAM_STARTED, job_completed: TEAM_COMPLETED } },
      alone: { source: 'modules/runner-hooks', environment: 'gh-compat' },
    },
    output: { with_team: { value: '${module.with_team}' }, alone: { value: '${module.alone}' } },
  });
  await config.init();
  await config.apply();
  withTeam = await config.output('with_team');
  alone = await config.output('alone');
});

afterAll(async () => {
  ec2?.destroy();
  if (staged) rmSync(staged, { recursive: true, force: true });
  await moto.stop();
});

test('recommended: its hook inputs run the chains, the snippet proves them, a job is tagged and the team hook (even one with a line "EOF") runs with its exit status', async () => {
  const proof = await proveHookInstall(
    {
      runnerOs: 'linux',
      userdataPostInstall: withTeam.user_data,
      runnerHookJobStarted: withTeam.github_aws_runners.runner_hook_job_started,
      runnerHookJobCompleted: withTeam.github_aws_runners.runner_hook_job_completed,
    },
    ctx,
  );
  expect(proof).toMatchObject({ install: 'proven', jobStartedHook: '/opt/actions-runner/hook_job_started.sh' });
  expect(proof.reason).toMatch(/verified: tagged i-\w+ ghr:job-hooks=1/);
  const job = proof.job!;
  expect(job.started).toMatchObject({ code: 0, tags: { 'ghr:job': '4242/build', 'ghr:job-hooks': '1' } });
  expect(job.started.output).toContain('team hook: started');
  expect(job.completed.code).toBe(3);
  expect(job.completed.output).toContain('team hook: completed');
  expect(job.completed.tags['ghr:job']).toBeUndefined();
  expect(job.completed.tags['ghr:last-job-completed-at']).toBeDefined();
});

test('the snippet alone, with no hook inputs of the team: the runner calls the reaper hooks directly, proven', async () => {
  const proof = await proveHookInstall({ runnerOs: 'linux', userdataPostInstall: alone.user_data }, ctx);
  expect(proof).toMatchObject({ install: 'proven', jobStartedHook: '/opt/runner-reaper/job-started.sh' });
  expect(proof.job!.started.tags['ghr:job']).toBe('4242/build');
});

test("0.1.0's path beside the team's own runner_hook_job_started: overridden, no marker, no job tags", async () => {
  const proof = await proveHookInstall({ runnerOs: 'linux', userdataPostInstall: alone.user_data, runnerHookJobStarted: TEAM_PLAIN, runnerHookJobCompleted: TEAM_PLAIN }, ctx);
  expect(proof).toMatchObject({ install: 'overridden', jobStartedHook: '/opt/actions-runner/hook_job_started.sh' });
  expect(proof.reason).toMatch(/not verified: ACTIONS_RUNNER_HOOK_JOB_STARTED is \/opt\/actions-runner\/hook_job_started\.sh, which does not run the reaper's hook/);
  expect(proof.job!.started.tags['ghr:job']).toBeUndefined();
  expect(proof.job!.started.tags['ghr:job-hooks']).toBeUndefined();
});

test('the chains alone, without the snippet: they run, but nothing proves them (no marker)', async () => {
  const proof = await proveHookInstall(
    {
      runnerOs: 'linux',
      runnerHookJobStarted: alone.github_aws_runners.runner_hook_job_started,
      runnerHookJobCompleted: alone.github_aws_runners.runner_hook_job_completed,
    },
    ctx,
  );
  expect(proof).toMatchObject({ install: 'none', reason: expect.stringMatching(/chains run, but no boot check proves them/) });
});

test('Windows and prebuilt AMIs: no hooks at all', async () => {
  const inputs = { userdataPostInstall: alone.user_data, runnerHookJobStarted: alone.github_aws_runners.runner_hook_job_started };
  expect(await proveHookInstall({ runnerOs: 'windows', ...inputs }, ctx)).toMatchObject({ install: 'none', reason: expect.stringMatching(/no hook block/) });
  expect(await proveHookInstall({ runnerOs: 'linux', enableUserdata: false, ...inputs }, ctx)).toMatchObject({ install: 'none', reason: expect.stringMatching(/prebuilt AMI/) });
});
