/**
 * `npm run bench`: one scale-down cycle for fleets of 100, 1,000 and 5,000 runners (half
 * idle) with latency on every GitHub call, for ours and the reference strategies, each a
 * Lambda zip run the way Lambda runs it. Prints a table, writes reports/bench.json and
 * reports/bench.svg.
 *
 *   npm run bench -- --sizes 100,1000 --latency 20 --strategies ours,b --settle 2 --scale 20
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MotoServer } from '../moto';
import { BENCH_STRATEGIES, formatBenchTable, runBench, writeBenchReport, type BenchStrategyKey } from './run-bench';

const ROOT = join(__dirname, '..', '..');
/** Pacing scale of the default run: keeps 5,000 runners inside the 15-minute budget. */
export const DEFAULT_SCALE = 20;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function numbers(raw: string, name: string): number[] {
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name} takes positive whole numbers, e.g. 100,1000`);
  return values;
}

function number(name: string, fallback: number, valid: (n: number) => boolean, form: string): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!valid(n)) throw new Error(`--${name} takes ${form}`);
  return n;
}

async function main(): Promise<void> {
  const sizes = numbers(flag('sizes') ?? '100,1000,5000', 'sizes');
  const latencyMs = number('latency', 20, (n) => Number.isInteger(n) && n >= 0, 'a whole number of milliseconds, e.g. 30');
  const settleSeconds = number('settle', 2, (n) => Number.isInteger(n) && n >= 2, 'a whole number of seconds from 2 (the functions accept no less), e.g. 2');
  const scale = number('scale', DEFAULT_SCALE, (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number from 1 (real pacing) to 100, e.g. 10');
  const strategies = (flag('strategies') ?? BENCH_STRATEGIES.join(',')).split(',') as BenchStrategyKey[];
  const unknown = strategies.filter((s) => !BENCH_STRATEGIES.includes(s));
  if (unknown.length > 0) throw new Error(`unknown strategies ${unknown.join(', ')}; use ${BENCH_STRATEGIES.join(',')}`);
  const scaleDownZip = join(ROOT, 'lambda', 'dist', 'scale-down.zip');
  const orphanCleanupZip = join(ROOT, 'lambda', 'dist', 'orphan-cleanup.zip');
  for (const zip of [scaleDownZip, orphanCleanupZip]) if (!existsSync(zip)) throw new Error(`${zip} is missing: run npm run build first`);
  const out = flag('out') ?? join(ROOT, 'reports', 'bench.json');

  // moto with its EC2 lookups by id indexed (moto-indexed-tags.py): 5,000 instances are otherwise quadratic.
  const moto = new MotoServer({ command: join(__dirname, 'moto-indexed-tags.py') });
  await moto.start();
  const started = Date.now();
  try {
    const report = await runBench({
      moto,
      sizes,
      strategies,
      latencyMs,
      settleSeconds,
      scale,
      scaleDownZip,
      orphanCleanupZip,
      progress: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
    });
    const written = writeBenchReport(report, out);
    console.log(
      `Scale-down cycle, ${latencyMs} ms latency on every GitHub call, SETTLE_SECONDS=${settleSeconds}, ` +
        `pacing x${scale} (GitHub's limit and the clients' DELETE interval ${report.scale.realDeleteIntervalMs} -> ${report.scale.deleteIntervalMs} ms; ` +
        `call counts are unchanged by it, "at real pacing" converts durations back):\n`,
    );
    console.log(formatBenchTable(report));
    console.log(`\nx bound = GitHub requests / the lower bound for what the row reclaimed (integration/bench/lower-bound.ts).`);
    console.log(`At real pacing: * longer than the module's default timeout (${report.lambdaDefaultTimeoutSeconds} s), ** longer than Lambda's maximum (${report.lambdaTimeoutSeconds} s): such a run is cut off.`);
    console.log(`Peak MB: ${report.peakMemoryMeaning}.`);
    console.log(`Written to ${written.json} and ${written.svg} in ${((Date.now() - started) / 60_000).toFixed(1)} minutes.`);
  } finally {
    await moto.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
