/**
 * The goal functions on hand-made rows: each names the setting that misses it, and only
 * that one, so a chaos test that asserts `toEqual([])` fails for the right reason.
 */
import {
  enoughReclaims,
  killsOnEvidenceInMixed,
  killsWithEvidence,
  naturalCancellations,
  noneNoWorseThanReferences,
  oracleIsHarmless,
  oracleRatioGoal,
  referencesAreHarmed,
} from '../../chaos/goals';
import { withOracleRatios, type ChaosRow } from '../../chaos/run';

const none = { hooks: 0, probe: 0, none: 0 };

function row(partial: Partial<ChaosRow> & Pick<ChaosRow, 'strategy' | 'evidence'>): ChaosRow {
  return {
    model: '204-continues',
    workload: 'natural',
    reclaims: 1500,
    killed: 0,
    cancelled: 0,
    idleRunnerMinutes: 2000,
    githubCalls: 5000,
    jobs: 3000,
    oracleRatio: null,
    terminated: 1400,
    completed: 3000,
    killedOnEvidence: { ...none },
    cancelledOnEvidence: { ...none },
    instancesLaunched: 1500,
    githubByEndpoint: { list: 100, get: 3000, delete: 1500 },
    awsCalls: 2000,
    probe: { rounds: 0, instancesAsked: 0, errors: 0 },
    forcedLandings: 0,
    ...partial,
  };
}

describe('chaos goals', () => {
  it('killsWithEvidence names ours beside a hooks or probe fleet that killed a job', () => {
    const rows = [
      row({ strategy: 'ours', evidence: 'hooks' }),
      row({ strategy: 'ours', evidence: 'probe', killed: 3 }),
      row({ strategy: 'ours', evidence: 'none', killed: 50 }),
      row({ strategy: 'b', evidence: 'reference', killed: 400 }),
    ];
    expect(killsWithEvidence(rows)).toEqual(['natural / 204-continues / ours (probe): 3 jobs killed by termination']);
    expect(killsWithEvidence(rows, ['hooks'])).toEqual([]);
  });

  it('killsOnEvidenceInMixed counts only the jobs on instances that had evidence', () => {
    const ok = row({ strategy: 'ours', evidence: 'mixed', killed: 9, killedOnEvidence: { hooks: 0, probe: 0, none: 9 } });
    const bad = row({ strategy: 'ours', evidence: 'mixed', model: 'atomic-422', killed: 10, killedOnEvidence: { hooks: 1, probe: 0, none: 9 } });
    expect(killsOnEvidenceInMixed([ok])).toEqual([]);
    expect(killsOnEvidenceInMixed([ok, bad])).toHaveLength(1);
    expect(killsOnEvidenceInMixed([ok, bad])[0]).toContain('atomic-422');
  });

  it('noneNoWorseThanReferences compares with the best reference of the same model and workload', () => {
    const refs = [
      row({ strategy: 'a', evidence: 'reference', killed: 500 }),
      row({ strategy: 'b', evidence: 'reference', killed: 120 }),
      row({ strategy: 'c', evidence: 'reference', killed: 300 }),
    ];
    expect(noneNoWorseThanReferences([...refs, row({ strategy: 'ours', evidence: 'none', killed: 120 })])).toEqual([]);
    expect(noneNoWorseThanReferences([...refs, row({ strategy: 'ours', evidence: 'none', killed: 121 })])).toEqual([
      'natural / 204-continues / ours (none): 121 killed, the best reference (b) 120',
    ]);
    // Another workload's references do not count.
    expect(noneNoWorseThanReferences([...refs, row({ strategy: 'ours', evidence: 'none', killed: 121, workload: 'forced' })])).toEqual([]);
  });

  it('naturalCancellations wants ten times fewer than (b), in the natural workload only', () => {
    const b = row({ strategy: 'b', evidence: 'reference', cancelled: 400 });
    expect(naturalCancellations([b, row({ strategy: 'ours', evidence: 'hooks', cancelled: 40 })])).toEqual([]);
    expect(naturalCancellations([b, row({ strategy: 'ours', evidence: 'probe', cancelled: 41 })])).toEqual([
      'natural / 204-continues / ours (probe): 41 cancelled, (b) 400: needs at most 40',
    ]);
    const forced = [row({ strategy: 'b', evidence: 'reference', cancelled: 400, workload: 'forced' }), row({ strategy: 'ours', evidence: 'hooks', cancelled: 300, workload: 'forced' })];
    expect(naturalCancellations(forced)).toEqual([]);
    // Where (b) cancels nothing, ours must cancel nothing either.
    expect(naturalCancellations([row({ strategy: 'b', evidence: 'reference' }), row({ strategy: 'ours', evidence: 'hooks', cancelled: 1 })])).toHaveLength(1);
  });

  it('oracleRatioGoal and withOracleRatios: idle runner-minutes over the oracle of the same model and workload', () => {
    const rows = withOracleRatios([
      row({ strategy: 'oracle', evidence: 'reference', idleRunnerMinutes: 2000 }),
      row({ strategy: 'ours', evidence: 'hooks', idleRunnerMinutes: 2500 }),
      row({ strategy: 'ours', evidence: 'probe', idleRunnerMinutes: 2600 }),
      row({ strategy: 'oracle', evidence: 'reference', idleRunnerMinutes: 1000, model: 'atomic-422' }),
    ]);
    expect(rows.map((r) => r.oracleRatio)).toEqual([1, 1.25, 1.3, 1]);
    expect(oracleRatioGoal(rows)).toEqual(['natural / 204-continues / ours (probe): 2600 idle runner-min, 1.3x the oracle (goal 1.25x)']);
    expect(oracleRatioGoal(rows, 1.25, ['hooks'])).toEqual([]);
    expect(oracleRatioGoal(rows, 1.2, ['hooks'])).toHaveLength(1);
    // The forced workload is left out unless asked for.
    const forced = withOracleRatios([
      row({ workload: 'forced', strategy: 'oracle', evidence: 'reference', idleRunnerMinutes: 2000 }),
      row({ workload: 'forced', strategy: 'ours', evidence: 'probe', idleRunnerMinutes: 3000 }),
    ]);
    expect(oracleRatioGoal(forced)).toEqual([]);
    expect(oracleRatioGoal(forced, 1.25, ['probe'], ['forced'])).toHaveLength(1);
  });

  it('oracleIsHarmless, referencesAreHarmed and enoughReclaims', () => {
    expect(oracleIsHarmless([row({ strategy: 'oracle', evidence: 'reference', githubCalls: 0, awsCalls: 0 })])).toEqual([]);
    expect(oracleIsHarmless([row({ strategy: 'oracle', evidence: 'reference', githubCalls: 0, awsCalls: 0, killed: 1 })])).toHaveLength(1);

    const harmed = ['a', 'b', 'c'].map((k) => row({ strategy: k as ChaosRow['strategy'], evidence: 'reference', killed: 5 }));
    expect(referencesAreHarmed(harmed, ['204-continues'])).toEqual([]);
    const cancelOnly = harmed.map((r) => (r.strategy === 'c' ? { ...r, killed: 0, cancelled: 5 } : r));
    expect(referencesAreHarmed(cancelOnly, ['204-continues'])).toEqual(['(c) killed no job by termination under any lagging model']);

    const forced = row({ strategy: 'ours', evidence: 'hooks', workload: 'forced', reclaims: 999, forcedLandings: 0 });
    expect(enoughReclaims([forced])).toHaveLength(2);
    expect(enoughReclaims([{ ...forced, reclaims: 1000, forcedLandings: 3 }])).toEqual([]);
  });
});
