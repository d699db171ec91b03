'use strict';
// The runtime half of the local Lambda emulator: a plain Node process that behaves like
// the managed nodejs runtime's bootstrap. It loads the handler named by _HANDLER from
// LAMBDA_TASK_ROOT, reports load failures to /init/error, then loops on the Runtime API
// (AWS_LAMBDA_RUNTIME_API): fetch the next event, call the handler, post the answer.
// Plain CommonJS, no dependencies: it runs inside the unzipped artifact's environment.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const API_PREFIX = '/2018-06-01/runtime';
const [apiHost, apiPort] = splitHostPort(process.env.AWS_LAMBDA_RUNTIME_API || '');

// What the runtime is doing right now, so a crash is reported to the right endpoint.
const state = { phase: 'init', requestId: undefined, answered: false };

patchConsole();
process.on('uncaughtException', (error) => crash(error));
process.on('unhandledRejection', (reason) => crash(unhandledRejection(reason)));
main();

async function main() {
  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER || '');
  } catch (error) {
    return crash(error);
  }
  state.phase = 'idle';
  for (;;) await invokeOnce(handler);
}

// ---- handler loading (the rules of the managed runtime) --------------------------------

async function loadHandler(taskRoot, handlerSetting) {
  // "dir/sub/index.handler": the module path is everything up to the basename, whose first
  // dot separates the file name from a (possibly nested) export path.
  const baseName = path.basename(handlerSetting);
  const moduleRoot = handlerSetting.slice(0, handlerSetting.length - baseName.length);
  const match = /^([^.]*)\.(.*)$/.exec(baseName);
  if (handlerSetting.includes('..')) {
    throw runtimeError('Runtime.MalformedHandlerName', "'" + handlerSetting + "' is not a valid handler name. Use absolute paths when specifying root directories in handler names.");
  }
  if (!match) throw runtimeError('Runtime.MalformedHandlerName', 'Bad handler');
  const [, moduleName, exportPath] = match;

  const userModule = await loadModule(path.resolve(taskRoot, moduleRoot, moduleName), moduleName, taskRoot);
  const handler = exportPath.split('.').reduce((value, key) => (value == null ? undefined : value[key]), userModule);
  if (handler === undefined) {
    throw runtimeError('Runtime.HandlerNotFound', moduleName + '.' + exportPath + ' is undefined or not exported');
  }
  if (typeof handler !== 'function') {
    throw runtimeError('Runtime.HandlerNotFound', moduleName + '.' + exportPath + ' is not a function');
  }
  return handler;
}

async function loadModule(basePath, moduleName, taskRoot) {
  try {
    // The managed runtime tries these extensions in this order.
    if (fs.existsSync(basePath + '.js')) {
      return isModuleScope(path.dirname(basePath), taskRoot)
        ? await importFile(basePath + '.js')
        : requireOrImport(basePath + '.js');
    }
    if (fs.existsSync(basePath + '.mjs')) return await importFile(basePath + '.mjs');
    if (fs.existsSync(basePath + '.cjs')) return require(basePath + '.cjs');
    // Last resort, as in the real runtime: a module found on NODE_PATH (e.g. a layer).
    return require(require.resolve(moduleName, { paths: (process.env.NODE_PATH || '').split(':').filter(Boolean) }));
  } catch (error) {
    if (error && (error.code === 'MODULE_NOT_FOUND' || error.code === 'ERR_MODULE_NOT_FOUND')) {
      throw runtimeError('Runtime.ImportModuleError', String(error), error.stack);
    }
    if (error instanceof SyntaxError) throw runtimeError('Runtime.UserCodeSyntaxError', String(error), error.stack);
    throw error;
  }
}

function requireOrImport(file) {
  try {
    return require(file);
  } catch (error) {
    if (error && error.code === 'ERR_REQUIRE_ESM') return importFile(file);
    throw error;
  }
}

function importFile(file) {
  return import(pathToFileURL(file).href);
}

