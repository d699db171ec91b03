// One jest run covers every suite (`npm test`). Sources are transpiled by swc
// (type checking is `npm run typecheck`). Octokit and Middy ship ESM only, so the
// ESM packages under node_modules are transpiled to CommonJS as well.
const esmPackages = [
  '@octokit',
  'universal-user-agent',
  'before-after-hook',
  'toad-cache',
  'universal-github-app-jwt',
  'bottleneck',
  '@middy',
  'fast-content-type-parse',
  'content-type',
  'json-with-bigint',
].join('|');

const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  setupFiles: ['<rootDir>/scripts/jest-setup-env.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  // Two workers even on a 2-core machine: most suites wait on moto, terraform, child
  // processes and timers rather than compute, and one worker (jest's default there) leaves
  // a core idle. Every suite isolates its own state (free ports, temporary directories).
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/lambda/test/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/integration/test/**/*.test.ts'],
      slowTestThreshold: 120,
    },
    {
      // The built zips on Node 22, the runtime the module deploys (nodejs22.x), while every
      // other project runs them on the Node that runs jest (20 or newer). One representative
      // file: the ordinary paths of both functions end to end (twin, moto, both zips), plus
      // the check that the functions really run on 22. See scripts/node22.
      ...common,
      displayName: 'integration-node22',
      testMatch: ['<rootDir>/integration/test/e2e/paths.test.ts', '<rootDir>/scripts/node22/*.test.ts'],
      setupFiles: [...common.setupFiles, '<rootDir>/scripts/node22/jest-setup.ts'],
      slowTestThreshold: 120,
    },
    {
      ...common,
      displayName: 'terraform',
      testMatch: ['<rootDir>/test/terraform/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'repo',
      testMatch: ['<rootDir>/test/repo/**/*.test.ts'],
    },
  ],
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
  collectCoverageFrom: ['lambda/src/**/*.ts'],
  coverageProvider: 'v8',
  coverageThreshold: { global: { lines: 90 } },
  coverageReporters: ['text-summary', 'json-summary'],
};
