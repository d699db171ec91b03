// End to end against moto: a real bundle (AWS SDK + Powertools Logger) deployed with
// CreateFunction, then run from the configuration moto reports, talking back to moto.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { MOTO_CREDENTIALS, MotoServer, motoClientConfig } from '../../moto';
import { fromDeployedFunction, scheduledEvent } from '../../lambda-runtime';
import { buildZip, removeZips } from './zip-fixture';

const moto = new MotoServer();
// Spawning moto and bundling the SDK take seconds on a busy machine.
beforeAll(() => moto.start(), 30_000);
afterAll(async () => {
  await moto.stop();
  await removeZips();
});

const handlerSource = `
  import { Logger } from '@aws-lambda-powertools/logger';
  import { SSMClient, GetParameterCommand } from '@aws-sdk/client-ssm';
  const logger = new Logger({ serviceName: 'emulator-check' });
  const ssm = new SSMClient({});
  export const handler = async (event, context) => {
    logger.addContext(context);
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: process.env.PARAMETER_NAME }));
    logger.info('read parameter', { source: event.source });
    return { value: Parameter.Value };
  };`;

async function bundleZip(): Promise<string> {
  const bundled = await build({
    stdin: { contents: handlerSource, resolveDir: resolve(__dirname, '../../..'), loader: 'js' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  return buildZip({ 'index.js': bundled.outputFiles[0]!.text });
}

it('runs a function deployed to moto with its deployed configuration, reaching moto from inside', async () => {
  const config = motoClientConfig(moto.url);
  const zipPath = await bundleZip();
  await new SSMClient(config).send(new PutParameterCommand({ Name: '/e2e/value', Value: 'from-moto', Type: 'String' }));
  const { Role } = await new IAMClient(config).send(
    new CreateRoleCommand({ RoleName: 'fn', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }),
  );
  const lambdaClient = new LambdaClient(config);
  await lambdaClient.send(
    new CreateFunctionCommand({
      FunctionName: 'emulator-check',
      Role: Role!.Arn!,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 20,
      MemorySize: 256,
      Code: { ZipFile: await readFile(zipPath) },
      Environment: { Variables: { PARAMETER_NAME: '/e2e/value', POWERTOOLS_LOG_LEVEL: 'INFO' } },
    }),
  );

  const fn = await fromDeployedFunction({
    lambdaClient,
    functionName: 'emulator-check',
    zipPath,
    extraEnv: {
      AWS_ENDPOINT_URL: moto.url,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    },
  });
  try {
    const result = await fn.invoke(scheduledEvent('arn:aws:events:us-east-1:123456789012:rule/check'));

    expect(result).toMatchObject({ ok: true, result: { value: 'from-moto' } });
    const structured = fn.jsonLogs();
    expect(structured).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'read parameter',
        source: 'aws.events',
        service: 'emulator-check',
        function_name: 'emulator-check',
        function_memory_size: '256',
        function_request_id: result.requestId,
      }),
    );
  } finally {
    await fn.stop();
  }
}, 60_000);
