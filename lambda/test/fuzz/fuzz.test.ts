/**
 * The fuzz over GitHub and EC2 answers (issue 10): seeded, replayable cases of random
 * malformed, partial, reordered, duplicated, paginated and failing answers, through the
 * real adapters, snapshot reading, decision cores and executors, several runs of both
 * functions on one fleet. No run may terminate an instance whose runner is registered and
 * busy, that carries job evidence or the bypass tag, nor DELETE such a runner, and every
 * malformed answer must leave a reason in the log (see oracle.ts, ec2-world.ts and
 * github-world.ts for every rule). Quiet fleets with machine evidence must be reclaimed.
 *
 * A fixed budget here; more on demand: `FUZZ_CASES=5000 npx jest lambda/test/fuzz`, or
 * `npm run fuzz -- --cases 5000 --seed 7`. A failure prints its seed and case number.
 */
import { describeFailure, optionsFromEnv, runFuzz, type FuzzTotals } from './run-fuzz';

const options = optionsFromEnv(process.env);
const replaying = options.only !== undefined;

// Wall time grows with the budget: about a fifth of a second a case on a quiet machine.
jest.setTimeout(Math.max(120_000, options.cases * 2_000));

let totals: FuzzTotals;

beforeAll(async () => {
  totals = await runFuzz(options);
});

test(`no run acts against the evidence, and every malformed answer leaves a reason (seed ${options.seed}, ${replaying ? `case ${options.only}` : `${options.cases} cases`})`, () => {
  expect(totals.failed.map((result) => describeFailure(result, options.include, options.trace))).toEqual([]);
});

// A replay of one case checks that case only; a budget of cases must also show it reached what it is for.
if (!replaying) {
  test('the cases reach every kind of fault, and reclaim as well as keep', () => {
    expect(totals.unserved).toEqual([]);
    expect(totals.terminated).toBeGreaterThan(options.cases / 2);
    expect(totals.deletes).toBeGreaterThan(options.cases / 4);
  });
}
