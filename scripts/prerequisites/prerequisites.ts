/**
 * The tools `npm test` needs beyond node_modules, checked before the tests start (the
 * npm `pretest` step): found, installed when that can be done safely, or named with the
 * exact way to install them. One list, so the README, CONTRIBUTING and `.ci/run` never
 * disagree about what a fresh machine needs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { discoverMirror } from '../terraform/cli-config';
import { NODE22_DIR, NODE22_INSTALL_HINT, findNode22 } from '../node22/node22';

/**
 * What a probe found. A failure with its own `hint` is not a missing package: nothing is
 * installed for it, and the hint (how to fix it) replaces the prerequisite's own.
 */
export type Probe = { ok: true; detail: string } | { ok: false; problem: string; hint?: string };

/** How a missing tool gets onto the machine. */
export type Install =
  /** A Debian/Ubuntu package: installed with apt-get when running as root (or with password-less sudo). */
  | { kind: 'apt'; package: string }
  /** `npm ci` in a directory of this repository (registry packages with their own lock file). */
  | { kind: 'npm-ci'; dir: string }
  /** Nothing this script may install: the hint says how. */
  | { kind: 'manual' };

export interface Prerequisite {
  name: string;
  /** Which tests need it. */
  why: string;
  probe(): Promise<Probe> | Probe;
  install: Install;
  /** The exact command(s) a person runs when the automatic install is not possible. */
  hint: string;
}

/** Runs a command and returns its first output line, or why it could not run. */
export function commandOutput(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, version?: RegExp): Probe {
  const run = spawnSync(command, args, { encoding: 'utf8', env, timeout: 30_000 });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' ? `${command} is not on PATH` : `${command} could not run (${run.error.message})` };
  }
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.status !== 0) return { ok: false, problem: `\`${[command, ...args].join(' ')}\` exited with ${run.status}: ${output.split('\n')[0] ?? ''}` };
  const found = version?.exec(output)?.[1];
  if (found) return { ok: true, detail: `${command} ${found}` };
  // The first line names the version; curl's goes on to list every library it was built with.
  return { ok: true, detail: (output.split('\n')[0] ?? '').split(' ').slice(0, 4).join(' ') };
}

/** `major.minor` of a version string such as "1.11.4" or "v20.20.2", compared with a floor. */
export function atLeast(version: string, floor: [number, number]): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > floor[0] || (major === floor[0] && minor >= floor[1]);
}

function terraformProbe(env: NodeJS.ProcessEnv): Probe {
  const run = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env, timeout: 30_000 });
  if (run.error) return commandOutput('terraform', ['version', '-json'], env);
  let version = '';
  try {
    version = (JSON.parse(run.stdout) as { terraform_version?: string }).terraform_version ?? '';
  } catch {
    return { ok: false, problem: `terraform version -json printed no JSON (exit ${run.status})` };
  }
  // The module's required_version is >= 1.9.0; the tests are developed on 1.11.4.
  if (!atLeast(version, [1, 9])) return { ok: false, problem: `terraform ${version} is too old (1.9 or newer; the tests run on 1.11.4)` };
  return { ok: true, detail: `terraform ${version}` };
}

async function motoProbe(): Promise<Probe> {
  // Started once here so a broken install fails before any test, with moto's own words.
  const { MotoServer } = await import('../../integration/moto/moto-server');
  const moto = new MotoServer({ readyTimeoutMs: 30_000 });
  try {
    const url = await moto.start();
    return { ok: true, detail: `moto_server answers at ${url}/moto-api/` };
  } catch (error) {
    return { ok: false, problem: (error as Error).message.split('\n')[0] ?? 'moto_server did not start' };
  } finally {
    await moto.stop().catch(() => undefined);
  }
}

/** Reads a kernel setting under /proc/sys (`user/max_user_namespaces`), undefined when absent. */
export type SysctlReader = (name: string) => string | undefined;

