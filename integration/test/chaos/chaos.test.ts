/**
 * Chaos comparison (issue 8 point 5, issue 11 point 1): seeded random workloads, every
 * strategy under every GitHub model, in two workloads (races forced around every GET and
 * DELETE, and natural arrivals only), ours beside fleets with each kind of machine
 * evidence, and the oracle as the floor. The goals are in integration/chaos/goals.ts; each
 * test asserts one of them at the default seed. The JSON report is left in
 * reports/chaos.json (what `npm run chaos -- --out` writes).
 *
 * Replay another workload: CHAOS_SEED=<n> npx jest integration/test/chaos/chaos.test.ts
 * The world is in-process on a virtual clock (see integration/chaos/world.ts for why).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CHAOS, DEFAULT_SEED, GITHUB_MODELS, WORKLOADS, formatTable, runChaos, runSetting, type ChaosReport } from '../../chaos';
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

jest.setTimeout(600_000);

const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : DEFAULT_SEED;
const replay = (lines: string[]) => lines.map((l) => `${l} (replay with CHAOS_SEED=${seed})`);
const LAGGING = GITHUB_MODELS.filter((m) => m.lagging).map((m) => m.name);
const REPORT = join(__dirname, '..', '..', '..', 'reports', 'chaos.json');

describe(`chaos comparison (seed ${seed})`, () => {
  let report: ChaosReport;

  beforeAll(async () => {
    if (!Number.isInteger(seed)) throw new Error(`CHAOS_SEED must be an integer, got ${process.env.CHAOS_SEED}`);
    report = await runChaos({ ...DEFAULT_CHAOS, seed });
    mkdirSync(join(REPORT, '..'), { recursive: true });
    writeFileSync(REPORT, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`Chaos comparison, seed ${seed} (JSON in ${REPORT}):\n${formatTable(report.rows)}`);
  });

  it('has one row per workload, model, strategy and fleet, with the fields the JSON promises', () => {
    expect(report.seed).toBe(seed);
    const keys = report.rows.map((r) => `${r.workload}/${r.model}/${r.strategy}/${r.evidence}`);
    const expected = WORKLOADS.flatMap((w) =>
      GITHUB_MODELS.flatMap((m) =>
        ['ours/hooks', 'ours/hooks-ssm', 'ours/probe', 'ours/none', 'ours/mixed', 'a/reference', 'b/reference', 'c/reference', 'oracle/reference'].map((s) => `${w.name}/${m.name}/${s}`),
      ),
    );
    expect(keys).toEqual(expected);
    for (const row of report.rows) {
      expect(row).toMatchObject({
        model: expect.any(String),
        strategy: expect.stringMatching(/^(ours|a|b|c|oracle)$/),
        evidence: expect.stringMatching(/^(hooks|hooks-ssm|probe|none|mixed|reference)$/),
        reclaims: expect.any(Number),
        killed: expect.any(Number),
        cancelled: expect.any(Number),
        idleRunnerMinutes: expect.any(Number),
        githubCalls: expect.any(Number),
        jobs: expect.any(Number),
        oracleRatio: expect.any(Number),
      });
    }
  });

  it('forces races in every setting of the forced workload, and none in the natural one, with at least 1,000 reclaim attempts each', () => {
    expect(replay(enoughReclaims(report.rows))).toEqual([]);
    expect(report.rows.filter((r) => r.workload === 'natural' && r.forcedLandings > 0)).toEqual([]);
  });

  it('the oracle never harms a job, makes no API call, and is the ratio 1 of its own workload', () => {
    expect(replay(oracleIsHarmless(report.rows))).toEqual([]);
    expect(report.rows.filter((r) => r.strategy === 'oracle').map((r) => r.oracleRatio)).toEqual(
      report.rows.filter((r) => r.strategy === 'oracle').map(() => 1),
    );
  });

  it('the reference strategies do harm jobs under the 2026 models (the chaos can see a kill)', () => {
    expect(replay(referencesAreHarmed(report.rows, LAGGING))).toEqual([]);
  });

  it('ours beside a fleet with job hooks or the probe kills no job under any model, in either workload', () => {
    expect(replay(killsWithEvidence(report.rows, ['hooks', 'hooks-ssm', 'probe']))).toEqual([]);
  });

  it('ours beside a partial rollout kills no job on an instance that had evidence', () => {
    expect(replay(killsOnEvidenceInMixed(report.rows))).toEqual([]);
  });

  it('ours without machine evidence kills no more jobs than the best reference', () => {
    expect(replay(noneNoWorseThanReferences(report.rows))).toEqual([]);
  });

  it('in the natural workload ours with job hooks or the probe cancels at least 10 times fewer jobs than (b)', () => {
    expect(replay(naturalCancellations(report.rows, 10, ['hooks', 'hooks-ssm', 'probe']))).toEqual([]);
  });

  it('in the natural workload ours with the probe, alone or beside hooks, wastes at most 1.25x the oracle\'s idle runner-minutes under every model (issue 11)', () => {
    expect(replay(oracleRatioGoal(report.rows, 1.25, ['probe', 'hooks-ssm']))).toEqual([]);
  });

  it('reports ours against the oracle everywhere (with hooks and no SSM the 1.25x goal is not met: see docs/design.md)', () => {
    const ours = report.rows.filter((r) => r.strategy === 'ours');
    expect(ours.every((r) => typeof r.oracleRatio === 'number' && r.oracleRatio > 0)).toBe(true);
    console.log(
      `Idle runner-minutes over the oracle's: ${ours.map((r) => `${r.workload}/${r.model}/${r.evidence} ${r.oracleRatio}x`).join(', ')}\n` +
        `Over 1.25x in the natural workload: ${oracleRatioGoal(report.rows, 1.25).join('; ') || 'none'}`,
    );
  });
});

describe('chaos world', () => {
  it('replays a seed exactly', async () => {
    const options = { ...DEFAULT_CHAOS, seed: 7, arrivals: { ...DEFAULT_CHAOS.arrivals, durationMs: 60 * 60_000 } };
    const setting = { strategy: 'ours' as const, evidence: 'mixed' as const, model: GITHUB_MODELS.find((m) => m.name === '204-continues')!, workload: WORKLOADS[0]! };
    const first = await runSetting(setting, options);
    const second = await runSetting(setting, options);
    expect(second).toEqual(first);
    expect(first.jobs).toBeGreaterThan(0);
    expect(first.reclaims).toBeGreaterThan(0);
    expect(first.forcedLandings).toBeGreaterThan(0);
  });
});
