import { apiUrlOfGhesUrl, ConfigError, loadConfig } from '../../src/config/load';
import { ENV_VARIABLES } from '../../src/config/schema';
import { testPrivateKey } from '../helpers/github-mock';
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
      githubPointsPerMinute: 900,
      minimumRunningTimeMinutes: { linux: 5, windows: 15, macos: 20 },
      runnerBootTimeMinutes: 5,
      idleConfirmationSeconds: 60,
      idleConfig: [],
      idlePoolScope: 'owner',
      maxJobDurationMinutes: 360,
      unregisteredHold: { maxMinutes: 360, maxInstances: 0 },
      jobEvidence: 'auto',
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
      PARAMETER_GITHUB_CA_BUNDLE_NAME: '/ci/github/ca',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3///',
      GHES_URL: 'https://ghe.example.com/',
      MINIMUM_RUNNING_TIME_IN_MINUTES: '0',
      RUNNER_BOOT_TIME_IN_MINUTES: ' 7 ',
      IDLE_CONFIRMATION_SECONDS: '90',
      IDLE_CONFIG: JSON.stringify([{ cron: '* * 9-17 * * 1-5', timeZone: 'Europe/Amsterdam', idleCount: 2 }]),
      IDLE_POOL_SCOPE: 'environment',
      MAX_JOB_DURATION_MINUTES: '50400',
      UNREGISTERED_HOLD_MINUTES: '120',
      UNREGISTERED_HOLD_MAX_INSTANCES: '25',
      JOB_EVIDENCE: 'hooks',
      PROBE_DOCUMENT_NAME: 'gh-ci-reaper-probe',
      PROBE_TIMEOUT_SECONDS: '20',
      SETTLE_SECONDS: '2',
      PROBE_SETTLE_SECONDS: '1',
      FUNCTION_TIMEOUT_SECONDS: '102',
      GITHUB_CONCURRENCY: '100',
      GITHUB_POINTS_PER_MINUTE: '9000',
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
      githubCaBundleParameter: '/ci/github/ca',
      githubPointsPerMinute: 9000,
      minimumRunningTimeMinutes: { linux: 0, windows: 0, macos: 0 },
      runnerBootTimeMinutes: 7,
      idleConfirmationSeconds: 90,
      idleConfig: [{ cron: '* * 9-17 * * 1-5', timeZone: 'Europe/Amsterdam', idleCount: 2, evictionStrategy: 'oldest_first' }],
      idlePoolScope: 'environment',
      maxJobDurationMinutes: 50400,
      unregisteredHold: { maxMinutes: 120, maxInstances: 25 },
      jobEvidence: 'hooks',
      probe: { documentName: 'gh-ci-reaper-probe', timeoutSeconds: 20, settleSeconds: 1 },
      settleSeconds: 2,
      githubConcurrency: 100,
      dryRun: true,
    });
  });

  test('an idle window without a time zone is in UTC', () => {
    const config = loadConfig({ ...MINIMAL_ENV, IDLE_CONFIG: '[{"cron":"* 9-17 * * *","idleCount":1,"evictionStrategy":"newest_first"}]' });
    expect(config.idleConfig).toEqual([{ cron: '* 9-17 * * *', timeZone: 'UTC', idleCount: 1, evictionStrategy: 'newest_first' }]);
  });
});

