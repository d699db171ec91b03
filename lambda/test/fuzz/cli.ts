/**
 * `npm run fuzz -- [--cases N] [--seed S] [--case K] [--include kind,...] [--trace]`: the
 * same fuzz as `npm test`, for longer runs or one case replayed with the world's trace.
 * Exits 1 when a case fails (each failure prints its seed, case number and how to replay it).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { describeFailure, optionsFromEnv, runFuzz } from './run-fuzz';

function parse(argv: string[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  const names: Record<string, string> = { '--cases': 'FUZZ_CASES', '--seed': 'FUZZ_SEED', '--case': 'FUZZ_CASE', '--include': 'FUZZ_INCLUDE' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--trace') env.FUZZ_TRACE = '1';
    else if (names[arg] !== undefined && argv[i + 1] !== undefined) env[names[arg]!] = argv[++i];
    else throw new Error(`unknown argument ${arg}: use --cases N, --seed S, --case K, --include kind,..., --trace`);
  }
  return env;
}

async function main(): Promise<number> {
  const options = optionsFromEnv(parse(process.argv.slice(2)));
  const started = Date.now();
  const totals = await runFuzz(options, (result) => {
    if (result.violations.length > 0) console.log(`\n${describeFailure(result, options.include, options.trace)}`);
    else if (options.trace) console.log(result.trace.join('\n'));
    else process.stdout.write('.');
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${totals.cases} cases (seed ${options.seed}) in ${seconds} s: ${totals.failed.length} failed; ${totals.terminated} terminations, ${totals.deletes} DELETEs, ${totals.excused} excused kills, ${[...totals.faults.values()].reduce((a, b) => a + b, 0)} faults served`,
  );
  if (totals.unserved.length > 0) console.log(`fault kinds no case served: ${totals.unserved.join(', ')}`);
  if (options.trace || process.env.FUZZ_STATS) {
    console.log(`final reasons: ${[...totals.reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);
    console.log(`faults served: ${[...totals.faults].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);
  }
  return totals.failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
