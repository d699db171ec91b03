/**
 * `npm run chaos`: the chaos comparison as JSON and as a table.
 *
 *   npm run chaos -- --seed 20261129 --out reports/chaos.json
 *   npm run chaos -- --seed 7 --hours 2 --workloads natural --models 204-cancelled
 *
 * The JSON is `{ seed, legend, settings, rows: [ { model, strategy, evidence, reclaims,
 * killed, cancelled, idleRunnerMinutes, githubCalls, jobs, workload, oracleRatio, ... } ] }`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GITHUB_MODELS } from './models';
import { DEFAULT_CHAOS, DEFAULT_SEED, WORKLOADS, formatTable, matrixSettings, runChaos } from './run';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function pick<T extends { name: string }>(all: readonly T[], raw: string | undefined, name: string): T[] {
  if (raw === undefined) return [...all];
  const wanted = raw.split(',').map((s) => s.trim());
  const unknown = wanted.filter((w) => !all.some((x) => x.name === w));
  if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')}; use ${all.map((x) => x.name).join(',')}`);
  return all.filter((x) => wanted.includes(x.name));
}

async function main(): Promise<void> {
  const seedText = flag('seed') ?? String(DEFAULT_SEED);
  const seed = Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(`--seed takes a whole number, e.g. --seed ${DEFAULT_SEED}`);
  const hoursText = flag('hours');
  const hours = hoursText === undefined ? DEFAULT_CHAOS.arrivals.durationMs / 3_600_000 : Number(hoursText);
  if (!(hours > 0 && hours <= 48)) throw new Error('--hours takes a number of world hours from 0 to 48, e.g. --hours 2');
  const out = flag('out');
  const settings = matrixSettings(pick(GITHUB_MODELS, flag('models'), 'models'), pick(WORKLOADS, flag('workloads'), 'workloads'));

  const report = await runChaos(
    { ...DEFAULT_CHAOS, seed, arrivals: { ...DEFAULT_CHAOS.arrivals, durationMs: hours * 3_600_000 } },
    settings,
    (line) => process.stderr.write(`${line}\n`),
  );
  console.log(`Chaos comparison, seed ${seed}, ${hours} h of world time per setting:\n`);
  console.log(formatTable(report.rows));
  if (out) {
    const path = resolve(out);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nWritten to ${path}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
