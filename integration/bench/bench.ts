/**
 * `npm run bench`: one scale-down cycle for fleets of 100, 1,000 and 5,000 runners (half
 * idle) with latency on every GitHub call, for ours (the built zip in a Lambda-like
 * process) and the reference strategies. Prints a table and writes reports/bench.json.
 *
 *   npm run bench -- --sizes 100,1000 --latency 30 --strategies ours,b --settle 1
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MotoServer } from '../moto';
import { BENCH_STRATEGIES, formatBenchTable, runBench, writeBenchReport, type BenchStrategyKey } from './run-bench';

const ROOT = join(__dirname, '..', '..');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numbers(raw: string, name: string): number[] {
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name} takes positive whole numbers, e.g. 100,1000`);
  return values;
}

async function main(): Promise<void> {
  const sizes = numbers(flag('sizes') ?? '100,1000,5000', 'sizes');
  const latencyMs = Number(flag('latency') ?? '30');
  const settleSeconds = Number(flag('settle') ?? '1');
  const strategies = (flag('strategies') ?? BENCH_STRATEGIES.join(',')).split(',') as BenchStrategyKey[];
  const unknown = strategies.filter((s) => !BENCH_STRATEGIES.includes(s));
  if (unknown.length > 0) throw new Error(`unknown strategies ${unknown.join(', ')}; use ${BENCH_STRATEGIES.join(',')}`);
  const zipPath = join(ROOT, 'lambda', 'dist', 'scale-down.zip');
  if (!existsSync(zipPath)) throw new Error(`${zipPath} is missing: run npm run build first`);
  const out = flag('out') ?? join(ROOT, 'reports', 'bench.json');

  const moto = new MotoServer();
  await moto.start();
  try {
    const report = await runBench({
      moto,
      sizes,
      strategies,
      latencyMs,
      settleSeconds,
      zipPath,
      progress: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
    });
    writeBenchReport(report, out);
    console.log(`Scale-down cycle, ${latencyMs} ms latency on every GitHub call, SETTLE_SECONDS=${settleSeconds}:\n`);
    console.log(formatBenchTable(report));
    console.log(`\nPeak RSS: ${report.peakMemoryMeaning}. Written to ${out}`);
  } finally {
    await moto.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
