/**
 * The fewest GitHub requests one scale-down cycle can make (issue 11, point 3), per owner:
 * ceil(N/100) list pages, one fresh GET and one DELETE per runner it reclaims, a re-check
 * GET only where it can still add evidence, and a constant number of auth calls per warm
 * container (the installation lookup and one installation token; reused while they last).
 * A runner the run defers costs nothing. The bench's fleet has proven hooks on every
 * machine, so a re-check GET adds nothing there: `recheckGets` is 0 unless a fleet without
 * machine evidence is measured.
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
