/**
 * The goals the chaos report is judged by (issue 8 point 5, issue 11 point 2), each as a
 * function of the rows that returns one line per violation (empty = met). Tests assert
 * `toEqual([])`, so a failure names the setting and the numbers.
 */
import type { FleetEvidence } from './fleet-evidence';
import type { ChaosRow, WorkloadName } from './run';

type Rows = readonly ChaosRow[];

const where = (r: ChaosRow) => `${r.workload} / ${r.model} / ${r.strategy} (${r.evidence})`;

function find(rows: Rows, r: Pick<ChaosRow, 'workload' | 'model'>, strategy: ChaosRow['strategy'], evidence?: FleetEvidence): ChaosRow | undefined {
  return rows.find((x) => x.workload === r.workload && x.model === r.model && x.strategy === strategy && (evidence === undefined || x.evidence === evidence));
}

/** Every (workload, model) pair in the rows, once. */
function cells(rows: Rows): Pick<ChaosRow, 'workload' | 'model'>[] {
  const seen = new Map<string, Pick<ChaosRow, 'workload' | 'model'>>();
  for (const r of rows) seen.set(`${r.workload}|${r.model}`, { workload: r.workload, model: r.model });
  return [...seen.values()];
}

/** Ours kills no job beside a fleet whose every machine has evidence (hooks, probe), under every model and workload. */
export function killsWithEvidence(rows: Rows, evidences: readonly FleetEvidence[] = ['hooks', 'hooks-ssm', 'probe']): string[] {
  return rows
    .filter((r) => r.strategy === 'ours' && evidences.includes(r.evidence) && r.killed > 0)
    .map((r) => `${where(r)}: ${r.killed} jobs killed by termination`);
}

/** In the partial rollout (`mixed`), no job dies on an instance that had evidence. */
export function killsOnEvidenceInMixed(rows: Rows): string[] {
  return rows
    .filter((r) => r.strategy === 'ours' && r.evidence === 'mixed')
    .filter((r) => r.killedOnEvidence.hooks + r.killedOnEvidence.probe > 0)
    .map((r) => `${where(r)}: ${r.killedOnEvidence.hooks} jobs killed on instances with hooks, ${r.killedOnEvidence.probe} with the probe`);
}

/** Ours with no machine evidence kills no more jobs than the best of the references (a), (b), (c). */
export function noneNoWorseThanReferences(rows: Rows): string[] {
  return cells(rows).flatMap((cell) => {
    const ours = find(rows, cell, 'ours', 'none');
    const references = (['a', 'b', 'c'] as const).map((k) => find(rows, cell, k)).filter((r): r is ChaosRow => !!r);
    if (!ours || references.length === 0) return [];
    const best = references.reduce((a, b) => (b.killed < a.killed ? b : a));
    return ours.killed <= best.killed ? [] : [`${where(ours)}: ${ours.killed} killed, the best reference (${best.strategy}) ${best.killed}`];
  });
}

/**
 * In the natural workload, ours cancels at least `factor` times fewer jobs than (b): the
 * window between its last look and the DELETE is that much narrower than GitHub's lag.
 */
export function naturalCancellations(rows: Rows, factor = 10, evidences: readonly FleetEvidence[] = ['hooks', 'hooks-ssm', 'probe']): string[] {
  return cells(rows)
    .filter((cell) => cell.workload === ('natural' satisfies WorkloadName))
    .flatMap((cell) => {
      const b = find(rows, cell, 'b');
      if (!b) return [];
      return evidences.flatMap((evidence) => {
        const ours = find(rows, cell, 'ours', evidence);
        if (!ours || ours.cancelled * factor <= b.cancelled) return [];
        return [`${where(ours)}: ${ours.cancelled} cancelled, (b) ${b.cancelled}: needs at most ${Math.floor(b.cancelled / factor)}`];
      });
    });
}

/**
 * Ours wastes at most `bound` times the oracle's idle runner-minutes (issue 11, point 2),
 * in the natural workload by default: there every strategy runs the same jobs. In the
 * forced one the race injector lands extra jobs only where a strategy calls GitHub (ours
 * runs about a fifth more jobs than the oracle, which calls nothing), and every extra job
 * leaves one more idle runner to reclaim, so its ratio compares unlike days.
 */
export function oracleRatioGoal(
  rows: Rows,
  bound = 1.25,
  evidences: readonly FleetEvidence[] = ['hooks', 'hooks-ssm', 'probe'],
  workloads: readonly WorkloadName[] = ['natural'],
): string[] {
  return rows
    .filter((r) => r.strategy === 'ours' && evidences.includes(r.evidence) && workloads.includes(r.workload))
    .filter((r) => r.oracleRatio === null || r.oracleRatio > bound)
    .map((r) => `${where(r)}: ${r.idleRunnerMinutes} idle runner-min, ${r.oracleRatio ?? '?'}x the oracle (goal ${bound}x)`);
}

/** The oracle is what it claims: it never harms a job and makes no API call. */
export function oracleIsHarmless(rows: Rows): string[] {
  return rows
    .filter((r) => r.strategy === 'oracle' && r.killed + r.cancelled + r.githubCalls + r.awsCalls > 0)
    .map((r) => `${where(r)}: killed ${r.killed}, cancelled ${r.cancelled}, GitHub ${r.githubCalls}, AWS ${r.awsCalls}`);
}

/**
 * The chaos can see harm at all: under the models where GitHub deletes a runner that holds
 * a job, every reference harms jobs, and each kills some by termination under one of them.
 */
export function referencesAreHarmed(rows: Rows, laggingModels: readonly string[]): string[] {
  const lagging = rows.filter((r) => laggingModels.includes(r.model) && ['a', 'b', 'c'].includes(r.strategy));
  const harmless = lagging.filter((r) => r.killed + r.cancelled === 0).map((r) => `${where(r)}: harmed no job`);
  const neverKilled = (['a', 'b', 'c'] as const)
    .filter((k) => lagging.some((r) => r.strategy === k) && lagging.filter((r) => r.strategy === k).every((r) => r.killed === 0))
    .map((k) => `(${k}) killed no job by termination under any lagging model`);
  return [...harmless, ...neverKilled];
}

/** Enough happened: every non-oracle row of the forced workload made `min` removal attempts and met forced landings. */
export function enoughReclaims(rows: Rows, min = 1000): string[] {
  return rows
    .filter((r) => r.workload === 'forced' && r.strategy !== 'oracle')
    .flatMap((r) => [
      ...(r.reclaims < min ? [`${where(r)}: ${r.reclaims} reclaim attempts (< ${min})`] : []),
      ...(r.forcedLandings === 0 ? [`${where(r)}: no forced landing`] : []),
    ]);
}