// A .js file is ESM when the nearest package.json (inside the artifact) says type=module.
function isModuleScope(dir, taskRoot) {
  for (let current = dir; ; current = path.dirname(current)) {
    const manifest = path.join(current, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (current === taskRoot || current === path.dirname(current)) return false;
  }
}

// ---- the invocation loop ---------------------------------------------------------------

async function invokeOnce(handler) {
  const next = await call('GET', API_PREFIX + '/invocation/next');
  const requestId = next.headers['lambda-runtime-aws-request-id'];
  const deadlineMs = Number(next.headers['lambda-runtime-deadline-ms']);
  const traceId = next.headers['lambda-runtime-trace-id'];
  if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
  else delete process.env._X_AMZN_TRACE_ID;
  Object.assign(state, { phase: 'invoke', requestId, answered: false });

  const outcome = await runHandler(handler, JSON.parse(next.body), {
    requestId,
    deadlineMs,
    functionArn: next.headers['lambda-runtime-invoked-function-arn'],
  });
  if (state.answered) return; // a crash handler already reported this invocation
  if ('error' in outcome) await postInvocationError(requestId, outcome.error);
  else await postResponse(requestId, outcome.result);
  Object.assign(state, { phase: 'idle', requestId: undefined });
}

// Resolves with { result } or { error } the way the managed runtime decides it: a returned
// promise settles the invocation at once; a callback does so once the event loop is empty
// (unless context.callbackWaitsForEmptyEventLoop is false); a plain return value that is
// not a promise, with no callback, ends the invocation with null when the loop is empty.
function runHandler(handler, event, invocation) {
  return new Promise((resolve) => {
    let settled = false;
    let pending; // the outcome waiting for the event loop to empty
    const onEmptyLoop = () => done(pending || { result: null });
    const waitForEmptyLoop = () => {
      if (!process.listeners('beforeExit').includes(onEmptyLoop)) process.on('beforeExit', onEmptyLoop);
    };
    const done = (outcome) => {
      process.removeListener('beforeExit', onEmptyLoop);
      resolve(outcome);
    };
    const finish = (outcome, afterEmptyLoop) => {
      if (settled) return;
      settled = true;
      if (afterEmptyLoop) {
        pending = outcome;
        waitForEmptyLoop();
      } else done(outcome);
    };
    const callback = (error, result) =>
      finish(error == null ? { result } : { error }, context.callbackWaitsForEmptyEventLoop);
    const context = buildContext(invocation, callback);

    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      return finish({ error }, false);
    }
    if (returned && typeof returned.then === 'function') {
      returned.then(
        (result) => finish({ result }, false),
        (error) => finish({ error }, false),
      );
    } else {
      // No promise: the invocation ends when the event loop is empty, with the callback's
      // outcome if it was called by then, else null.
      waitForEmptyLoop();
    }
  });
}

function buildContext({ requestId, deadlineMs, functionArn }, callback) {
  const env = process.env;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: functionArn,
    // A string, as in the managed runtime (it comes straight from the environment).
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: undefined,
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    // Legacy completion functions the runtime still provides.
    done: (error, result) => callback(error, result),
    succeed: (result) => callback(null, result),
    fail: (error) => callback(error == null ? 'handled' : error),
  };
}

async function postResponse(requestId, result) {
  let body;
  try {
    body = JSON.stringify(result === undefined ? null : result);
  } catch (error) {
    return postInvocationError(requestId, error);
  }
  state.answered = true;
  await call('POST', API_PREFIX + '/invocation/' + requestId + '/response', body);
}

async function postInvocationError(requestId, error) {
  state.answered = true;
  const payload = toErrorPayload(error);
  console.error('Invoke Error', '\t' + JSON.stringify(payload));
  await call('POST', API_PREFIX + '/invocation/' + requestId + '/error', JSON.stringify(payload), {
    'Lambda-Runtime-Function-Error-Type': payload.errorType,
  });
}

// An uncaught error ends this runtime process, after reporting it where it belongs.
async function crash(error) {
  const payload = toErrorPayload(error);
  try {
    if (state.phase === 'init') {
      console.error('Uncaught Exception', '\t' + JSON.stringify(payload));
      await call('POST', API_PREFIX + '/init/error', JSON.stringify(payload), {
        'Lambda-Runtime-Function-Error-Type': payload.errorType,
      });
    } else if (state.phase === 'invoke' && !state.answered) {
      await postInvocationError(state.requestId, error);
    }
  } finally {
    process.exit(1);
  }
}

// The runtime's error shape: { errorType, errorMessage, trace }.
function toErrorPayload(error) {
  if (error instanceof Error || (error && typeof error.message === 'string' && typeof error.stack === 'string')) {
    return {
      errorType: error.runtimeErrorType || error.name || 'Error',
      errorMessage: error.message,
      trace: String(error.stack || '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function runtimeError(errorType, message, stack) {
  const error = new Error(message);
  error.name = errorType;
  error.runtimeErrorType = errorType;
  if (stack) error.stack = errorType + ': ' + message + '\n' + String(stack).split('\n').slice(1).join('\n');
  return error;
}

function unhandledRejection(reason) {
  const message = reason instanceof Error ? reason.name + ': ' + reason.message : String(reason);
  const error = runtimeError('Runtime.UnhandledPromiseRejection', message, reason instanceof Error ? reason.stack : undefined);
  return error;
}

// ---- logs ------------------------------------------------------------------------------

// Like the managed runtime (text log format): one line per console call,
// "<ISO time>\t<request id>\t<LEVEL>\t<message>", inner newlines turned into \r.
// Powertools Logger writes through its own Console, so its JSON lines stay unprefixed.
function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      const message = util.format(...args).replace(/\n/g, '\r');
      process.stdout.write(new Date().toISOString() + '\t' + state.requestId + '\t' + level + '\t' + message + '\n');
    };
  }
}

// ---- HTTP to the Runtime API -----------------------------------------------------------

function call(method, pathname, body, headers) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: apiHost,
        port: apiPort,
        method,
        path: pathname,
        // No pooled sockets: an idle keep-alive socket must not count as pending work
        // when the runtime waits for the event loop to empty.
        agent: false,
        headers: Object.assign({ 'Content-Type': 'application/json' }, headers),
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function splitHostPort(address) {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
