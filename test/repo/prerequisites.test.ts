// The first run on a fresh machine: `npm test` checks its tools first (the `pretest`
// script, scripts/prerequisites), installs what it can and names the rest exactly.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  commandOutput,
  ensurePrerequisites,
  formatOutcomes,
  prerequisites,
  type Prerequisite,
  type Probe,
  type Runner,
} from '../../scripts/prerequisites/prerequisites';
import { repoRoot } from './lib/repo-files';

jest.setTimeout(120_000);

const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');

/** A prerequisite whose probe answers from `present` (the fake machine's state). */
function tool(name: string, install: Prerequisite['install'], present: Set<string>): Prerequisite {
  return {
    name,
    why: `the ${name} tests`,
    probe: (): Probe => (present.has(name) ? { ok: true, detail: `${name} 1.0` } : { ok: false, problem: `${name} is not on PATH` }),
    install,
    hint: `apt-get install -y ${name}`,
  };
}

/** A fake machine: records commands; `apt-get install` makes the named packages present. */
function fakeRunner(present: Set<string>, opts: { privilege?: 'root' | 'sudo' | 'none'; apt?: boolean; aptFails?: boolean } = {}) {
  const commands: string[] = [];
  const runner: Runner = {
    run(command, args, runOpts) {
      commands.push([command, ...args].join(' ') + (runOpts?.cwd ? ` (in ${runOpts.cwd})` : ''));
      const aptAt = args.indexOf('apt-get');
      if (command === 'env' || command === 'sudo') {
        if (opts.aptFails) return 100;
        if (args[aptAt + 1] === 'install') for (const p of args.slice(aptAt + 2).filter((a) => !a.startsWith('-'))) present.add(p);
      }
      if (args.includes('ci')) present.add('node 22');
      return 0;
    },
    privilege: () => opts.privilege ?? 'root',
    hasApt: () => opts.apt ?? true,
    log: () => undefined,
  };
  return { runner, commands };
}

