/**
 * Turns an AWS SDK error into a sentence an operator can act on. The plan stops with
 * EXIT.unreadable on any of them: it never guesses around a failed read.
 */
import { CliFailure, EXIT } from './exit-codes';
import { WriteRefused } from './read-only';

const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'CredentialsError']);
const REFUSED_CREDENTIALS = new Set([
  'AuthFailure',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'TokenRefreshRequired',
]);
const NOT_ALLOWED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' ? code : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `what` says which read failed, e.g. "list the runner instances (ec2:DescribeInstances)". */
export function awsFailure(error: unknown, what: string): CliFailure {
  if (error instanceof CliFailure) return error;
  if (error instanceof WriteRefused) return new CliFailure(EXIT.internal, error.message);
  const name = nameOf(error);
  const code = codeOf(error);
  if (NO_CREDENTIALS.has(name)) {
    return new CliFailure(
      EXIT.unreadable,
      `No AWS credentials: cannot ${what}. Set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in (aws sso login). (${messageOf(error)})`,
    );
  }
  if (REFUSED_CREDENTIALS.has(name)) {
    return new CliFailure(EXIT.unreadable, `AWS refused the credentials (${name}): cannot ${what}. Refresh or replace them.`);
  }
  if (NOT_ALLOWED.has(name)) {
    return new CliFailure(EXIT.unreadable, `Not allowed to ${what} (${name}): ${messageOf(error)}`);
  }
  if (NETWORK.has(code) || name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|getaddrinfo|socket hang up/.test(messageOf(error))) {
    return new CliFailure(EXIT.unreadable, `AWS is unreachable: cannot ${what} (${code || name}: ${messageOf(error)}).`);
  }
  return new CliFailure(EXIT.unreadable, `Cannot ${what}: ${name ? `${name}: ` : ''}${messageOf(error)}`);
}
