// A jest reporter that ends the run with the plain line CI reads:
//   "N passed, N failed" (", N skipped" when any were skipped)
// and keeps the same line in reports/test-summary.txt for .ci/run to repeat last.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that fails to load has no failed tests but must still count as a failure.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    const dir = path.join(process.cwd(), 'reports');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'test-summary.txt'), `${line}\n`);
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = SummaryReporter;
