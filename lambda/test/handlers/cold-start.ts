/**
 * Loads a handler module the way Lambda does on a cold start: a fresh module registry and
 * the given environment. The EC2 and SSM mocks are built inside the same registry, so they
 * patch the very SDK classes the handler uses.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { Ec2Fake } from '../helpers/ec2-fake';
import { BASE_ENV } from '../helpers/fixtures';

/** The Lambda context fields Powertools reads. */
type Context = Record<string, unknown>;
type HandlerModule = { handler: (event: unknown, context: Context) => Promise<unknown> };

export interface ColdStart {
  handler: HandlerModule['handler'];
  ec2: Ec2Fake;
  /** Every SSMClient of this cold start (parameters and the probe); GetParameter answers from `ssmValues`. */
  ssm: AwsClientStub<SSMClient>;
  ssmCalls: () => number;
  restore: () => void;
}

const ORIGINAL_ENV = { ...process.env };

export function coldStart(
  module: 'scale-down' | 'orphan-cleanup',
  env: Record<string, string | undefined>,
  ssmValues: Record<string, string>,
): ColdStart {
  jest.resetModules();
  process.env = {
    ...ORIGINAL_ENV,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...env,
  };
  const { fakeEc2 } = require('../helpers/ec2-fake') as typeof import('../helpers/ec2-fake');
  const { SSMClient, GetParameterCommand } = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
  const { mockClient } = require('aws-sdk-client-mock') as typeof import('aws-sdk-client-mock');
  const ec2 = fakeEc2();
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const value = ssmValues[input.Name];
    if (value === undefined) throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
    return { Parameter: { Name: input.Name, Value: value } };
  });
  const { handler } = require(`../../src/handlers/${module}`) as HandlerModule;
  return {
    handler,
    ec2,
    ssm,
    ssmCalls: () => ssm.calls().length,
    restore: () => {
      ec2.mock.restore();
      ssm.restore();
      process.env = { ...ORIGINAL_ENV };
    },
  };
}

export const lambdaContext = {
  functionName: 'runner-reaper-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:runner-reaper-test',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/runner-reaper-test',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

export const scheduledEvent = {
  version: '0',
  id: 'event-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: '2026-11-29T12:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {},
};

export { BASE_ENV };
