import { ConfigError, loadConfig } from '../../src/config/load';
import { MINIMAL_ENV } from '../core/fixtures';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  test('the minimal environment gives the documented defaults', () => {
    expect(loadConfig({ ...MINIMAL_ENV })).toEqual({
      environments: ['test'],
      githubApp: { appIdParameter: '/gh-ci/app/id', keyBase64Parameter: '/gh-ci/app/key' },
      githubApiUrl: 'https://api.github.com',
      minimumRunningTimeMinutes: { linux: 5, windows: 5, macos: 5 },
      runnerBootTimeMinutes: 5,
      idleConfirmationSeconds: 60,
      idleConfig: [],
      idlePoolScope: 'owner',
      maxJobDurationMinutes: 360,
      unregisteredHold: { maxMinutes: 360, maxInstances: 0 },
      jobEvidence: 'off',
      settleSeconds: 15,
      githubConcurrency: 10,
      dryRun: false,
    });
  });

  test('empty optional values fall back to the defaults', () => {
    const config = loadConfig({
      ...MINIMAL_ENV,
      PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: '',
      GITHUB_API_URL: '  ',
      IDLE_CONFIG: ' ',
    });
    expect(config.githubApp.installationIdParameter).toBeUndefined();
    expect(config.githubApiUrl).toBe('https://api.github.com');
    expect(config.idleConfig).toEqual([]);
  });

  test('every variable is read', () => {
    const config = loadConfig({
      ENVIRONMENT: ' prod ',
      PARAMETER_GITHUB_APP_ID_NAME: '/ci/app_id',
      PARAMETER_GITHUB_APP_KEY_BASE64_NAME: 'ci.key-base64',
      PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: '/ci/installation',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3///',
      MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
      RUNNER_BOOT_TIME_IN_MINUTES: ' 7 ',
      IDLE_CONFIRMATION_SECONDS: '90',
      IDLE_CONFIG: JSON.stringify([{ cron: '* * 9-17 * * 1-5', timeZone: 'Europe/Amsterdam', idleCount: 2 }]),
      MAX_JOB_DURATION_MINUTES: '50400',
      JOB_EVIDENCE: 'hooks',
      SETTLE_SECONDS: '0',
      GITHUB_CONCURRENCY: '100',
      DRY_RUN: 'true',
    });
    expect(config).toEqual({
      environments: ['prod'],
      githubApp: {
        appIdParameter: '/ci/app_id',
        keyBase64Parameter: 'ci.key-base64',
        installationIdParameter: '/ci/installation',
      },
      githubApiUrl: 'https://ghe.example.com/api/v3',
      minimumRunningTimeMinutes: { linux: 0, windows: 0, macos: 0 },
      runnerBootTimeMinutes: 7,
      idleConfirmationSeconds: 90,
      idleConfig: [{ cron: '* * 9-17 * * 1-5', timeZone: 'Europe/Amsterdam', idleCount: 2, evictionStrategy: 'oldest_first' }],
      idlePoolScope: 'owner',
      maxJobDurationMinutes: 50400,
      unregisteredHold: { maxMinutes: 50400, maxInstances: 0 },
      jobEvidence: 'hooks',
      settleSeconds: 0,
      githubConcurrency: 100,
      dryRun: true,
    });
  });

  test('an idle window without a time zone is in UTC', () => {
    const config = loadConfig({ ...MINIMAL_ENV, IDLE_CONFIG: '[{"cron":"* 9-17 * * *","idleCount":1,"evictionStrategy":"newest_first"}]' });
    expect(config.idleConfig).toEqual([{ cron: '* 9-17 * * *', timeZone: 'UTC', idleCount: 1, evictionStrategy: 'newest_first' }]);
  });
});

