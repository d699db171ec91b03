/** AWS SDK clients and child-process environment pointed at a moto server. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { MOTO_CREDENTIALS, MOTO_REGION } from './moto-server';

/** Client configuration for any AWS SDK v3 client: `new XClient(motoClientConfig(url))`. */
export function motoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: MOTO_REGION,
    credentials: { ...MOTO_CREDENTIALS },
    maxAttempts: 2,
  };
}

export function motoEc2(endpoint: string): EC2Client {
  return new EC2Client(motoClientConfig(endpoint));
}

export function motoSsm(endpoint: string): SSMClient {
  return new SSMClient(motoClientConfig(endpoint));
}

/** Environment for a child process (the built Lambda) so its AWS SDK reaches moto. */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