describe('the prerequisite check', () => {
  test('installs a missing Debian package with apt-get as root, then finds it', async () => {
    const present = new Set(['terraform']);
    const list = [tool('shellcheck', { kind: 'apt', package: 'shellcheck' }, present), tool('terraform', { kind: 'manual' }, present)];
    const { runner, commands } = fakeRunner(present);
    const outcomes = await ensurePrerequisites(list, runner, { install: true });
    expect(commands).toEqual([
      'env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck',
    ]);
    expect(outcomes.map((o) => [o.name, o.ok, o.installed ?? false])).toEqual([
      ['shellcheck', true, true],
      ['terraform', true, false],
    ]);
  });

  test('uses password-less sudo when not root', async () => {
    const present = new Set<string>();
    const { runner, commands } = fakeRunner(present, { privilege: 'sudo' });
    await ensurePrerequisites([tool('curl', { kind: 'apt', package: 'curl' }, present)], runner, { install: true });
    expect(commands[1]).toBe('sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl');
  });

  test('without root or sudo it installs nothing and says exactly how to install the tool', async () => {
    const present = new Set<string>();
    const list = [tool('shellcheck', { kind: 'apt', package: 'shellcheck' }, present)];
    const { runner, commands } = fakeRunner(present, { privilege: 'none' });
    const outcomes = await ensurePrerequisites(list, runner, { install: true });
    expect(commands).toEqual([]);
    expect(outcomes[0]).toMatchObject({ ok: false, detail: 'shellcheck is not on PATH; installing it needs root or password-less sudo' });
    const report = formatOutcomes(list, outcomes);
    expect(report).toContain('MISSING shellcheck');
    expect(report).toContain('npm test cannot run: 1 prerequisite is missing.');
    expect(report).toContain('- shellcheck (needed by the shellcheck tests): apt-get install -y shellcheck');
  });

  test('a failed apt-get install is reported, not hidden', async () => {
    const present = new Set<string>();
    const { runner } = fakeRunner(present, { aptFails: true });
    const [outcome] = await ensurePrerequisites([tool('git', { kind: 'apt', package: 'git' }, present)], runner, { install: true });
    expect(outcome).toMatchObject({ ok: false, detail: expect.stringContaining('apt-get install failed') });
  });

  test('a tool it may not install (terraform, moto) is named with its install command, nothing is run', async () => {
    const present = new Set<string>();
    const list = [tool('terraform', { kind: 'manual' }, present)];
    const { runner, commands } = fakeRunner(present);
    const outcomes = await ensurePrerequisites(list, runner, { install: true });
    expect(commands).toEqual([]);
    expect(outcomes[0]).toMatchObject({ ok: false, hint: 'apt-get install -y terraform' });
  });

  test('Node 22 comes from its own lock file with npm ci; --check-only installs nothing', async () => {
    const present = new Set<string>();
    const list = [tool('node 22', { kind: 'npm-ci', dir: '/repo/scripts/node22' }, present)];
    const checkOnly = fakeRunner(present);
    expect((await ensurePrerequisites(list, checkOnly.runner, { install: false }))[0]?.ok).toBe(false);
    expect(checkOnly.commands).toEqual([]);
    const { runner, commands } = fakeRunner(present);
    expect((await ensurePrerequisites(list, runner, { install: true }))[0]).toMatchObject({ ok: true, installed: true });
    expect(commands).toEqual([expect.stringMatching(/ ci --no-audit --no-fund \(in \/repo\/scripts\/node22\)$/)]);
  });

  test('a command that is not on PATH is reported as such', () => {
    expect(commandOutput('shellcheck', ['--version'], { PATH: '/nonexistent' })).toEqual({ ok: false, problem: 'shellcheck is not on PATH' });
  });

  test('the real list covers every tool the tests use, each with an install command', () => {
    const list = prerequisites();
    expect(list.map((p) => p.name)).toEqual([
      'node',
      'git',
      'curl',
      'shellcheck',
      'aws',
      'moto_server',
      'terraform',
      'terraform provider mirror',
      'node 22',
    ]);
    expect(list.find((p) => p.name === 'shellcheck')?.install).toEqual({ kind: 'apt', package: 'shellcheck' });
    for (const p of list) expect(p.hint.length).toBeGreaterThan(10);
  });

  test('on this machine the check passes (run as the pretest step runs it, installing nothing)', async () => {
    const result = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/prerequisites/check.ts', '--check-only'], { cwd: repoRoot }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });
    expect(result.out).toMatch(/^ok {6}shellcheck: shellcheck \d+\.\d+/m);
    expect(result.out).toMatch(/^ok {6}node 22: node v22\./m);
    expect(result.code).toBe(0);
  });
});

describe('what npm ci installs needs no tools of its own', () => {
  // Install scripts that build nothing: each only checks for, or picks, the prebuilt binary
  // its platform package brought (read in the installed packages' own scripts).
  const buildsNothing: Record<string, string> = {
    'node_modules/esbuild': 'postinstall: node install.js, checks the @esbuild/<platform> binary',
    'node_modules/@swc/core': 'postinstall: node postinstall.js, checks the @swc/core-<platform> binding',
    'node_modules/@parcel/watcher': 'install: node-gyp only when npm_config_build_from_source=true',
  };

  test.each(['package-lock.json', 'scripts/node22/package-lock.json'])('%s: no other package runs an install script', (lock) => {
    // Any other install script usually builds native code (node-gyp, autoconf, libtool):
    // tools the prerequisite check would then have to install too. Add them there first.
    const packages = (JSON.parse(read(lock)) as { packages: Record<string, { hasInstallScript?: boolean }> }).packages;
    expect(Object.keys(packages).length).toBeGreaterThan(1);
    const scripted = Object.entries(packages).filter(([, p]) => p.hasInstallScript).map(([name]) => name);
    expect(scripted.filter((name) => !(name in buildsNothing))).toEqual([]);
  });
});

describe('the README test command is the one that sets up the machine', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

  test('npm test runs the prerequisite check first (pretest)', () => {
    expect(pkg.scripts.pretest).toBe('tsx scripts/prerequisites/check.ts');
  });

  test('the README and .ci/run run exactly `npm ci && npm test`', () => {
    expect(read('README.md')).toMatch(/^npm ci && npm test +# /m);
    const ciRun = read('.ci/run');
    expect(ciRun).toMatch(/^npm ci && npm test \|\| status=\$\?$/m);
    // No second place that installs tools: that belongs to the pretest step.
    expect(ciRun).not.toMatch(/apt-get|pip install/);
  });
});
