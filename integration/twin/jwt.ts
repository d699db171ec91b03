/**
 * GitHub App JWTs (RS256): the twin verifies them like GitHub does; tests sign their own
 * (expired, wrong key, wrong issuer) with `signAppJwt`.
 */
import { createSign, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface AppKeyPair {
  /** PKCS#1 PEM, the format GitHub hands out (`-----BEGIN RSA PRIVATE KEY-----`). */
  privateKeyPem: string;
  publicKey: KeyObject;
}

export function generateAppKeyPair(): AppKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

let shared: AppKeyPair | undefined;

/** One key pair per process (RSA generation costs up to a second; tests start many twins). */
export function sharedAppKeyPair(): AppKeyPair {
  shared ??= generateAppKeyPair();
  return shared;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs an app JWT. Defaults mirror @octokit/auth-app: iat = now - 30 s, exp = iat + 10 min. */
export function signAppJwt(args: {
  appId: number | string;
  privateKeyPem: string;
  nowSeconds?: number;
  iat?: number;
  exp?: number;
  alg?: string;
}): string {
  const now = args.nowSeconds ?? Math.floor(Date.now() / 1000);
  const iat = args.iat ?? now - 30;
  const exp = args.exp ?? iat + 600;
  const header = b64url(JSON.stringify({ alg: args.alg ?? 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat, exp, iss: args.appId }));
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${payload}`);
  return `${header}.${payload}.${signer.sign(args.privateKeyPem).toString('base64url')}`;
}

export type JwtCheck = { ok: true } | { ok: false; reason: string };

/**
 * GitHub's rules: RS256 signed by the app's key, `iss` = app id, not expired, `exp` at
 * most 10 minutes ahead (with a minute of clock-drift allowance, as GitHub allows).
 */
export function verifyAppJwt(token: string, appId: number, publicKey: KeyObject, nowSeconds: number): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'A JSON web token could not be decoded' };
  const [h, p, sig] = parts as [string, string, string];
  let header: { alg?: string };
  let payload: { iss?: unknown; exp?: unknown; iat?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'A JSON web token could not be decoded' };
  }
  if (header.alg !== 'RS256') return { ok: false, reason: 'JWT must be signed with RS256' };
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${h}.${p}`);
  if (!verifier.verify(publicKey, Buffer.from(sig, 'base64url'))) {
    return { ok: false, reason: 'A JSON web token could not be decoded' };
  }
  if (String(payload.iss) !== String(appId)) return { ok: false, reason: "'Issuer' claim ('iss') must be the app id" };
  if (typeof payload.exp !== 'number') return { ok: false, reason: "Missing 'Expiration time' claim ('exp')" };
  if (payload.exp <= nowSeconds) return { ok: false, reason: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires" };
  if (payload.exp > nowSeconds + 600 + 60) return { ok: false, reason: "'Expiration time' claim ('exp') is too far in the future" };
  if (typeof payload.iat === 'number' && payload.iat > nowSeconds + 60) {
    return { ok: false, reason: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued" };
  }
  return { ok: true };
}