const readSysctl: SysctlReader = (name) => {
  try {
    return readFileSync(`/proc/sys/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** The kernel setting that turns unprivileged user namespaces off here, if one does. */
export function userNamespaceBlocker(read: SysctlReader): string | undefined {
  if (read('user/max_user_namespaces') === '0') return 'user.max_user_namespaces is 0';
  if (read('kernel/unprivileged_userns_clone') === '0') return "kernel.unprivileged_userns_clone is 0 (Debian's switch)";
  if (read('kernel/apparmor_restrict_unprivileged_userns') === '1') return 'kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10 and later)';
  return undefined;
}

export const MACHINES_HINT =
  'the local runner machines (integration/machine) need root or unprivileged user namespaces: run the tests as root, or allow them ' +
  '(sysctl -w user.max_user_namespaces=15000; on Debian kernel.unprivileged_userns_clone=1; on Ubuntu 23.10 and later kernel.apparmor_restrict_unprivileged_userns=0)';

/**
 * unshare itself, then one machine's namespaces made as integration/machine/local-machine.ts
 * makes them (a user namespace unless root, pid and mount namespaces, a tmpfs over /opt).
 */
export function machineNamespacesProbe(
  env: NodeJS.ProcessEnv,
  opts: { root?: boolean; read?: SysctlReader; command?: string } = {},
): Probe {
  const command = opts.command ?? 'unshare';
  const found = commandOutput(command, ['--version'], env);
  if (!found.ok) return found;
  const root = opts.root ?? process.getuid?.() === 0;
  const args = [...(root ? [] : ['--user', '--map-root-user']), '--pid', '--fork', '--mount-proc', 'sh', '-c', 'mount -t tmpfs runner-reaper-check /opt'];
  const trial = spawnSync(command, args, { encoding: 'utf8', env, timeout: 30_000 });
  if (!trial.error && trial.status === 0) return { ok: true, detail: `${found.detail}; it makes the local machines' namespaces ${root ? 'as root' : 'without root'}` };
  const said = (trial.error?.message ?? (`${trial.stderr ?? ''}`.trim().split('\n')[0] || `exit ${trial.status}`)).trim();
  const blocker = root ? undefined : userNamespaceBlocker(opts.read ?? readSysctl);
  return {
    ok: false,
    problem: `${command} cannot make the local machines' namespaces ${root ? 'even as root' : 'without root'}: ${said}${blocker ? `; ${blocker}, which turns unprivileged user namespaces off` : ''}`,
    hint: MACHINES_HINT,
  };
}

/** Everything `npm test` needs that `npm ci` does not bring. */
export function prerequisites(env: NodeJS.ProcessEnv = process.env): Prerequisite[] {
  return [
    {
      name: 'node',
      why: 'everything (Node.js 20 or newer)',
      probe: () =>
        atLeast(process.versions.node, [20, 0])
          ? { ok: true, detail: `node v${process.versions.node}` }
          : { ok: false, problem: `node v${process.versions.node} is too old` },
      install: { kind: 'manual' },
      hint: 'install Node.js 20 or newer',
    },
    {
      name: 'git',
      why: 'the repository checks (git ls-files) and the Terraform upgrade test (git archive)',
      probe: () => commandOutput('git', ['--version'], env),
      install: { kind: 'apt', package: 'git' },
      hint: 'apt-get install -y git',
    },
    {
      name: 'curl',
      why: 'the runner job hooks (IMDSv2), run against moto',
      probe: () => commandOutput('curl', ['--version'], env),
      install: { kind: 'apt', package: 'curl' },
      hint: 'apt-get install -y curl',
    },
    {
      name: 'shellcheck',
      why: 'the shell script checks (test/repo/shellcheck.test.ts)',
      probe: () => commandOutput('shellcheck', ['--version'], env, /^version:\s*(\S+)/m),
      install: { kind: 'apt', package: 'shellcheck' },
      // The npm package named shellcheck only downloads the binary from GitHub at run time.
      hint: 'apt-get install -y shellcheck (Debian/Ubuntu), brew install shellcheck (macOS)',
    },
    {
      name: 'unshare',
      why: "the real local runner machines (integration/machine), each a pid and mount namespace of its own, which the SSM twin's probe runs in",
      probe: () => machineNamespacesProbe(env),
      install: { kind: 'apt', package: 'util-linux' },
      hint: `apt-get install -y util-linux; ${MACHINES_HINT}`,
    },
    {
      name: 'nsenter',
      why: 'running the probe script inside a local runner machine (the SSM twin)',
      probe: () => commandOutput('nsenter', ['--version'], env),
      install: { kind: 'apt', package: 'util-linux' },
      hint: 'apt-get install -y util-linux',
    },
    {
      name: 'ps',
      why: 'the local runner machine tests, which read the process table (integration/test/agents)',
      probe: () => commandOutput('ps', ['--version'], env),
      install: { kind: 'apt', package: 'procps' },
      hint: 'apt-get install -y procps',
    },
    {
      name: 'aws',
      why: 'the runner job hooks, which call the aws CLI',
      probe: () => commandOutput('aws', ['--version'], env),
      install: { kind: 'manual' },
      hint: "pip install awscli (or the aws CLI v2 from AWS's installer)",
    },
    {
      name: 'moto_server',
      why: 'every end-to-end and Terraform apply test (the AWS emulator)',
      probe: motoProbe,
      install: { kind: 'manual' },
      hint: "pip install 'moto[server]==5.2.1'",
    },
    {
      name: 'terraform',
      why: 'the Terraform tests and the e2e fixture check',
      probe: () => terraformProbe(env),
      install: { kind: 'manual' },
      hint: "Terraform is not a Debian package: install 1.11.x from HashiCorp's release archive into PATH",
    },
    {
      name: 'terraform provider mirror',
      why: 'terraform init without registry access (hashicorp/aws from a filesystem mirror)',
      probe: () => {
        try {
          return { ok: true, detail: `hashicorp/aws mirror at ${discoverMirror(env)}` };
        } catch (error) {
          return { ok: false, problem: (error as Error).message };
        }
      },
      install: { kind: 'manual' },
      hint:
        'on a machine with registry access: .github/scripts/terraform-provider-mirror.sh ~/tf-mirror && export TF_PLUGIN_MIRROR=~/tf-mirror',
    },
    {
      name: 'node 22',
      why: 'the built-zip end-to-end tests on nodejs22.x, the runtime the module deploys',
      probe: () => {
        const found = findNode22(env);
        return found.ok ? { ok: true, detail: `node ${found.version} at ${found.path}` } : { ok: false, problem: found.problem };
      },
      install: { kind: 'npm-ci', dir: NODE22_DIR },
      hint: NODE22_INSTALL_HINT,
    },
  ];
}

export interface Runner {
  /** Runs a command with inherited output; returns its exit status. */
  run(command: string, args: string[], opts?: { cwd?: string }): number;
  /** Whether the process may install system packages (root, or sudo without a password). */
  privilege(): 'root' | 'sudo' | 'none';
  /** Whether apt-get is there at all. */
  hasApt(): boolean;
  log(line: string): void;
}

export const systemRunner = (env: NodeJS.ProcessEnv = process.env): Runner => ({
  run(command, args, opts = {}) {
    const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    return result.error ? 127 : (result.status ?? 1);
  },
  privilege() {
    if (process.getuid?.() === 0) return 'root';
    return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', env }).status === 0 ? 'sudo' : 'none';
  },
  hasApt: () => spawnSync('apt-get', ['--version'], { stdio: 'ignore', env }).status === 0,
  log: (line) => process.stdout.write(`${line}\n`),
});

export interface Outcome {
  name: string;
  ok: boolean;
  /** What was found, or what is wrong. */
  detail: string;
  installed?: boolean;
  hint?: string;
}

/**
 * Probes every prerequisite; installs the missing ones that can be installed (Debian
 * packages as root or with password-less sudo, npm packages with their lock files) unless
 * `install` is false; probes those again. Returns one outcome per prerequisite.
 */
export async function ensurePrerequisites(list: Prerequisite[], runner: Runner, opts: { install: boolean }): Promise<Outcome[]> {
  const first = await Promise.all(list.map(async (p) => ({ p, probe: await p.probe() })));
  // A failure that says how to fix it is not a missing package: nothing to install.
  const missing = first.filter(({ probe }) => !probe.ok && !probe.hint).map(({ p }) => p);
  const notes = new Map<string, string>();

  if (opts.install) {
    const apt = [...new Set(missing.flatMap((p) => (p.install.kind === 'apt' ? [p.install.package] : [])))];
    if (apt.length > 0) {
      const privilege = runner.privilege();
      if (!runner.hasApt()) {
        for (const p of missing) if (p.install.kind === 'apt') notes.set(p.name, 'apt-get is not available here');
      } else if (privilege === 'none') {
        for (const p of missing) if (p.install.kind === 'apt') notes.set(p.name, 'installing it needs root or password-less sudo');
      } else {
        const sudo = privilege === 'sudo' ? ['sudo', '-n'] : [];
        const apt_get = (...args: string[]) => {
          const [command, ...rest] = [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
          return runner.run(command!, rest);
        };
        runner.log(`prerequisites: installing ${apt.join(', ')} with apt-get`);
        if (apt_get('update', '-qq') !== 0 || apt_get('install', '-y', '-qq', '--no-install-recommends', ...apt) !== 0) {
          for (const p of missing) if (p.install.kind === 'apt') notes.set(p.name, 'apt-get install failed (see its output above)');
        }
      }
    }
    for (const p of missing) {
      if (p.install.kind !== 'npm-ci') continue;
      runner.log(`prerequisites: installing ${p.name} (npm ci in ${p.install.dir})`);
      const npmCli = process.env.npm_execpath;
      const status = npmCli
        ? runner.run(process.execPath, [npmCli, 'ci', '--no-audit', '--no-fund'], { cwd: p.install.dir })
        : runner.run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: p.install.dir });
      if (status !== 0) notes.set(p.name, 'npm ci failed (see its output above)');
    }
  }

  const outcomes: Outcome[] = [];
  for (const { p, probe } of first) {
    if (probe.ok) {
      outcomes.push({ name: p.name, ok: true, detail: probe.detail });
      continue;
    }
    const tried = opts.install && p.install.kind !== 'manual' && !probe.hint && !notes.has(p.name);
    const again = tried ? await p.probe() : probe;
    if (again.ok) outcomes.push({ name: p.name, ok: true, detail: again.detail, installed: true });
    else {
      const note = notes.get(p.name);
      outcomes.push({ name: p.name, ok: false, detail: note ? `${again.problem}; ${note}` : again.problem, hint: again.hint ?? p.hint });
    }
  }
  return outcomes;
}

/** The report: one line per prerequisite, then for each missing one what needs it and how to install it. */
export function formatOutcomes(list: Prerequisite[], outcomes: Outcome[]): string {
  const lines = outcomes.map((o) => `${o.ok ? 'ok     ' : 'MISSING'} ${o.name}: ${o.detail}${o.installed ? ' (installed just now)' : ''}`);
  const missing = outcomes.filter((o) => !o.ok);
  if (missing.length > 0) {
    lines.push('', `npm test cannot run: ${missing.length} prerequisite${missing.length === 1 ? ' is' : 's are'} missing.`);
    for (const o of missing) {
      const why = list.find((p) => p.name === o.name)?.why ?? '';
      lines.push(`- ${o.name} (needed by ${why}): ${o.hint}`);
    }
  }
  return lines.join('\n');
}
