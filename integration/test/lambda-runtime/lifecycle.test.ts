// The execution environment: a Lambda-like process environment, and the timeout that
// kills the process and makes the next invocation a cold start.
import { startFunction } from '../../lambda-runtime';
import { buildZip, removeZips } from './zip-fixture';

afterAll(removeZips);

describe('timeout', () => {
  it('kills an invocation that runs past the timeout and cold-starts the next one', async () => {
    const zipPath = await buildZip({
      'index.js': `
        let invocations = 0; // module state survives warm invocations only
        exports.handler = async (event) => {
          invocations += 1;
          if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
          return invocations;
        };`,
    });
    const fn = await startFunction({ zipPath, handler: 'index.handler', timeoutSeconds: 1 });
    try {
      expect(await fn.invoke({})).toMatchObject({ ok: true, result: 1 });

      const timedOut = await fn.invoke({ sleepMs: 30_000 });
      expect(timedOut).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
      expect(timedOut.ok === false && timedOut.errorMessage).toBe(
        `RequestId: ${timedOut.requestId} Error: Task timed out after 1.00 seconds`,
      );
      expect(fn.logs()).toContainEqual(expect.stringMatching(`${timedOut.requestId} Task timed out after 1.00 seconds$`));

      // A fresh process: the module counter starts again.
      expect(await fn.invoke({})).toMatchObject({ ok: true, result: 1 });
    } finally {
      await fn.stop();
    }
  });
});

describe('environment', () => {
  const parentOnly = 'RUNNER_REAPER_PARENT_ONLY_SECRET';
  beforeAll(() => {
    process.env[parentOnly] = 'must-not-leak';
  });
  afterAll(() => {
    delete process.env[parentOnly];
  });

  it('gives the function only its own variables plus those Lambda sets', async () => {
    const zipPath = await buildZip({
      'index.js': `exports.handler = async () => ({ env: process.env, cwd: process.cwd(), tz: new Date(0).getTimezoneOffset() });`,
    });
    const fn = await startFunction({
      zipPath,
      handler: 'index.handler',
      functionName: 'orphan-cleanup',
      memoryMb: 512,
      region: 'eu-west-1',
      env: { SSM_PREFIX: '/reaper', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ACCESS_KEY_ID: 'test' },
    });
    try {
      const result = await fn.invoke({});
      if (!result.ok) throw new Error(result.errorMessage);
      const { env, cwd, tz } = result.result as { env: Record<string, string>; cwd: string; tz: number };

      expect(env).toMatchObject({
        SSM_PREFIX: '/reaper',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_LAMBDA_FUNCTION_NAME: 'orphan-cleanup',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orphan-cleanup',
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        TZ: ':UTC',
        _HANDLER: 'index.handler',
        LAMBDA_TASK_ROOT: fn.taskRoot,
      });
      expect(env._X_AMZN_TRACE_ID).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
      expect(env).not.toHaveProperty(parentOnly);
      expect(env).not.toHaveProperty('HOME');
      expect(env).not.toHaveProperty('JEST_WORKER_ID');
      expect(cwd).toBe(fn.taskRoot);
      expect(tz).toBe(0);
    } finally {
      await fn.stop();
    }
  });

  it('refuses function variables that Lambda reserves for itself', async () => {
    const zipPath = await buildZip({ 'index.js': 'exports.handler = async () => 1;' });

    await expect(
      startFunction({ zipPath, handler: 'index.handler', env: { AWS_REGION: 'us-west-2' } }),
    ).rejects.toThrow('Lambda sets these variables itself: AWS_REGION');
  });
});
