/**
 * The `npm run bench` code path on a 10-runner fleet: the built zip and a reference zip,
 * each in its Lambda-like process, against the HTTP twin and moto, with the pacing scaled.
 * Asserts the report's shape, what must hold at any size (idle reclaimed, busy spared), the
 * call accounting against the lower bound, and that the pacing factor reaches the clients;
 * never timings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { githubLowerBound } from '../../bench/lower-bound';
import { replayAtRealPacing } from '../../bench/real-pacing';
import { formatBenchTable, runBench, writeBenchReport, type BenchReport } from '../../bench/run-bench';
import { MotoServer } from '../../moto';

jest.setTimeout(180_000);

const DIST = join(__dirname, '..', '..', '..', 'lambda', 'dist');
const DELETE = 'DELETE /orgs/{org}/actions/runners/{runner_id}';
const GET = 'GET /orgs/{org}/actions/runners/{runner_id}';

describe('bench smoke (10 runners)', () => {
  const moto = new MotoServer({ command: join(__dirname, '..', '..', 'bench', 'moto-indexed-tags.py') });
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  beforeAll(() => moto.start());
  afterAll(async () => {
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a JSON report and an SVG chart with one row per size and strategy', async () => {
    const report = await runBench({
      moto,
      sizes: [10],
      strategies: ['ours', 'c'],
      latencyMs: 5,
      settleSeconds: 2,
      scale: 4,
      coldStartRuns: 1,
      scaleDownZip: join(DIST, 'scale-down.zip'),
      orphanCleanupZip: join(DIST, 'orphan-cleanup.zip'),
    });
    const written = writeBenchReport(report, join(dir, 'bench.json'));
    const read = JSON.parse(readFileSync(written.json, 'utf8')) as BenchReport;

    expect(read).toMatchObject({
      latencyMs: 5,
      settleSeconds: 2,
      lambdaMemoryMb: 512,
      scale: { factor: 4, pointsPerMinute: 3600, deleteIntervalMs: 100, realDeleteIntervalMs: 400 },
      peakMemoryMeaning: expect.stringContaining('VmHWM'),
    });
    expect(read.functions.map((f) => f.name)).toEqual(['scale-down', 'orphan-cleanup', 'bench-reference']);
    for (const f of read.functions) {
      expect(f.zipBytes).toBeGreaterThan(10_000);
      expect(f.initMs).toBeGreaterThan(0);
      expect(f.initMs).toBeGreaterThanOrEqual(f.loadMs);
    }
    expect(read.rows.map((r) => [r.size, r.strategy])).toEqual([
      [10, 'ours'],
      [10, 'c'],
    ]);
    for (const row of read.rows) {
      expect(row).toMatchObject({ idleRunners: 5, busyRunners: 5, reclaimed: 5, busyTerminated: 0, authCalls: 2 });
      expect(row.error).toBeUndefined();
      expect(row.githubCalls[DELETE]).toBe(5);
      expect(row.awsCalls['ec2:TerminateInstances']).toBeGreaterThanOrEqual(1);
      expect(row.githubLowerBound).toBe(githubLowerBound({ runners: 10, reclaimed: 5, recheckGets: 5 }));
      expect(row.githubRatio).toBeCloseTo(row.githubTotal / row.githubLowerBound, 2);
      expect(row.peakRssMb).toBeGreaterThan(20);
      // The scaled pacing reached the client: DELETEs leave 100 ms apart, not 400.
      expect(row.observedDeleteIntervalMs).toBeGreaterThanOrEqual(90);
      expect(row.observedDeleteIntervalMs).toBeLessThan(400);
      // At real pacing the five DELETEs alone need four 400 ms gaps.
      expect(row.durationAtRealPacingMs).toBeGreaterThanOrEqual(row.durationMs + 4 * (400 - row.observedDeleteIntervalMs!));
    }
    // (c) re-reads each runner after its DELETE; ours reads before it (and today after the settle too).
    expect(read.rows[1]!.githubCalls[GET]).toBe(5);
    expect(read.rows[0]!.githubCalls[GET]).toBeGreaterThanOrEqual(5);
    expect(formatBenchTable(read)).toContain('(c) delete, re-check, 404');
    const svg = readFileSync(written.svg, 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('10 runners');
  });
});

describe('githubLowerBound', () => {
  it('is list pages, a GET and a DELETE per reclaimed runner, and the auth calls', () => {
    expect(githubLowerBound({ runners: 5000, reclaimed: 2500 })).toBe(2 + 50 + 5000);
    expect(githubLowerBound({ runners: 100, reclaimed: 0 })).toBe(2 + 1);
    expect(githubLowerBound({ runners: 101, reclaimed: 1, recheckGets: 1 })).toBe(2 + 2 + 2 + 1);
    expect(githubLowerBound({ runners: 10, reclaimed: 0, owners: 3 })).toBe(6 + 3);
  });
});

describe('replayAtRealPacing', () => {
  const DELETE = (at: number, id: number) => ({ at, method: 'DELETE', path: `/orgs/o/actions/runners/${id}` });
  const GET = (at: number, id: number) => ({ at, method: 'GET', path: `/orgs/o/actions/runners/${id}` });

  it('spaces DELETEs by the real interval, one at a time', () => {
    const calls = [0, 1, 2, 3, 4].map((i) => DELETE(1000 + 100 * i, i));
    expect(replayAtRealPacing(calls)).toEqual({ observedSpanMs: 400, realSpanMs: 1600 });
  });

  it('lets a burst of GETs go at once, then paces them at 750 a minute per endpoint', () => {
    const calls = Array.from({ length: 100 }, (_, i) => GET(5000, i));
    expect(replayAtRealPacing(calls)).toEqual({ observedSpanMs: 0, realSpanMs: 25 * 80 });
  });

  it('keeps the observed gaps where pacing does not bind, and each endpoint has its own budget', () => {
    const calls = [GET(0, 1), DELETE(300, 1), GET(600, 2), DELETE(900, 2)];
    // The second DELETE waits for the first's 400 ms after it: 300 + 400 = 700 < 900, so no wait.
    expect(replayAtRealPacing(calls)).toEqual({ observedSpanMs: 900, realSpanMs: 900 });
    const tight = [GET(0, 1), DELETE(10, 1), GET(20, 2), DELETE(30, 2)];
    expect(replayAtRealPacing(tight).realSpanMs).toBe(410);
  });
});
