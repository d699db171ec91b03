/** Stores GitHub App credentials in moto's SSM the way github-aws-runners does. */
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

export interface AppParameterNames {
  appId: string;
  keyBase64: string;
  installationId?: string;
}

export const DEFAULT_APP_PARAMETER_NAMES: AppParameterNames = {
  appId: '/runner-reaper/app/id',
  keyBase64: '/runner-reaper/app/key_base64',
};

/** Writes app id and base64 private key (SecureString), and the installation id when given. */
export async function putGitHubAppParameters(
  ssm: SSMClient,
  app: { appId: number; privateKeyBase64: string; installationId?: number },
  names: AppParameterNames = DEFAULT_APP_PARAMETER_NAMES,
): Promise<AppParameterNames> {
  const put = (Name: string, Value: string, Type: 'String' | 'SecureString') =>
    ssm.send(new PutParameterCommand({ Name, Value, Type, Overwrite: true }));
  await put(names.appId, String(app.appId), 'String');
  await put(names.keyBase64, app.privateKeyBase64, 'SecureString');
  if (app.installationId !== undefined) {
    const name = names.installationId ?? '/runner-reaper/app/installation_id';
    await put(name, String(app.installationId), 'String');
    return { ...names, installationId: name };
  }
  return names;
}
