/**
 * The fewest GitHub requests one scale-down cycle can make (issue 11, point 3), per owner:
 * ceil(N/100) list pages, one fresh GET and one DELETE per runner it reclaims, a re-check
 * GET only where it can still add evidence, and a constant number of auth calls per warm
 * container (the installation lookup and one installation token; reused while they last).
 * A runner the run defers costs nothing.
 *
 * Where a re-check GET can still add evidence: after an accepted DELETE, on every machine
 * the probe does not answer for. A probe's answer after the settle shows a job's Runner.Worker
 * from the job's first second, so GitHub's word adds nothing there and ours does not ask. The
 * job-started hook tags only after the job's set-up (actions/runner v2.336.0,
 * src/Runner.Worker/JobExtension.cs, InitializeJob), so on a machine with hooks alone a job
 * assigned at the DELETE can still be tag-less after the settle, and GitHub's answer after
 * the DELETE is the one other witness (the twin's 204-get-busy model). The bench's fleet has
 * proven hooks and no SSM agent: `recheckGets` = reclaimed there.
 */
export interface LowerBoundInput {
  runners: number;
  reclaimed: number;
  owners?: number;
  /** Auth calls per owner in a cold container: GET installation + POST access_tokens. */
  authPerOwner?: number;
  recheckGets?: number;
}

export const PAGE_SIZE = 100;

export function githubLowerBound(input: LowerBoundInput): number {
  const owners = input.owners ?? 1;
  const auth = (input.authPerOwner ?? 2) * owners;
  return auth + Math.max(owners, Math.ceil(input.runners / PAGE_SIZE)) + 2 * input.reclaimed + (input.recheckGets ?? 0);
}
