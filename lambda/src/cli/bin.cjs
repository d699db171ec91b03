#!/usr/bin/env node
// The `runner-reaper` command (package.json "bin"; `npx runner-reaper plan`, `npm run plan --`).
// It runs the TypeScript sources through tsx, a devDependency, so `npm ci` is all it needs.
'use strict';

require('tsx/cjs/api').register();
const { main } = require('./main.ts');

main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  now: () => new Date(),
}).then(
  // Exit once the output is flushed: open HTTP keep-alive sockets must not hold the process.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error) => {
    process.stderr.write(`runner-reaper: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
