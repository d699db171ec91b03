import { DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { MotoServer, motoEc2, motoEnv, motoSsm, putGitHubAppParameters, MOTO_INSTALL_HINT } from '../../moto';

// moto loads its EC2 backend on the first EC2 call, which takes seconds on a busy machine.
jest.setTimeout(60_000);

describe('moto lifecycle', () => {
  const moto = new MotoServer();
  beforeAll(() => moto.start(), 30_000);
  afterAll(() => moto.stop());

  const instanceCount = async () => {
    const out = await motoEc2(moto.url).send(new DescribeInstancesCommand({}));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
  };

  it('starts on a loopback port and serves EC2 through the AWS SDK', async () => {
    expect(moto.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await motoEc2(moto.url).send(new RunInstancesCommand({ ImageId: 'ami-12345678', MinCount: 2, MaxCount: 2 }));
    expect(await instanceCount()).toBe(2);
  });

  it('reset clears state', async () => {
    await motoEc2(moto.url).send(new RunInstancesCommand({ ImageId: 'ami-12345678', MinCount: 1, MaxCount: 1 }));
    expect(await instanceCount()).toBeGreaterThan(0);
    await moto.reset();
    expect(await instanceCount()).toBe(0);
  });

  it('stores the app key in SSM as base64 SecureString', async () => {
    const ssm = motoSsm(moto.url);
    const names = await putGitHubAppParameters(ssm, { appId: 42, privateKeyBase64: Buffer.from('PEM').toString('base64'), installationId: 7 });
    const key = await ssm.send(new GetParameterCommand({ Name: names.keyBase64, WithDecryption: true }));
    expect(Buffer.from(key.Parameter!.Value!, 'base64').toString()).toBe('PEM');
    const inst = await ssm.send(new GetParameterCommand({ Name: names.installationId! }));
    expect(inst.Parameter!.Value).toBe('7');
  });

  it('gives child processes an environment pointing at it', () => {
    const env = motoEnv(moto.url);
    expect(env.AWS_ENDPOINT_URL).toBe(moto.url);
    expect(env.AWS_REGION).toBe('us-east-1');
    expect(env.AWS_ACCESS_KEY_ID).toBeTruthy();
  });

  it('runs two servers side by side on different ports', async () => {
    const other = new MotoServer();
    try {
      await other.start();
      expect(other.url).not.toBe(moto.url);
      const res = await fetch(`${other.url}/moto-api/`);
      expect(res.ok).toBe(true);
    } finally {
      await other.stop();
    }
    await expect(fetch(`${moto.url}/moto-api/`).then((r) => r.ok)).resolves.toBe(true);
  }, 30_000);

  it('stop ends the process', async () => {
    const other = new MotoServer();
    const url = await other.start();
    await other.stop();
    await expect(fetch(`${url}/moto-api/`)).rejects.toThrow();
  }, 30_000);

  it('throws an install hint when moto_server is missing', async () => {
    const missing = new MotoServer({ command: 'moto_server_does_not_exist' });
    await expect(missing.start()).rejects.toThrow(MOTO_INSTALL_HINT);
  });
});
