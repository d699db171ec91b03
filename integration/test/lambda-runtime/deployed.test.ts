// fromDeployedFunction runs a function with exactly the configuration Lambda reports for
// it; scheduledEvent builds the payload EventBridge would send.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { fromDeployedFunction, scheduledEvent } from '../../lambda-runtime';
import { buildZip, removeZips } from './zip-fixture';

const lambdaMock = mockClient(LambdaClient);
afterEach(() => lambdaMock.reset());
afterAll(removeZips);

async function deployed(variables: Record<string, string>, codeSha256?: string) {
  const zipPath = await buildZip({
    'dist/scale-down.js': `exports.handler = async (event, context) => ({ env: process.env, remaining: context.getRemainingTimeInMillis(), event });`,
  });
  const sha = codeSha256 ?? createHash('sha256').update(await readFile(zipPath)).digest('base64');
  lambdaMock.on(GetFunctionConfigurationCommand, { FunctionName: 'reaper-scale-down' }).resolves({
    FunctionName: 'reaper-scale-down',
    FunctionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:reaper-scale-down',
    Handler: 'dist/scale-down.handler',
    Runtime: 'nodejs22.x',
    Timeout: 42,
    MemorySize: 384,
    CodeSha256: sha,
    Environment: { Variables: variables },
  });
  return { zipPath, lambdaClient: new LambdaClient({ region: 'eu-central-1' }) };
}

describe('fromDeployedFunction', () => {
  it('starts the function with the deployed handler, limits and variables', async () => {
    const { zipPath, lambdaClient } = await deployed({ LOG_LEVEL: 'DEBUG', SSM_PREFIX: '/reaper' });
    const fn = await fromDeployedFunction({
      lambdaClient,
      functionName: 'reaper-scale-down',
      zipPath,
      extraEnv: { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
    });
    try {
      const result = await fn.invoke(scheduledEvent('arn:aws:events:eu-central-1:000000000000:rule/reaper-scale-down'));
      if (!result.ok) throw new Error(result.errorMessage);
      const { env, remaining, event } = result.result as {
        env: Record<string, string>;
        remaining: number;
        event: { source: string };
      };

      expect(env).toMatchObject({
        LOG_LEVEL: 'DEBUG',
        SSM_PREFIX: '/reaper',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
        AWS_LAMBDA_FUNCTION_NAME: 'reaper-scale-down',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '384',
        AWS_REGION: 'eu-central-1',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        _HANDLER: 'dist/scale-down.handler',
      });
      expect(remaining).toBeGreaterThan(1_000);
      expect(remaining).toBeLessThanOrEqual(42_000);
      expect(event.source).toBe('aws.events');
    } finally {
      await fn.stop();
    }
  });

  it("refuses extraEnv that would override the function's own variables", async () => {
    const { zipPath, lambdaClient } = await deployed({ AWS_ENDPOINT_URL: 'http://deployed' });

    await expect(
      fromDeployedFunction({ lambdaClient, functionName: 'reaper-scale-down', zipPath, extraEnv: { AWS_ENDPOINT_URL: 'http://x' } }),
    ).rejects.toThrow("must not override the function's variable AWS_ENDPOINT_URL");
  });

  it('refuses extraEnv beyond endpoints and credentials', async () => {
    const { zipPath, lambdaClient } = await deployed({});

    await expect(
      fromDeployedFunction({ lambdaClient, functionName: 'reaper-scale-down', zipPath, extraEnv: { DRY_RUN: 'true' } }),
    ).rejects.toThrow('extraEnv may only carry endpoint and credentials, not DRY_RUN');
  });

  it('refuses a zip that is not the deployed code', async () => {
    const { zipPath, lambdaClient } = await deployed({}, 'c29tZXRoaW5nIGVsc2U=');

    await expect(fromDeployedFunction({ lambdaClient, functionName: 'reaper-scale-down', zipPath })).rejects.toThrow(
      'is not the deployed code',
    );
  });
});

describe('scheduledEvent', () => {
  it('has the EventBridge "Scheduled Event" shape', () => {
    const ruleArn = 'arn:aws:events:us-east-1:123456789012:rule/reaper-orphan-cleanup';
    const event = scheduledEvent(ruleArn, new Date('2026-11-29T19:05:00.123Z'));

    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-11-29T19:05:00Z',
      region: 'us-east-1',
      resources: [ruleArn],
      detail: {},
    });
  });

  it('rejects an ARN that is not an EventBridge rule', () => {
    expect(() => scheduledEvent('arn:aws:lambda:us-east-1:123456789012:function:x')).toThrow('not an EventBridge rule ARN');
  });
});
