/**
 * A fuzz run: options (from the environment or the command line), the loop over cases,
 * what each failure prints to replay it, and the totals that show the cases reached what
 * they are meant to reach. Shared by the jest test and `npm run fuzz`.
 */
import { FAULT_KINDS, enabledKinds, type FaultKind } from './faults';
import { Fuzz, type CaseResult } from './harness';

/** The seed `npm test` runs with; any other is a different, equally valid set of cases. */
export const DEFAULT_SEED = 20261207;
/** The cases `npm test` runs: every fault kind is a focus of at least four (fault groups have at most 14 kinds), and its first applicable request carries it. */
export const DEFAULT_CASES = 80;

export interface FuzzOptions {
  seed: number;
  /** Cases 0 .. cases-1, unless `only` names one. */
  cases: number;
  only?: number;
  include: string[];
  trace: boolean;
}

function whole(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  if (!/^\d+$/.test(value.trim())) throw new Error(`${name} must be a whole number, not "${value}"`);
  return Number(value.trim());
}

/** FUZZ_SEED, FUZZ_CASES, FUZZ_CASE (replay one), FUZZ_INCLUDE (known gaps to turn on), FUZZ_TRACE. */
export function optionsFromEnv(env: Record<string, string | undefined>): FuzzOptions {
  const only = env.FUZZ_CASE !== undefined && env.FUZZ_CASE !== '' ? whole('FUZZ_CASE', env.FUZZ_CASE, 0) : undefined;
  return {
    seed: whole('FUZZ_SEED', env.FUZZ_SEED, DEFAULT_SEED),
    cases: whole('FUZZ_CASES', env.FUZZ_CASES, DEFAULT_CASES),
    ...(only !== undefined ? { only } : {}),
    include: (env.FUZZ_INCLUDE ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''),
    trace: env.FUZZ_TRACE === '1' || env.FUZZ_TRACE === 'true',
  };
}

export function replayHint(result: Pick<CaseResult, 'seed' | 'caseNo'>, include: readonly string[]): string {
  const inc = include.length > 0 ? ` FUZZ_INCLUDE=${include.join(',')}` : '';
  const incArg = include.length > 0 ? ` --include ${include.join(',')}` : '';
  return `replay: FUZZ_SEED=${result.seed} FUZZ_CASE=${result.caseNo}${inc} npx jest lambda/test/fuzz --coverage=false, or npm run fuzz -- --seed ${result.seed} --case ${result.caseNo}${incArg} --trace`;
}

export function describeFailure(result: CaseResult, include: readonly string[], trace: boolean): string {
  const head = `case ${result.caseNo} (seed ${result.seed}, ${result.profile}, focus ${result.focus.join(' ')}, runs ${result.runs.join(' > ')})`;
  const lines = result.violations.slice(0, 8).map((v) => `  run ${v.run} ${v.rule}: ${v.detail}`);
  if (result.violations.length > 8) lines.push(`  ... and ${result.violations.length - 8} more`);
  return [head, ...lines, `  ${replayHint(result, include)}`, ...(trace ? ['  trace:', ...result.trace.map((t) => `    ${t}`)] : [])].join('\n');
}

export interface FuzzTotals {
  cases: number;
  failed: CaseResult[];
  faults: Map<FaultKind, number>;
  terminated: number;
  deletes: number;
  excused: number;
  reasons: Map<string, number>;
  /** Enabled kinds no case served. */
  unserved: FaultKind[];
}

export async function runFuzz(options: FuzzOptions, onCase: (result: CaseResult) => void = () => {}): Promise<FuzzTotals> {
  const enabled = enabledKinds(options.include);
  const fuzz = await Fuzz.start();
  const totals: FuzzTotals = { cases: 0, failed: [], faults: new Map(), terminated: 0, deletes: 0, excused: 0, reasons: new Map(), unserved: [] };
  try {
    const numbers = options.only !== undefined ? [options.only] : Array.from({ length: options.cases }, (_, i) => i);
    for (const caseNo of numbers) {
      const result = await fuzz.runCase(options.seed, caseNo, options.include);
      totals.cases++;
      if (result.violations.length > 0) totals.failed.push(result);
      for (const [kind, n] of result.faults) totals.faults.set(kind, (totals.faults.get(kind) ?? 0) + n);
      for (const [reason, n] of result.reasons) totals.reasons.set(reason, (totals.reasons.get(reason) ?? 0) + n);
      totals.terminated += result.terminated;
      totals.deletes += result.deletes;
      totals.excused += result.excused.length;
      onCase(result);
    }
  } finally {
    await fuzz.stop();
  }
  totals.unserved = FAULT_KINDS.filter((k) => enabled.has(k) && !totals.faults.has(k));
  return totals;
}
