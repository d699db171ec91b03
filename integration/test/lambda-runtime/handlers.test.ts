// The emulator runs handlers the way the managed Node runtime does: promise and callback
// styles, the context object, the error shape, init errors and ESM modules.
import { invokeOnce, startFunction, type InvokeResult } from '../../lambda-runtime';
import { buildZip, removeZips } from './zip-fixture';

afterAll(removeZips);

function expectOk(result: InvokeResult): unknown {
  if (!result.ok) throw new Error(`invocation failed: ${result.errorType}: ${result.errorMessage}`);
  return result.result;
}

describe('promise (async) handlers', () => {
  it('returns the resolved value and passes a Lambda context', async () => {
    const zipPath = await buildZip({
      'index.js': `
        exports.handler = async (event, context) => {
          console.log('got', event.n);
          return {
            echo: event,
            awsRequestId: context.awsRequestId,
            functionName: context.functionName,
            functionVersion: context.functionVersion,
            invokedFunctionArn: context.invokedFunctionArn,
            memoryLimitInMB: context.memoryLimitInMB,
            logGroupName: context.logGroupName,
            logStreamName: context.logStreamName,
            remaining: context.getRemainingTimeInMillis(),
            waits: context.callbackWaitsForEmptyEventLoop,
          };
        };`,
    });
    const { result, logs } = await invokeOnce(
      { zipPath, handler: 'index.handler', functionName: 'scale-down', memoryMb: 256, timeoutSeconds: 30 },
      { n: 7 },
    );

    const value = expectOk(result) as Record<string, unknown>;
    expect(value).toMatchObject({
      echo: { n: 7 },
      awsRequestId: result.requestId,
      functionName: 'scale-down',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:scale-down',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/scale-down',
      waits: true,
    });
    expect(value.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(value.remaining).toBeGreaterThan(0);
    expect(value.remaining).toBeLessThanOrEqual(30_000);
    // console output is prefixed like the runtime's text log format
    expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^\\S+Z\\t${result.requestId}\\tINFO\\tgot 7$`)));
  });

  it('serves several invocations from one process and maps undefined to null', async () => {
    const zipPath = await buildZip({
      'index.js': `let calls = 0; exports.handler = async () => { calls += 1; return calls === 2 ? undefined : calls; };`,
    });
    const fn = await startFunction({ zipPath, handler: 'index.handler' });
    try {
      const results = [await fn.invoke({}), await fn.invoke({}), await fn.invoke({})];
      expect(results.map(expectOk)).toEqual([1, null, 3]);
    } finally {
      await fn.stop();
    }
  });
});

describe('callback handlers', () => {
  it('loads a handler from a nested directory and waits for the event loop to empty', async () => {
    const zipPath = await buildZip({
      'src/handlers/callback.js': `
        exports.handler = (event, context, callback) => {
          setTimeout(() => console.log('timer after callback ran'), 20);
          callback(null, { next: event.n + 1 });
        };`,
    });
    const { result, logs } = await invokeOnce({ zipPath, handler: 'src/handlers/callback.handler' }, { n: 1 });

    expect(expectOk(result)).toEqual({ next: 2 });
    // callbackWaitsForEmptyEventLoop defaults to true: the timer ran before the response.
    expect(logs.some((line) => line.endsWith('timer after callback ran'))).toBe(true);
  });

  it('reports an error passed to the callback', async () => {
    const zipPath = await buildZip({
      'index.js': `exports.handler = (event, context, callback) => callback(new TypeError('bad input'));`,
    });
    const { result } = await invokeOnce({ zipPath, handler: 'index.handler' }, {});

    expect(result).toMatchObject({ ok: false, errorType: 'TypeError', errorMessage: 'bad input' });
  });
});

describe('errors', () => {
  it('reports a thrown error as { errorType, errorMessage, trace } and keeps serving', async () => {
    const zipPath = await buildZip({
      'index.js': `
        class ReaperError extends Error { constructor(m) { super(m); this.name = 'ReaperError'; } }
        exports.handler = async (event) => { if (event.fail) throw new ReaperError('boom'); return 'fine'; };`,
    });
    const fn = await startFunction({ zipPath, handler: 'index.handler' });
    try {
      const failed = await fn.invoke({ fail: true });
      expect(failed).toMatchObject({ ok: false, errorType: 'ReaperError', errorMessage: 'boom' });
      expect(failed.ok === false && failed.stack[0]).toBe('ReaperError: boom');
      expect(fn.logs()).toContainEqual(expect.stringContaining('\tERROR\tInvoke Error \t{"errorType":"ReaperError"'));

      expect(expectOk(await fn.invoke({ fail: false }))).toBe('fine');
    } finally {
      await fn.stop();
    }
  });

  it('reports a thrown non-Error by its type', async () => {
    const zipPath = await buildZip({ 'index.js': `exports.handler = async () => { throw 'plain string'; };` });
    const { result } = await invokeOnce({ zipPath, handler: 'index.handler' }, {});

    expect(result).toMatchObject({ ok: false, errorType: 'string', errorMessage: 'plain string', stack: [] });
  });

  it('reports a missing export as Runtime.HandlerNotFound', async () => {
    const zipPath = await buildZip({ 'index.js': `exports.other = async () => 1;` });
    const { result } = await invokeOnce({ zipPath, handler: 'index.handler' }, {});

    expect(result).toMatchObject({
      ok: false,
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.handler is undefined or not exported',
    });
  });

  it('reports a missing module as Runtime.ImportModuleError, again on the next invocation', async () => {
    const zipPath = await buildZip({ 'index.js': `exports.handler = async () => 1;` });
    const fn = await startFunction({ zipPath, handler: 'missing.handler' });
    try {
      for (const result of [await fn.invoke({}), await fn.invoke({})]) {
        expect(result).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError' });
        expect(result.ok === false && result.errorMessage).toContain("Cannot find module 'missing'");
      }
    } finally {
      await fn.stop();
    }
  });

  it('reports an error thrown while loading the module as an init error', async () => {
    const zipPath = await buildZip({ 'index.js': `throw new RangeError('bad config'); exports.handler = async () => 1;` });
    const { result } = await invokeOnce({ zipPath, handler: 'index.handler' }, {});

    expect(result).toMatchObject({ ok: false, errorType: 'RangeError', errorMessage: 'bad config' });
  });

  it('reports a process that exits mid-invocation as Runtime.ExitError', async () => {
    const zipPath = await buildZip({ 'index.js': `exports.handler = async () => { process.exit(3); };` });
    const { result } = await invokeOnce({ zipPath, handler: 'index.handler' }, {});

    expect(result).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    expect(result.ok === false && result.errorMessage).toContain('Runtime exited with error: exit status 3');
  });
});

describe('process-level failures', () => {
  it('reports an unhandled rejection as Runtime.UnhandledPromiseRejection', async () => {
    const zipPath = await buildZip({
      'index.js': `exports.handler = async () => {
        Promise.reject(new Error('nobody awaited me'));
        await new Promise((resolve) => setTimeout(resolve, 50));
        return 'not reached';
      };`,
    });
    const { result } = await invokeOnce({ zipPath, handler: 'index.handler' }, {});

    expect(result).toMatchObject({
      ok: false,
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'Error: nobody awaited me',
    });
  });
});

describe('one execution environment', () => {
  it('runs concurrent invocations one at a time, in order', async () => {
    const zipPath = await buildZip({
      'index.js': `let running = 0; let order = 0;
        exports.handler = async (event) => {
          running += 1;
          const overlapped = running > 1;
          await new Promise((resolve) => setTimeout(resolve, 10));
          running -= 1;
          order += 1;
          return { id: event.id, order, overlapped };
        };`,
    });
    const fn = await startFunction({ zipPath, handler: 'index.handler' });
    try {
      const results = await Promise.all([1, 2, 3].map((id) => fn.invoke({ id })));
      expect(results.map(expectOk)).toEqual([
        { id: 1, order: 1, overlapped: false },
        { id: 2, order: 2, overlapped: false },
        { id: 3, order: 3, overlapped: false },
      ]);
    } finally {
      await fn.stop();
    }
  });
});

describe('ES modules', () => {
  it('imports an .mjs handler', async () => {
    const zipPath = await buildZip({
      'app.mjs': `export const handler = async (event) => ({ esm: typeof require === 'undefined', got: event.x });`,
    });
    const { result } = await invokeOnce({ zipPath, handler: 'app.handler' }, { x: 'y' });

    expect(expectOk(result)).toEqual({ esm: true, got: 'y' });
  });

  it('imports a .js handler when package.json says type=module', async () => {
    const zipPath = await buildZip({
      'package.json': '{"type":"module"}',
      'index.js': `await Promise.resolve(); export const handler = async () => ({ esm: typeof require === 'undefined' });`,
    });
    const { result } = await invokeOnce({ zipPath, handler: 'index.handler' }, {});

    expect(expectOk(result)).toEqual({ esm: true });
  });
});
