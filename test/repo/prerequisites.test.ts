// The first run on a fresh machine: `npm test` checks its tools first (the `pretest`
// script, scripts/prerequisites), installs what it can and names the rest exactly.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MACHINES_HINT,
  commandOutput,
  ensurePrerequisites,
  formatOutcomes,
  machineNamespacesProbe,
  prerequisites,
  userNamespaceBlocker,
  type Prerequisite,
  type Probe,
  type Runner,
} from '../../scripts/prerequisites/prerequisites';
import { NODE22_INSTALL_HINT } from '../../scripts/node22/node22';
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

  test('one apt-get install for the tools one package brings (unshare and nsenter: util-linux)', async () => {
    const present = new Set<string>();
    const list = [tool('unshare', { kind: 'apt', package: 'util-linux' }, present), tool('nsenter', { kind: 'apt', package: 'util-linux' }, present)];
    const { runner, commands } = fakeRunner(present);
    await ensurePrerequisites(list, runner, { install: true });
    expect(commands[1]).toBe('env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends util-linux');
  });

  test('a failure that says how to fix it (not a missing package) installs nothing and reports its own hint', async () => {
    const present = new Set<string>();
    const blocked: Prerequisite = {
      ...tool('unshare', { kind: 'apt', package: 'util-linux' }, present),
      probe: () => ({ ok: false, problem: 'unshare cannot make the namespaces', hint: 'run as root' }),
    };
    const { runner, commands } = fakeRunner(present);
    const outcomes = await ensurePrerequisites([blocked], runner, { install: true });
    expect(commands).toEqual([]);
    expect(outcomes[0]).toEqual({ name: 'unshare', ok: false, detail: 'unshare cannot make the namespaces', hint: 'run as root' });
    expect(formatOutcomes([blocked], outcomes)).toContain('- unshare (needed by the unshare tests): run as root');
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
      'unshare',
      'nsenter',
      'ps',
      'aws',
      'moto_server',
      'terraform',
      'terraform provider mirror',
      'node 22',
    ]);
    expect(list.find((p) => p.name === 'shellcheck')?.install).toEqual({ kind: 'apt', package: 'shellcheck' });
    // The Debian packages that bring the local machines' tools.
    expect(Object.fromEntries(list.filter((p) => ['unshare', 'nsenter', 'ps'].includes(p.name)).map((p) => [p.name, p.install]))).toEqual({
      unshare: { kind: 'apt', package: 'util-linux' },
      nsenter: { kind: 'apt', package: 'util-linux' },
      ps: { kind: 'apt', package: 'procps' },
    });
    for (const p of list) expect(p.hint.length).toBeGreaterThan(10);
  });

  describe("the local machines' namespaces", () => {
    const dir = mkdtempSync(join(tmpdir(), 'prerequisites-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    /** An unshare that reports its version but is refused every namespace. */
    const refusedUnshare = join(dir, 'unshare');
    writeFileSync(
      refusedUnshare,
      '#!/bin/sh\nif [ "$1" = --version ]; then echo "unshare from util-linux 2.39.3"; exit 0; fi\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n',
      { mode: 0o755 },
    );

    test('are made here the way the machines make them, with the user namespace a non-root user needs too', () => {
      expect(machineNamespacesProbe(process.env, { root: false })).toEqual({
        ok: true,
        detail: expect.stringMatching(/^unshare from util-linux [\d.]+; it makes the local machines' namespaces without root$/),
      });
      expect(machineNamespacesProbe(process.env)).toMatchObject({ ok: true });
    });

    test('refused without root: the kernel setting that turns them off is named, with how to fix it', () => {
      const read = (name: string) => ({ 'kernel/apparmor_restrict_unprivileged_userns': '1', 'user/max_user_namespaces': '15000' })[name];
      expect(machineNamespacesProbe(process.env, { root: false, read, command: refusedUnshare })).toEqual({
        ok: false,
        problem:
          `${refusedUnshare} cannot make the local machines' namespaces without root: unshare: unshare failed: Operation not permitted; ` +
          'kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10 and later), which turns unprivileged user namespaces off',
        hint: MACHINES_HINT,
      });
      expect(MACHINES_HINT).toMatch(/need root or unprivileged user namespaces: run the tests as root, or allow them/);
      // Refused as root: no kernel setting to blame.
      expect(machineNamespacesProbe(process.env, { root: true, read, command: refusedUnshare })).toMatchObject({
        problem: `${refusedUnshare} cannot make the local machines' namespaces even as root: unshare: unshare failed: Operation not permitted`,
      });
      // Not there at all: a missing package, which apt-get installs.
      expect(machineNamespacesProbe({ PATH: '/nonexistent' }, { root: false })).toEqual({ ok: false, problem: 'unshare is not on PATH' });
    });

    test('each kernel switch for unprivileged user namespaces is recognised', () => {
      const only = (name: string, value: string) => (asked: string) => (asked === name ? value : undefined);
      expect(userNamespaceBlocker(only('user/max_user_namespaces', '0'))).toBe('user.max_user_namespaces is 0');
      expect(userNamespaceBlocker(only('kernel/unprivileged_userns_clone', '0'))).toBe("kernel.unprivileged_userns_clone is 0 (Debian's switch)");
      expect(userNamespaceBlocker(only('kernel/apparmor_restrict_unprivileged_userns', '1'))).toMatch(/^kernel.apparmor_restrict_unprivileged_userns is 1/);
      expect(userNamespaceBlocker(only('kernel/apparmor_restrict_unprivileged_userns', '0'))).toBeUndefined();
      expect(userNamespaceBlocker(() => undefined)).toBeUndefined();
    });
  });

  describe('on this machine, run as the pretest step runs it (installing nothing)', () => {
    // Whether Node 22 is there depends on whether `npm run pretest` (or `npm test`) has run
    // in this working tree yet: pretest installs it. Each test fixes that state itself.
    const dir = mkdtempSync(join(tmpdir(), 'prerequisites-node22-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const checkOnly = (env: NodeJS.ProcessEnv) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'scripts/prerequisites/check.ts', '--check-only'],
          { cwd: repoRoot, env: { ...process.env, ...env } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
        );
      });

    test('with Node 22 installed (here a stand-in named by NODE22_BINARY), every prerequisite is found and the check passes', async () => {
      const node22 = join(dir, 'node22');
      writeFileSync(node22, '#!/bin/sh\necho v22.99.0\n', { mode: 0o755 });
      const result = await checkOnly({ NODE22_BINARY: node22 });
      expect(result.out).toMatch(/^ok {6}shellcheck: shellcheck \d+\.\d+/m);
      expect(result.out).toMatch(/^ok {6}unshare: unshare from util-linux [\d.]+; it makes the local machines' namespaces/m);
      expect(result.out).toContain(`ok      node 22: node v22.99.0 at ${node22}`);
      expect(result.out).not.toContain('MISSING');
      expect(result.code).toBe(0);
    });

    test('before pretest installed Node 22, the check fails naming only it, and how npm test installs it', async () => {
      const absent = join(dir, 'no-node22-here');
      const result = await checkOnly({ NODE22_BINARY: absent });
      expect(result.out.match(/^MISSING .*$/gm)).toEqual([`MISSING node 22: no Node 22 executable at NODE22_BINARY=${absent}`]);
      expect(result.out).toContain(`- node 22 (needed by the built-zip end-to-end tests on nodejs22.x, the runtime the module deploys): ${NODE22_INSTALL_HINT}`);
      expect(result.code).toBe(1);
    });
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