describe('loadConfig: a bad value names the variable and the expected form, never the value', () => {
  test.each([
    ['ENVIRONMENT', '\u0007bell'],
    ['ENVIRONMENTS', '[]'],
    ['PARAMETER_GITHUB_APP_ID_NAME', 'has space'],
    ['PARAMETER_GITHUB_APP_ID_NAME', '/gh$ci/id'],
    ['PARAMETER_GITHUB_APP_KEY_BASE64_NAME', 'key*'],
    ['PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME', 'bad name!'],
    ['PARAMETER_GITHUB_CA_BUNDLE_NAME', 'bundle?'],
    ['GITHUB_API_URL', 'not a url'],
    ['GITHUB_API_URL', 'ftp://api.github.com'],
    ['GITHUB_API_URL', 'https://user:ghp_secret@api.github.com'],
    ['GHES_URL', 'ghe.example.com'],
    ['GHES_URL', 'https://github.com'],
    ['MINIMUM_RUNNING_TIME_IN_MINUTES', '-1'],
    ['MINIMUM_RUNNING_TIME_IN_MINUTES', 'five'],
    ['MINIMUM_RUNNING_TIME_IN_MINUTES', '1.5'],
    ['RUNNER_BOOT_TIME_IN_MINUTES', 'x'],
    ['IDLE_CONFIRMATION_SECONDS', '60s'],
    ['IDLE_CONFIRMATION_SECONDS', '-5'],
    ['IDLE_POOL_SCOPE', 'repo'],
    ['MAX_JOB_DURATION_MINUTES', '0'],
    ['MAX_JOB_DURATION_MINUTES', '6'],
    ['MAX_JOB_DURATION_MINUTES', '29'],
    ['MAX_JOB_DURATION_MINUTES', '50401'],
    ['MAX_JOB_DURATION_MINUTES', 'forever'],
    ['UNREGISTERED_HOLD_MINUTES', '0'],
    ['UNREGISTERED_HOLD_MINUTES', '361'],
    ['UNREGISTERED_HOLD_MAX_INSTANCES', '-1'],
    ['JOB_EVIDENCE', 'on'],
    ['JOB_EVIDENCE', 'HOOKS'],
    ['PROBE_DOCUMENT_NAME', 'ab'],
    ['PROBE_DOCUMENT_NAME', 'my document'],
    ['PROBE_TIMEOUT_SECONDS', '1'],
    ['PROBE_TIMEOUT_SECONDS', '121'],
    ['SETTLE_SECONDS', '0'],
    ['SETTLE_SECONDS', '1'],
    ['SETTLE_SECONDS', '601'],
    ['SETTLE_SECONDS', '1e3'],
    ['FUNCTION_TIMEOUT_SECONDS', '901'],
    ['FUNCTION_TIMEOUT_SECONDS', '0'],
    ['GITHUB_CONCURRENCY', '0'],
    ['GITHUB_CONCURRENCY', '101'],
    ['GITHUB_POINTS_PER_MINUTE', '10'],
    ['DRY_RUN', 'yes'],
    ['DRY_RUN', '1'],
    ['IDLE_CONFIG', '{not json'],
  ])('%s=%p', (variable, value) => {
    const env: Record<string, string | undefined> = { ...MINIMAL_ENV, [variable]: value };
    if (variable === 'ENVIRONMENTS') env.ENVIRONMENT = undefined;
    const problems = problemsOf(env);
    // One variable may break more than one check (e.g. not a URL, and not http): each
    // problem still names it.
    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const problem of problems) {
      expect(problem.startsWith(`${variable}:`) || problem.startsWith(`${variable} `)).toBe(true);
      // Short values (digits, a letter) may occur in the expected form itself.
      if (value.length >= 4) expect(problem).not.toContain(value);
    }
  });

  test('required variables missing', () => {
    const problems = problemsOf({});
    expect(problems).toEqual([
      expect.stringMatching(/^PARAMETER_GITHUB_APP_ID_NAME is required: the name of an SSM parameter/),
      expect.stringMatching(/^PARAMETER_GITHUB_APP_KEY_BASE64_NAME is required: the name of an SSM parameter/),
      expect.stringMatching(/^ENVIRONMENT or ENVIRONMENTS is required/),
    ]);
    // The rules between variables are checked once every variable parses on its own.
    expect(problemsOf({ ...MINIMAL_ENV, ENVIRONMENT: undefined })).toEqual([
      expect.stringMatching(/^ENVIRONMENT or ENVIRONMENTS is required/),
    ]);
  });

  test('every problem of the single variables is reported at once', () => {
    const problems = problemsOf({ DRY_RUN: 'maybe', GITHUB_CONCURRENCY: '0' });
    const variables = problems.map((p) => p.split(/[: ]/)[0]).sort();
    expect(variables).toEqual(['DRY_RUN', 'ENVIRONMENT', 'GITHUB_CONCURRENCY', 'PARAMETER_GITHUB_APP_ID_NAME', 'PARAMETER_GITHUB_APP_KEY_BASE64_NAME']);
  });

  test('the error message lists the problems', () => {
    expect(() => loadConfig({ ...MINIMAL_ENV, JOB_EVIDENCE: 'on' })).toThrow(
      /Invalid runner-reaper configuration:\n- JOB_EVIDENCE must be "auto", "hooks" or "off"/,
    );
  });

  // Issue 10, point 7. Before: a value pasted into the wrong variable was echoed (up to 200
  // characters), so a private key in PARAMETER_GITHUB_APP_KEY_BASE64_NAME was logged at
  // every cold start; this test failed on that code with the key's first line in the message.
  test('a private key pasted into any variable never appears in a message', () => {
    const key = testPrivateKey();
    const keyBase64 = Buffer.from(key).toString('base64');
    const keyLines = key.split('\n').filter((line) => line.length >= 16);
    for (const pasted of [key, keyBase64]) {
      for (const variable of ENV_VARIABLES) {
        let message = '';
        try {
          loadConfig({ ...MINIMAL_ENV, [variable]: pasted, ...(variable === 'ENVIRONMENTS' ? { ENVIRONMENT: undefined } : {}) });
        } catch (error) {
          message = (error as Error).message;
        }
        for (const line of keyLines) expect(message).not.toContain(line);
        expect(message).not.toContain(keyBase64.slice(0, 40));
        expect(message).not.toContain('PRIVATE KEY');
      }
    }
  });
});

