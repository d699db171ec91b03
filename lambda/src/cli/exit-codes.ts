/** How `runner-reaper` ends, documented in docs/plan.md. */
export const EXIT = {
  /** The plan was read completely and printed. */
  ok: 0,
  /** A bug: an error nobody classified. The message says what it was. */
  internal: 1,
  /** Bad flags, or a configuration the functions would refuse at cold start (the same messages). */
  badConfiguration: 2,
  /**
   * Something the plan needs could not be read: AWS credentials missing or refused, AWS or
   * GitHub unreachable, the GitHub App's SSM parameters unreadable, a runner listing failed.
   * When only some owners' listings failed, the plan is still printed: those rows show what
   * a run would do then (keep, `github-unavailable`).
   */
  unreadable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure that ends the command with a message for a person and a documented exit code. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}
