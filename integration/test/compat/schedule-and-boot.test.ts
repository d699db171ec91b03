/**
 * The upstream-shaped world's pure parts: the EventBridge schedule check (the switch-over
 * turns github-aws-runners' scale-down off with an expression that never fires), and the
 * boot stand-in (in what order its user data writes the runner's .env, and what the runner
 * then calls), run for real with bash in a temporary directory.
 */
import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutRuleCommand, DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { MotoServer, motoClientConfig } from '../../moto';
import {
  bootInSandbox,
  checkScheduleExpression,
  cronYears,
  DEFAULT_SCALE_DOWN_SCHEDULE,
  effectiveRunnerEnv,
  HOOK_PATHS,
  inSandbox,
  neverFiresAfter,
  renderUserData,
  type SandboxedRunner,
} from '../../upstream';

jest.setTimeout(60_000);

const NEVER = 'cron(0 0 1 1 ? 1970)';

describe('EventBridge schedule expressions, as AWS documents them', () => {
  // The examples of the EventBridge user guide's cron table, and the forms the examples use.
  it.each([
    'cron(0 10 * * ? *)',
    'cron(15 12 * * ? *)',
    'cron(0 18 ? * MON-FRI *)',
    'cron(0 8 1 * ? *)',
    'cron(0/15 * * * ? *)',
    'cron(0/10 * ? * MON-FRI *)',
    'cron(0/5 8-17 ? * MON-FRI *)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 0 L * ? *)',
    'cron(0 0 ? * 6L *)',
    'cron(0 0 15W * ? *)',
    DEFAULT_SCALE_DOWN_SCHEDULE,
    NEVER,
    'cron(0 0 1 1 ? 2199)',
    'rate(1 minute)',
    'rate(10 minutes)',
    'rate(1 day)',
  ])('accepts %s', (expression) => {
    expect(checkScheduleExpression(expression)).toMatchObject({ ok: true });
  });

  it.each([
    ['cron(0 0 1 1 ? 2200)', /year "2200" is outside 1970-2199/],
    ['cron(0 0 1 1 ? 1969)', /year "1969" is outside 1970-2199/],
    ['cron(0 0 1 1 ?)', /needs 6 fields, got 5/],
    ['cron(0 0 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['cron(0 0 1 * MON *)', /exactly one of day-of-month and day-of-week/],
    ['cron(60 0 1 * ? *)', /minutes "60"/],
    ['cron(0 24 1 * ? *)', /hours "24"/],
    ['cron(0 0 32 * ? *)', /day-of-month "32"/],
    ['cron(0 0 1 13 ? *)', /month "13"/],
    ['cron(0 0 ? * 8 *)', /day-of-week "8"/],
    ['cron(0 0 ? 1 L ?)', /year does not take "\?"/],
    ['cron(*/0 * * * ? *)', /step must be at least 1/],
    ['rate(0 minutes)', /positive whole number/],
    ['rate(5 minute)', /singular/],
    ['rate(1 minutes)', /singular/],
    ['rate(5 seconds)', /must be cron/],
    ['never', /must be cron/],
  ])('rejects %s', (expression, reason) => {
    const check = checkScheduleExpression(expression);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
  });

  it('reads the year field, and knows an expression whose years have all passed never fires', () => {
    expect(cronYears(NEVER)).toEqual([1970]);
    expect(cronYears('cron(0 0 1 1 ? 2030-2032,2040)')).toEqual([2030, 2031, 2032, 2040]);
    expect(cronYears('cron(0 0 1 1 ? 2190/4)')).toEqual([2190, 2194, 2198]);
    const now = new Date('2026-12-01T00:00:00Z');
    expect(neverFiresAfter(NEVER, now)).toBe(true);
    expect(neverFiresAfter('cron(0 0 1 1 ? 2025)', now)).toBe(true);
    expect(neverFiresAfter('cron(0 0 1 1 ? 2199)', now)).toBe(false);
    expect(neverFiresAfter(DEFAULT_SCALE_DOWN_SCHEDULE, now)).toBe(false);
    expect(neverFiresAfter('rate(5 minutes)', now)).toBe(false);
    expect(() => cronYears('cron(0 0 1 1 ? 2200)')).toThrow(/not a valid EventBridge cron expression/);
  });
});

describe('moto takes the never-firing schedule for a rule', () => {
  const moto = new MotoServer();
  let events: EventBridgeClient;
  beforeAll(async () => {
    await moto.start();
    events = new EventBridgeClient(motoClientConfig(moto.url));
  });
  afterAll(async () => {
    events?.destroy();
    await moto.stop();
  });

  it('stores it as given (PutRule, then DescribeRule)', async () => {
    await events.send(new PutRuleCommand({ Name: 'gh-ci-scale-down-rule', ScheduleExpression: NEVER }));
    const rule = await events.send(new DescribeRuleCommand({ Name: 'gh-ci-scale-down-rule' }));
    expect({ expression: rule.ScheduleExpression, state: rule.State }).toEqual({ expression: NEVER, state: 'ENABLED' });
  });

  it('but would take an invalid one too, which is why the documented syntax is checked above', async () => {
    await events.send(new PutRuleCommand({ Name: 'not-valid-on-aws', ScheduleExpression: 'cron(0 0 1 1 ? 2200)' }));
    expect(checkScheduleExpression('cron(0 0 1 1 ? 2200)').ok).toBe(false);
  });
});

describe("the runner's .env, read the way its Listener reads it", () => {
  it('keeps the last line for a key, drops a key set to nothing, skips lines without a key', () => {
    const env = effectiveRunnerEnv(
      [
        'LANG=C.UTF-8',
        'ACTIONS_RUNNER_HOOK_JOB_STARTED=/opt/runner-reaper/job-started.sh',
        'ACTIONS_RUNNER_HOOK_JOB_STARTED=/opt/actions-runner/hook_job_started.sh',
        'ACTIONS_RUNNER_HOOK_JOB_COMPLETED=/opt/x.sh',
        'ACTIONS_RUNNER_HOOK_JOB_COMPLETED=',
        '=no-key',
        'no separator',
        '',
        'PATH_WITH_EQUALS=a=b\r',
      ].join('\n'),
    );
    expect(env).toEqual({
      LANG: 'C.UTF-8',
      ACTIONS_RUNNER_HOOK_JOB_STARTED: '/opt/actions-runner/hook_job_started.sh',
      PATH_WITH_EQUALS: 'a=b',
    });
  });
});

describe("the boot stand-in, run with bash: what the runner calls after that module's user data", () => {
  const booted: SandboxedRunner[] = [];
  afterAll(() => booted.forEach((b) => b.remove()));

  async function boot(...args: Parameters<typeof renderUserData>): Promise<SandboxedRunner> {
    const result = await bootInSandbox(renderUserData(...args));
    if ('kind' in result) throw new Error(`no boot: ${result.reason}`);
    booted.push(result);
    return result;
  }

  /** A post-install hook installer of the kind our 0.1.0 docs recommended: replace the hook lines, append ours. */
  const postInstallHooks = [
    'mkdir -p /opt/runner-reaper',
    "printf '#!/bin/sh\\necho ours\\n' > /opt/runner-reaper/job-started.sh",
    'touch /opt/actions-runner/.env',
    "sed -i '/^ACTIONS_RUNNER_HOOK_JOB_STARTED=/d' /opt/actions-runner/.env",
    "echo 'ACTIONS_RUNNER_HOOK_JOB_STARTED=/opt/runner-reaper/job-started.sh' >> /opt/actions-runner/.env",
  ].join('\n');

  it('hooks given through runner_hook_job_started/_completed are what the runner calls, byte for byte', async () => {
    const started = '#!/bin/sh\n# started\necho "started $GITHUB_JOB"\n';
    const completed = '#!/bin/sh\necho completed\n';
    const runner = await boot({ runnerOs: 'linux', runnerHookJobStarted: started, runnerHookJobCompleted: completed });
    expect(runner.hooks).toEqual({
      jobStarted: inSandbox(runner.root, HOOK_PATHS.jobStarted),
      jobCompleted: inSandbox(runner.root, HOOK_PATHS.jobCompleted),
    });
    // The here-document adds the line end the script lacks at its end, nothing else.
    expect(readFileSync(runner.hooks.jobStarted!, 'utf8')).toBe(started + '\n');
    expect(readFileSync(runner.hooks.jobCompleted!, 'utf8')).toBe(completed + '\n');
  });

  it('a hook installed by userdata_post_install is overridden when the team also uses runner_hook_job_started', async () => {
    const runner = await boot({
      runnerOs: 'linux',
      userdataPostInstall: postInstallHooks,
      runnerHookJobStarted: '#!/bin/sh\necho "the team\'s own hook"',
    });
    expect(runner.envFile).toMatch(/job-started\.sh[\s\S]*hook_job_started\.sh/);
    expect(runner.hooks.jobStarted).toBe(inSandbox(runner.root, HOOK_PATHS.jobStarted));
    expect(readFileSync(runner.hooks.jobStarted!, 'utf8')).not.toContain('ours');
  });

  it('the same post-install hook survives when the team sets no hook inputs (the .env lines come from it alone)', async () => {
    const runner = await boot({ runnerOs: 'linux', userdataPostInstall: postInstallHooks });
    expect(runner.hooks).toEqual({ jobStarted: inSandbox(runner.root, '/opt/runner-reaper/job-started.sh') });
  });

  it('on macOS the order is the same', async () => {
    const runner = await boot({ runnerOs: 'osx', userdataPostInstall: postInstallHooks, runnerHookJobStarted: 'echo team' });
    expect(runner.hooks.jobStarted).toBe(inSandbox(runner.root, HOOK_PATHS.jobStarted));
  });

  it('a hook script with a line "EOF" ends its here-document early, and the rest of it runs as user data', async () => {
    const script = '#!/bin/sh\ncat <<EOF\nhello\nEOF\necho after\n';
    const boot = bootInSandbox(renderUserData({ runnerOs: 'linux', runnerHookJobStarted: script }));
    await expect(boot).rejects.toThrow(/user data stand-in failed[\s\S]*after[\s\S]*EOF: command not found/);
  });

  it('Windows and prebuilt AMIs run no hook block at all', () => {
    expect(renderUserData({ runnerOs: 'windows', runnerHookJobStarted: 'x' })).toEqual({ kind: 'none', reason: expect.stringMatching(/PowerShell and has no hook block/) });
    expect(renderUserData({ runnerOs: 'linux', enableUserdata: false, runnerHookJobStarted: 'x' })).toEqual({
      kind: 'none',
      reason: expect.stringMatching(/prebuilt AMI/),
    });
  });
});