describe('loadConfig: environments', () => {
  test('ENVIRONMENTS gives several environments', () => {
    const config = loadConfig({ ...MINIMAL_ENV, ENVIRONMENT: undefined, ENVIRONMENTS: '["gh-ci-linux", "gh-ci-arm64"]' });
    expect(config.environments).toEqual(['gh-ci-linux', 'gh-ci-arm64']);
  });

  test('exactly one of ENVIRONMENT and ENVIRONMENTS', () => {
    expect(problemsOf({ ...MINIMAL_ENV, ENVIRONMENTS: '["a"]' })).toEqual([expect.stringMatching(/^ENVIRONMENT and ENVIRONMENTS are both set/)]);
    // Empty counts as not set, so a module that writes both keys with one empty still works.
    expect(loadConfig({ ...MINIMAL_ENV, ENVIRONMENTS: '' }).environments).toEqual(['test']);
    expect(loadConfig({ ...MINIMAL_ENV, ENVIRONMENT: ' ', ENVIRONMENTS: '["a"]' }).environments).toEqual(['a']);
  });

  test.each([
    ['not JSON', 'gh-ci'],
    ['an object', '{"a":1}'],
    ['empty', '[]'],
    ['a number inside', '["a", 1]'],
    ['an empty name', '["a", ""]'],
    ['a name twice', '["a", "a"]'],
    ['too many', JSON.stringify(Array.from({ length: 201 }, (_, i) => `e${i}`))],
  ])('ENVIRONMENTS %s is refused', (_name, value) => {
    const problems = problemsOf({ ...MINIMAL_ENV, ENVIRONMENT: undefined, ENVIRONMENTS: value });
    expect(problems).toEqual([expect.stringMatching(/^ENVIRONMENTS/)]);
  });
});

