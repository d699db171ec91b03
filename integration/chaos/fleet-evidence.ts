/**
 * Which machine evidence the chaos fleet can give (the `evidence` column of the report):
 * - `hooks`: every machine has proven job hooks (the `ghr:job-hooks` marker, hook tags), no SSM;
 * - `hooks-ssm`: the same, and every machine's SSM agent online, so the probe is asked too
 *   (`probeToo`): github-aws-runners' fleets with `enable_ssm_on_runners`;
 * - `probe`: no hooks, every machine's SSM agent online (the probe can ask it);
 * - `none`: neither: only GitHub's word;
 * - `mixed`: a partial rollout, every other launch with proven hooks, the rest with none;
 * - `reference`: the fleet the reference strategies and the oracle run beside (proven
 *   hooks, which they never read: what differs is only how they reclaim).
 */
import type { EvidenceSource } from '../../lambda/src/core';
import type { MachineSpec } from '../machine/runner-machine';

export type FleetEvidence = 'hooks' | 'hooks-ssm' | 'probe' | 'none' | 'mixed' | 'reference';

export const FLEET_EVIDENCE: readonly FleetEvidence[] = ['hooks', 'hooks-ssm', 'probe', 'none', 'mixed', 'reference'];

/** The machine of the `index`-th launch (0-based) in a fleet of this evidence. */
export function machineSpecFor(evidence: FleetEvidence, index: number): MachineSpec {
  switch (evidence) {
    case 'hooks':
    case 'reference':
      return { hooks: 'proven', ssm: false };
    case 'hooks-ssm':
      return { hooks: 'proven', ssm: true };
    case 'probe':
      return { hooks: 'none', ssm: true };
    case 'none':
      return { hooks: 'none', ssm: false };
    case 'mixed':
      return index % 2 === 0 ? { hooks: 'proven', ssm: false } : { hooks: 'none', ssm: false };
  }
}

/** What a machine of this spec can prove, by the rules of docs/design.md ("Machine evidence", JOB_EVIDENCE=auto). */
export function evidenceOf(spec: MachineSpec): EvidenceSource {
  if (spec.hooks === 'proven') return 'hooks';
  if (spec.ssm) return 'probe';
  return 'none';
}
