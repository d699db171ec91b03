/**
 * GitHub App credentials from SSM SecureString parameters (the same parameters the
 * github-aws-runners module writes). Values are cached for a few minutes by Powertools
 * and never logged: errors name the parameter, never its value.
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import type { Config } from '../config/schema';

export interface GitHubAppCredentials {
  appId: string;
  /** PEM text. */
  privateKey: string;
  /** Set when the installation id parameter is configured: used for every owner. */
  installationId?: number;
}

export type CredentialSource = () => Promise<GitHubAppCredentials>;

/** Cache SSM values this long (seconds): rotations are picked up within a few minutes. */
export const CREDENTIAL_MAX_AGE_SECONDS = 300;

/** One SSM parameter, decrypted (SecureString or String). Errors name the parameter, never its value. */
export async function readSecret(name: string, maxAge: number): Promise<string> {
  let value: string | undefined;
  try {
    value = await getParameter(name, { decrypt: true, maxAge });
  } catch (error) {
    const reason = error instanceof Error ? error.name : 'unknown error';
    throw new Error(`cannot read SSM parameter ${name} (${reason})`);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`SSM parameter ${name} is empty`);
  }
  return value.trim();
}

/** The module stores the key base64-encoded; a plain PEM is accepted as well. */
export function decodePrivateKey(stored: string, parameterName: string): string {
  if (stored.includes('-----BEGIN')) return stored;
  const decoded = Buffer.from(stored, 'base64').toString('utf8');
  if (!decoded.includes('-----BEGIN') || !decoded.includes('PRIVATE KEY')) {
    throw new Error(`SSM parameter ${parameterName} is not a base64-encoded PEM private key`);
  }
  return decoded;
}

export function ssmCredentials(
  app: Config['githubApp'],
  maxAge = CREDENTIAL_MAX_AGE_SECONDS,
  now: () => number = Date.now,
): CredentialSource {
  const read = readCredentials(app, maxAge);
  // Every GitHub request asks for the credentials. Share one read among all callers
  // that ask while it is in flight, and its answer until maxAge: when Powertools' cache
  // expires in the middle of a batch, thousands of concurrent requests would otherwise
  // each send their own GetParameter calls.
  let shared: { value: Promise<GitHubAppCredentials>; readAt: number } | undefined;
  return () => {
    if (!shared || now() - shared.readAt >= maxAge * 1000) {
      const value = read();
      shared = { value, readAt: now() };
      // A failed read is not shared beyond its own callers: the next request retries.
      value.catch(() => {
        if (shared?.value === value) shared = undefined;
      });
    }
    return shared.value;
  };
}

function readCredentials(app: Config['githubApp'], maxAge: number): CredentialSource {
  return async () => {
    const [appId, keyBase64, installation] = await Promise.all([
      readSecret(app.appIdParameter, maxAge),
      readSecret(app.keyBase64Parameter, maxAge),
      app.installationIdParameter ? readSecret(app.installationIdParameter, maxAge) : undefined,
    ]);
    if (!/^\d+$/.test(appId)) {
      throw new Error(`SSM parameter ${app.appIdParameter} is not a numeric GitHub App id`);
    }
    const credentials: GitHubAppCredentials = {
      appId,
      privateKey: decodePrivateKey(keyBase64, app.keyBase64Parameter),
    };
    if (installation !== undefined) {
      if (!/^\d+$/.test(installation)) {
        throw new Error(`SSM parameter ${app.installationIdParameter} is not a numeric installation id`);
      }
      credentials.installationId = Number(installation);
    }
    return credentials;
  };
}
