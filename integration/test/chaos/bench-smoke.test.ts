/**
 * The `npm run bench` code path on a 10-runner fleet: the built zip in its Lambda-like
 * process and an in-process reference strategy, against the HTTP twin and moto. Asserts the
 * report's shape and what must hold at any size (idle reclaimed, busy spared), never timings.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBenchTable, runBench, writeBenchReport, type BenchReport } from '../../bench/run-bench';
import { MotoServer } from '../../moto';

jest.setTimeout(180_000);

const ZIP = join(__dirname, '..', '..', '..', 'lambda', 'dist', 'scale-down.zip');

describe('bench smoke (10 runners)', () => {
  const moto = new MotoServer();
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  beforeAll(() => moto.start());
  afterAll(async () => {
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a report with one row per size and strategy', async () => {
    const report = await runBench({ moto, sizes: [10], strategies: ['ours', 'c'], latencyMs: 5, settleSeconds: 1, zipPath: ZIP });
    const path = join(dir, 'bench.json');
    writeBenchReport(report, path);
    const read = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;

    expect(read).toEqual({
      generatedAt: expect.any(String),
      latencyMs: 5,
      settleSeconds: 1,
      lambdaMemoryMb: expect.any(Number),
      lambdaDefaultTimeoutSeconds: expect.any(Number),
      peakMemoryMeaning: expect.stringContaining('VmHWM'),
      rows: [expect.objectContaining({ size: 10, strategy: 'ours' }), expect.objectContaining({ size: 10, strategy: '(c) delete, re-check, 404' })],
    });
    for (const row of read.rows) {
      expect(row).toEqual({
        size: 10,
        strategy: expect.any(String),
        wallMs: expect.any(Number),
        terminated: 5,
        idleRunners: 5,
        busyRunners: 5,
        busyTerminated: 0,
        githubCalls: expect.objectContaining({ 'DELETE /orgs/{org}/actions/runners/{runner_id}': 5 }),
        githubTotal: expect.any(Number),
        awsCalls: expect.objectContaining({ 'ec2:TerminateInstances': 1 }),
        awsTotal: expect.any(Number),
        peakRssMb: row.strategy === 'ours' ? expect.any(Number) : null,
      });
    }
    // Ours re-reads each idle runner before the DELETE and after the settle.
    expect(read.rows[0]!.githubCalls['GET /orgs/{org}/actions/runners/{runner_id}']).toBe(10);
    expect(formatBenchTable(read)).toContain('(c) delete, re-check, 404');
  });
});
