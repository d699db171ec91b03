import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { CONFIG_VARIABLES, configVariablesOf, flagOf, parsePlanArgs, readFunctionEnvironment, resolveConfig } from '../../src/cli/configuration';
import { CliFailure, EXIT } from '../../src/cli/exit-codes';
import { ConfigError, loadConfig } from '../../src/config/load';
import { MINIMAL_ENV } from '../core/fixtures';

function failure(run: () => unknown): CliFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof CliFailure) return error;
    throw error;
  }
  throw new Error('no failure');
}

describe('parsePlanArgs', () => {
  it('takes every configuration variable as a flag, lower case with dashes', () => {
    expect(CONFIG_VARIABLES).toEqual(expect.arrayContaining(['ENVIRONMENT', 'IDLE_CONFIRMATION_SECONDS', 'JOB_EVIDENCE', 'PARAMETER_GITHUB_APP_ID_NAME']));
    const args = parsePlanArgs(['--environment', 'gh-ci', '--idle-confirmation-seconds=30', '--json']);
    expect(args).toEqual({ json: true, help: false, overrides: { ENVIRONMENT: 'gh-ci', IDLE_CONFIRMATION_SECONDS: '30' } });
    expect(flagOf('PARAMETER_GITHUB_APP_KEY_BASE64_NAME')).toBe('parameter-github-app-key-base64-name');
  });

  it('reads --function, --region, --profile and --help', () => {
    expect(parsePlanArgs(['--function', 'gh-ci-reaper-scale-down', '--region', 'eu-west-1', '--profile', 'ops', '-h'])).toEqual({
      functionName: 'gh-ci-reaper-scale-down',
      region: 'eu-west-1',
      profile: 'ops',
      json: false,
      help: true,
      overrides: {},
    });
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--idle-confirmaton-seconds', '5'], /Unknown option '--idle-confirmaton-seconds'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--environment'], /argument missing/],
    [['--function', ' '], /--function needs the name or ARN/],
  ])('refuses %j with exit code 2', (argv, message) => {
    const f = failure(() => parsePlanArgs(argv));
    expect(f.exitCode).toBe(EXIT.badConfiguration);
    expect(f.message).toMatch(message);
  });
});

describe('configVariablesOf', () => {
  it('keeps the reaper\'s variables only: AWS_* and the like never steer the plan', () => {
    expect(
      configVariablesOf({ ENVIRONMENT: 'gh-ci', AWS_ENDPOINT_URL: 'http://evil', POWERTOOLS_SERVICE_NAME: 'x', LOG_LEVEL: 'DEBUG', DRY_RUN: 'true' }),
    ).toEqual({ ENVIRONMENT: 'gh-ci', DRY_RUN: 'true' });
  });
});

describe('resolveConfig', () => {
  it('validates as loadConfig does, flags over the base', () => {
    const { config, source } = resolveConfig({ ...MINIMAL_ENV, IDLE_CONFIRMATION_SECONDS: '10' }, { IDLE_CONFIRMATION_SECONDS: '20' }, 'the environment');
    expect(config).toEqual(loadConfig({ ...MINIMAL_ENV, IDLE_CONFIRMATION_SECONDS: '20' }));
    expect(source).toBe('the environment');
  });

  it('fails with exit code 2 and the functions\' own message', () => {
    const env = { ...MINIMAL_ENV, JOB_EVIDENCE: 'sometimes' };
    let lambdaMessage = '';
    try {
      loadConfig(env);
    } catch (error) {
      lambdaMessage = (error as ConfigError).message;
    }
    expect(lambdaMessage).toMatch(/JOB_EVIDENCE/);
    const f = failure(() => resolveConfig(env, {}, 'function f'));
    expect(f.exitCode).toBe(EXIT.badConfiguration);
    expect(f.message.startsWith(lambdaMessage)).toBe(true);
    expect(f.message).toContain('configuration from function f');
  });
});

describe('readFunctionEnvironment', () => {
  const lambda = mockClient(LambdaClient);
  afterEach(() => lambda.reset());
  const client = () => new LambdaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

  it('returns the function\'s environment variables', async () => {
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'f' }).resolves({ Environment: { Variables: { ENVIRONMENT: 'gh-ci' } } });
    expect(await readFunctionEnvironment(client(), 'f')).toEqual({ ENVIRONMENT: 'gh-ci' });
  });

  it('a function that does not exist is bad configuration (2)', async () => {
    lambda.on(GetFunctionConfigurationCommand).rejects(Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' }));
    await expect(readFunctionEnvironment(client(), 'missing')).rejects.toMatchObject({ exitCode: EXIT.badConfiguration, message: expect.stringContaining('No Lambda function missing') });
  });

  it('an environment Lambda cannot decrypt is unreadable (3)', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({ Environment: { Error: { ErrorCode: 'KMSAccessDeniedException', Message: 'no key' } } });
    await expect(readFunctionEnvironment(client(), 'f')).rejects.toMatchObject({ exitCode: EXIT.unreadable, message: expect.stringContaining('KMSAccessDeniedException') });
  });

  it('a refused read is unreadable (3) and says what was read', async () => {
    lambda.on(GetFunctionConfigurationCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(readFunctionEnvironment(client(), 'f')).rejects.toMatchObject({
      exitCode: EXIT.unreadable,
      message: expect.stringMatching(/^Not allowed to read the configuration of function f \(lambda:GetFunctionConfiguration\)/),
    });
  });
});