describe('loadConfig: GitHub URLs', () => {
  test.each([
    ['https://ghe.example.com', 'https://ghe.example.com/api/v3'],
    ['https://ghe.example.com/', 'https://ghe.example.com/api/v3'],
    ['http://10.0.0.5:8080', 'http://10.0.0.5:8080/api/v3'],
    ['https://acme.ghe.com', 'https://api.acme.ghe.com'],
    ['https://acme.ghe.com/', 'https://api.acme.ghe.com'],
  ])('GHES_URL %s means the API at %s', (ghesUrl, api) => {
    expect(apiUrlOfGhesUrl(ghesUrl)).toBe(api);
    expect(loadConfig({ ...MINIMAL_ENV, GHES_URL: ghesUrl }).githubApiUrl).toBe(api);
  });

  test('GHES_URL beside an agreeing GITHUB_API_URL is fine; a disagreeing one is an error', () => {
    expect(loadConfig({ ...MINIMAL_ENV, GHES_URL: 'https://acme.ghe.com', GITHUB_API_URL: 'https://api.acme.ghe.com/' }).githubApiUrl).toBe(
      'https://api.acme.ghe.com',
    );
    const problems = problemsOf({ ...MINIMAL_ENV, GHES_URL: 'https://ghe.example.com', GITHUB_API_URL: 'https://api.github.com' });
    expect(problems).toEqual([expect.stringMatching(/^GHES_URL and GITHUB_API_URL are both set and disagree/)]);
  });

  test('an URL with credentials is refused without showing them', () => {
    const problems = problemsOf({ ...MINIMAL_ENV, GHES_URL: 'https://bot:hunter2@ghe.example.com' });
    expect(problems).toEqual([expect.stringMatching(/^GHES_URL must not contain a user name or password/)]);
    expect(problems.join('')).not.toContain('hunter2');
  });
});

