import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { decodePrivateKey, ssmCredentials } from '../../src/adapters/github-credentials';
import { testPrivateKey } from '../helpers/github-mock';

process.env.AWS_REGION ??= 'eu-west-1';
const ssm = mockClient(SSMClient);
let run = 0;
let names: { appIdParameter: string; keyBase64Parameter: string; installationIdParameter: string };

beforeEach(() => {
  ssm.reset();
  // Powertools caches by name: fresh names per test keep tests independent.
  run++;
  names = { appIdParameter: `/t${run}/id`, keyBase64Parameter: `/t${run}/key`, installationIdParameter: `/t${run}/inst` };
});

function serve(values: Record<string, string | undefined>): void {
  ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const value = values[input.Name];
    if (value === undefined) throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
    return { Parameter: { Name: input.Name, Value: value } };
  });
}

describe('ssmCredentials', () => {
  it('reads decrypted parameters, decodes the base64 key, and caches them', async () => {
    const pem = testPrivateKey();
    serve({ [names.appIdParameter]: '12345', [names.keyBase64Parameter]: Buffer.from(pem).toString('base64') });
    const source = ssmCredentials({ appIdParameter: names.appIdParameter, keyBase64Parameter: names.keyBase64Parameter });
    await expect(source()).resolves.toEqual({ appId: '12345', privateKey: pem });
    await source();
    const calls = ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.WithDecryption === true)).toBe(true);
  });

  it('shares one read among concurrent callers, even after the cache expired', async () => {
    serve({ [names.appIdParameter]: '7', [names.keyBase64Parameter]: testPrivateKey() });
    let clock = 0;
    const source = ssmCredentials({ appIdParameter: names.appIdParameter, keyBase64Parameter: names.keyBase64Parameter }, 300, () => clock);
    await Promise.all(Array.from({ length: 500 }, () => source()));
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    clock = 301_000; // past maxAge: one new read for the whole burst
    await Promise.all(Array.from({ length: 500 }, () => source()));
    expect(ssm.commandCalls(GetParameterCommand).length).toBeLessThanOrEqual(4);
  });

  it('retries after a failed read instead of sharing the failure', async () => {
    serve({}); // ParameterNotFound: nothing to cache
    const source = ssmCredentials({ appIdParameter: names.appIdParameter, keyBase64Parameter: names.keyBase64Parameter }, 300, () => 0);
    await expect(source()).rejects.toThrow('cannot read SSM parameter');
    serve({ [names.appIdParameter]: '8', [names.keyBase64Parameter]: testPrivateKey() });
    await expect(source()).resolves.toMatchObject({ appId: '8' });
  });

  it('reads the optional installation id', async () => {
    serve({ [names.appIdParameter]: '1', [names.keyBase64Parameter]: testPrivateKey(), [names.installationIdParameter]: '99' });
    await expect(ssmCredentials(names)()).resolves.toMatchObject({ installationId: 99 });
  });

  it('names the parameter, never the value, when something is wrong', async () => {
    const secret = 'bm90IGEga2V5'; // "not a key"
    serve({ [names.appIdParameter]: '1', [names.keyBase64Parameter]: secret });
    const error = await ssmCredentials(names)().catch((e: Error) => e);
    expect(String(error)).toContain(names.installationIdParameter);
    expect(String(error)).not.toContain(secret);
  });

  it.each([
    ['a non-numeric app id', { id: 'abc' }, 'not a numeric GitHub App id'],
    ['an empty app id', { id: ' ' }, 'is empty'],
    ['a key that is not a PEM', { key: 'bm90IGEga2V5' }, 'not a base64-encoded PEM'],
    ['a non-numeric installation id', { inst: 'x' }, 'not a numeric installation id'],
  ])('rejects %s', async (_name, override, message) => {
    const values = { id: '1', key: Buffer.from(testPrivateKey()).toString('base64'), inst: '5', ...override };
    serve({
      [names.appIdParameter]: values.id,
      [names.keyBase64Parameter]: values.key,
      [names.installationIdParameter]: values.inst,
    });
    await expect(ssmCredentials(names)()).rejects.toThrow(message);
  });
});

describe('decodePrivateKey', () => {
  it('accepts a plain PEM as well', () => {
    expect(decodePrivateKey('-----BEGIN RSA PRIVATE KEY-----\nx', '/k')).toContain('BEGIN');
  });
});