describe('loadConfig: a bad value names the variable and the value', () => {
  test.each([
    ['ENVIRONMENT', ''],
    ['ENVIRONMENT', '   '],
    ['PARAMETER_GITHUB_APP_ID_NAME', 'has space'],
    ['PARAMETER_GITHUB_APP_ID_NAME', '/gh$ci/id'],
    ['PARAMETER_GITHUB_APP_KEY_BASE64_NAME', 'key*'],
    ['PARAMETER_GITHUB_APP_KEY_BASE64_NAME', ''],
    ['PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME', 'bad name!'],
    ['GITHUB_API_URL', 'not a url'],
    ['GITHUB_API_URL', 'ftp://api.github.com'],
    ['MINIMUM_RUNNING_TIME_IN_MINUTES', '-1'],
    ['MINIMUM_RUNNING_TIME_IN_MINUTES', 'five'],
    ['MINIMUM_RUNNING_TIME_IN_MINUTES', '1.5'],
    ['RUNNER_BOOT_TIME_IN_MINUTES', 'x'],
    ['RUNNER_BOOT_TIME_IN_MINUTES', ''],
    ['IDLE_CONFIRMATION_SECONDS', '60s'],
    ['IDLE_CONFIRMATION_SECONDS', '-5'],
    ['MAX_JOB_DURATION_MINUTES', '0'],
    ['MAX_JOB_DURATION_MINUTES', '50401'],
    ['MAX_JOB_DURATION_MINUTES', 'forever'],
    ['JOB_EVIDENCE', 'on'],
    ['JOB_EVIDENCE', 'HOOKS'],
    ['SETTLE_SECONDS', '1e3'],
    ['GITHUB_CONCURRENCY', '0'],
    ['GITHUB_CONCURRENCY', '101'],
    ['DRY_RUN', 'yes'],
    ['DRY_RUN', '1'],
    ['IDLE_CONFIG', '{not json'],
  ])('%s=%p', (variable, value) => {
    const problems = problemsOf({ ...MINIMAL_ENV, [variable]: value });
    // One variable may break more than one check (e.g. not a URL, and not http): each
    // problem still names it and its value.
    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const problem of problems) expect(problem).toContain(`${variable}=${JSON.stringify(value)}: `);
  });

  test.each(['ENVIRONMENT', 'PARAMETER_GITHUB_APP_ID_NAME', 'PARAMETER_GITHUB_APP_KEY_BASE64_NAME'])(
    'required %s missing',
    (variable) => {
      const problems = problemsOf({ ...MINIMAL_ENV, [variable]: undefined });
      expect(problems).toEqual([expect.stringContaining(`${variable}=(not set)`)]);
      expect(problems[0]).toContain('required');
    },
  );

  test('every problem is reported at once', () => {
    const problems = problemsOf({ DRY_RUN: 'maybe', GITHUB_CONCURRENCY: '0' });
    const variables = problems.map((p) => p.split('=')[0]).sort();
    expect(variables).toEqual([
      'DRY_RUN',
      'ENVIRONMENT',
      'GITHUB_CONCURRENCY',
      'PARAMETER_GITHUB_APP_ID_NAME',
      'PARAMETER_GITHUB_APP_KEY_BASE64_NAME',
    ]);
  });

  test('the error message lists the problems', () => {
    expect(() => loadConfig({ ...MINIMAL_ENV, JOB_EVIDENCE: 'on' })).toThrow(/Invalid runner-reaper configuration:\n- JOB_EVIDENCE="on"/);
  });

  test('a long value is cut in the message', () => {
    const long = `/${'a'.repeat(3000)}`;
    const [problem] = problemsOf({ ...MINIMAL_ENV, PARAMETER_GITHUB_APP_ID_NAME: long });
    expect(problem).toContain('PARAMETER_GITHUB_APP_ID_NAME="/aaa');
    expect(problem!.length).toBeLessThan(400);
  });
});

describe('loadConfig: IDLE_CONFIG', () => {
  const window = { cron: '* * 9-17 * * 1-5', timeZone: 'Europe/Amsterdam', idleCount: 1, evictionStrategy: 'oldest_first' };

  test.each([
    ['not JSON', '[{cron:', /IDLE_CONFIG must be JSON/, undefined],
    ['an object, not an array', JSON.stringify(window), /array/, undefined],
    ['a bad cron', JSON.stringify([{ ...window, cron: 'every day' }]), /cron/, '0.cron'],
    ['a cron of 7 fields', JSON.stringify([{ ...window, cron: '* * * * * * *' }]), /cron/, '0.cron'],
    ['a bad time zone', JSON.stringify([{ ...window, timeZone: 'Mars/Olympus' }]), /IANA/, '0.timeZone'],
    ['a negative idleCount', JSON.stringify([{ ...window, idleCount: -1 }]), /./, '0.idleCount'],
    ['a fractional idleCount', JSON.stringify([{ ...window, idleCount: 1.5 }]), /./, '0.idleCount'],
    ['idleCount as a string', JSON.stringify([{ ...window, idleCount: '2' }]), /./, '0.idleCount'],
    ['a missing idleCount', JSON.stringify([{ cron: '* * * * *' }]), /./, '0.idleCount'],
    ['an unknown eviction strategy', JSON.stringify([{ ...window, evictionStrategy: 'random' }]), /./, '0.evictionStrategy'],
    ['a bad second window', JSON.stringify([window, { ...window, cron: '' }]), /./, '1.cron'],
  ])('%s', (_name, value, message, at) => {
    const problems = problemsOf({ ...MINIMAL_ENV, IDLE_CONFIG: value });
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]).toMatch(/^IDLE_CONFIG=/);
    expect(problems[0]).toMatch(message);
    if (at) expect(problems[0]).toContain(`(at ${at})`);
  });

  test('5- and 6-field crons are accepted', () => {
    const config = loadConfig({
      ...MINIMAL_ENV,
      IDLE_CONFIG: JSON.stringify([
        { cron: '*/5 8-18 * * 1-5', idleCount: 1 },
        { cron: '0 * 9-17 * * 1-5', idleCount: 2, timeZone: 'America/New_York' },
      ]),
    });
    expect(config.idleConfig.map((w) => [w.cron, w.timeZone])).toEqual([
      ['*/5 8-18 * * 1-5', 'UTC'],
      ['0 * 9-17 * * 1-5', 'America/New_York'],
    ]);
  });
});

describe('loadConfig: SSM parameter names', () => {
  test.each(['/gh-ci/app/id', 'app_id', 'a.b-c/d_e', `/${'x'.repeat(2000)}`])('accepts %p', (name) => {
    expect(loadConfig({ ...MINIMAL_ENV, PARAMETER_GITHUB_APP_ID_NAME: name }).githubApp.appIdParameter).toBe(name);
  });

  test('trims surrounding whitespace', () => {
    const config = loadConfig({ ...MINIMAL_ENV, PARAMETER_GITHUB_APP_KEY_BASE64_NAME: '  /gh-ci/key  ' });
    expect(config.githubApp.keyBase64Parameter).toBe('/gh-ci/key');
  });

  test.each(['with space', 'semi;colon', 'quote"', 'star*', `/${'x'.repeat(2048)}`])('rejects %p', (name) => {
    const problems = problemsOf({ ...MINIMAL_ENV, PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME: name });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME=.*SSM parameter name/);
  });
});