describe('loadConfig: times and bounds', () => {
  test('MINIMUM_RUNNING_TIME_IN_MINUTES: unset is per OS (5 / 15 / 20), a number is for every OS', () => {
    expect(loadConfig({ ...MINIMAL_ENV }).minimumRunningTimeMinutes).toEqual({ linux: 5, windows: 15, macos: 20 });
    expect(loadConfig({ ...MINIMAL_ENV, MINIMUM_RUNNING_TIME_IN_MINUTES: '8' }).minimumRunningTimeMinutes).toEqual({
      linux: 8,
      windows: 8,
      macos: 8,
    });
  });

  // Issue 10, point 4: before, MAX_JOB_DURATION_MINUTES=1 was accepted (this failed on it).
  test('MAX_JOB_DURATION_MINUTES is at least 30: 29 is refused, 30 accepted', () => {
    expect(problemsOf({ ...MINIMAL_ENV, MAX_JOB_DURATION_MINUTES: '29' })).toEqual([
      'MAX_JOB_DURATION_MINUTES must be a whole number from 30 to 50400',
    ]);
    expect(loadConfig({ ...MINIMAL_ENV, MAX_JOB_DURATION_MINUTES: '30' }).maxJobDurationMinutes).toBe(30);
  });

  test('UNREGISTERED_HOLD_MINUTES defaults to MAX_JOB_DURATION_MINUTES and may not exceed it', () => {
    expect(loadConfig({ ...MINIMAL_ENV, MAX_JOB_DURATION_MINUTES: '90' }).unregisteredHold).toEqual({ maxMinutes: 90, maxInstances: 0 });
    expect(loadConfig({ ...MINIMAL_ENV, MAX_JOB_DURATION_MINUTES: '90', UNREGISTERED_HOLD_MINUTES: '90' }).unregisteredHold.maxMinutes).toBe(90);
    expect(problemsOf({ ...MINIMAL_ENV, MAX_JOB_DURATION_MINUTES: '90', UNREGISTERED_HOLD_MINUTES: '91' })).toEqual([
      expect.stringMatching(/^UNREGISTERED_HOLD_MINUTES must not be more than MAX_JOB_DURATION_MINUTES/),
    ]);
  });

  // Issue 10, point 3: before, SETTLE_SECONDS=0 was accepted and nothing bounded it against
  // the function's timeout (this failed on that code for 0, and for 200 with a 180 s timeout).
  test('SETTLE_SECONDS is from 2 to 600, and leaves room inside FUNCTION_TIMEOUT_SECONDS', () => {
    expect(problemsOf({ ...MINIMAL_ENV, SETTLE_SECONDS: '0' })).toEqual(['SETTLE_SECONDS must be a whole number from 2 to 600']);
    expect(loadConfig({ ...MINIMAL_ENV, SETTLE_SECONDS: '2' }).settleSeconds).toBe(2);
    expect(loadConfig({ ...MINIMAL_ENV, SETTLE_SECONDS: '120', FUNCTION_TIMEOUT_SECONDS: '180' }).settleSeconds).toBe(120);
    expect(problemsOf({ ...MINIMAL_ENV, SETTLE_SECONDS: '200', FUNCTION_TIMEOUT_SECONDS: '180' })).toEqual([
      expect.stringMatching(/^SETTLE_SECONDS is too long for the function's timeout \(FUNCTION_TIMEOUT_SECONDS\).*at least SETTLE_SECONDS \+ 60 \(260 s here\)/),
    ]);
    // Unset: nothing to check against (the executor still watches the time left).
    expect(loadConfig({ ...MINIMAL_ENV, SETTLE_SECONDS: '600' }).settleSeconds).toBe(600);
  });

  test('PROBE_SETTLE_SECONDS: 3 s by default (SETTLE_SECONDS where that is shorter), from 1, never longer than SETTLE_SECONDS', () => {
    const probe = { PROBE_DOCUMENT_NAME: 'reaper-probe' };
    expect(loadConfig({ ...MINIMAL_ENV, ...probe }).probe?.settleSeconds).toBe(3);
    expect(loadConfig({ ...MINIMAL_ENV, ...probe, SETTLE_SECONDS: '2' }).probe?.settleSeconds).toBe(2);
    expect(loadConfig({ ...MINIMAL_ENV, ...probe, PROBE_SETTLE_SECONDS: '15' }).probe?.settleSeconds).toBe(15);
    expect(problemsOf({ ...MINIMAL_ENV, ...probe, PROBE_SETTLE_SECONDS: '0' })).toEqual(['PROBE_SETTLE_SECONDS must be a whole number from 1 to 600']);
    expect(problemsOf({ ...MINIMAL_ENV, ...probe, PROBE_SETTLE_SECONDS: '3s' })).toEqual(['PROBE_SETTLE_SECONDS must be a whole number from 1 to 600']);
    expect(problemsOf({ ...MINIMAL_ENV, ...probe, PROBE_SETTLE_SECONDS: '20', SETTLE_SECONDS: '15' })).toEqual([
      'PROBE_SETTLE_SECONDS must not be more than SETTLE_SECONDS (the probe only ever shortens the settle)',
    ]);
  });

  test('with the probe on, both probe rounds must fit beside the settle', () => {
    const probe = { PROBE_DOCUMENT_NAME: 'reaper-probe', PROBE_TIMEOUT_SECONDS: '30', SETTLE_SECONDS: '15' };
    expect(loadConfig({ ...MINIMAL_ENV, ...probe, FUNCTION_TIMEOUT_SECONDS: '135' }).probe).toEqual({
      documentName: 'reaper-probe',
      timeoutSeconds: 30,
      settleSeconds: 3,
    });
    expect(problemsOf({ ...MINIMAL_ENV, ...probe, FUNCTION_TIMEOUT_SECONDS: '134' })).toEqual([
      expect.stringContaining('at least SETTLE_SECONDS + 2 x PROBE_TIMEOUT_SECONDS + 60 (135 s here)'),
    ]);
  });

  test('the probe is off without a document name, and its timeout defaults to 10 s', () => {
    expect(loadConfig({ ...MINIMAL_ENV, PROBE_TIMEOUT_SECONDS: '20' }).probe).toBeUndefined();
    expect(loadConfig({ ...MINIMAL_ENV, PROBE_DOCUMENT_NAME: ' ' }).probe).toBeUndefined();
    expect(loadConfig({ ...MINIMAL_ENV, PROBE_DOCUMENT_NAME: 'arn:aws:ssm:eu-west-1:123456789012:document/reaper-probe' }).probe).toEqual({
      documentName: 'arn:aws:ssm:eu-west-1:123456789012:document/reaper-probe',
      timeoutSeconds: 10,
      settleSeconds: 3,
    });
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
    expect(problems[0]).toMatch(/^IDLE_CONFIG[ :]/);
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
    expect(problems[0]).toMatch(/^PARAMETER_GITHUB_APP_INSTALLATION_ID_NAME must be the name of an SSM parameter/);
  });
});
