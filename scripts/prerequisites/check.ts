/**
 * `npm test` runs this first (the `pretest` script): checks every tool the tests need,
 * installs what it safely can, and otherwise stops at once naming the missing tool and
 * the command that installs it.
 *
 *   npm run pretest                              # check and install
 *   npx tsx scripts/prerequisites/check.ts --check-only   # check, install nothing
 */
import { ensurePrerequisites, formatOutcomes, prerequisites, systemRunner } from './prerequisites';

async function main(): Promise<number> {
  const install = !process.argv.includes('--check-only');
  const list = prerequisites(process.env);
  const outcomes = await ensurePrerequisites(list, systemRunner(process.env), { install });
  const report = formatOutcomes(list, outcomes);
  const failed = outcomes.some((o) => !o.ok);
  (failed ? process.stderr : process.stdout).write(`${report}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`prerequisites: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
