// .github/scripts/localstack.sh, run against a stand-in `docker` (and `curl`) that record
// their arguments: what the e2e workflow really asks Docker for, with and without a token.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './lib/repo-files';

const scratch = mkdtempSync(join(tmpdir(), 'localstack-sh-'));
const calls = join(scratch, 'docker-calls');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// docker: one line per call, arguments separated by tabs; `ps` answers with two
// leftover Lambda containers. curl: LocalStack's health answer, naming ec2.
writeFileSync(
  join(scratch, 'docker'),
  `#!/bin/sh\n(IFS="$(printf '\\t')"; echo "$*") >>"${calls}"\n[ "$1" = ps ] && printf 'c1\\nc2\\n'\nexit 0\n`,
);
writeFileSync(join(scratch, 'curl'), '#!/bin/sh\necho \'{"services": {"ec2": "running"}}\'\n');
chmodSync(join(scratch, 'docker'), 0o755);
chmodSync(join(scratch, 'curl'), 0o755);

function run(args: string[], env: Record<string, string> = {}): string[][] {
  writeFileSync(calls, '');
  const result = spawnSync('bash', [join(repoRoot, '.github/scripts/localstack.sh'), ...args], {
    env: { PATH: `${scratch}:${process.env.PATH}`, HOME: scratch, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`localstack.sh ${args.join(' ')} failed: ${result.stderr}`);
  return readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean).map((line) => line.split('\t'));
}

describe('localstack.sh start', () => {
  test('without a token (the workflow sets it empty): the free 4.14.0 image, no token, no licensed-only settings', () => {
    const [dockerRun] = run(['start'], { LOCALSTACK_AUTH_TOKEN: '' });
    expect(dockerRun?.slice(0, 2)).toEqual(['run', '--detach']);
    expect(dockerRun?.at(-1)).toBe('localstack/localstack:4.14.0');
    expect(dockerRun).not.toContain('LOCALSTACK_AUTH_TOKEN');
    expect(dockerRun?.join(' ')).not.toMatch(/EC2_VM_MANAGER|ENFORCE_IAM/);
  });

  test('with a token: the licensed image, the token passed on, EC2 instances as records (mock), IAM enforced', () => {
    const [dockerRun] = run(['start'], { LOCALSTACK_AUTH_TOKEN: 'ls-token', LOCALSTACK_LICENSED_IMAGE: 'localstack/localstack:2026.09.1' });
    expect(dockerRun?.at(-1)).toBe('localstack/localstack:2026.09.1');
    const envs = (dockerRun ?? []).flatMap((arg, i, all) => (arg === '--env' ? [all[i + 1]] : []));
    expect(envs).toEqual(expect.arrayContaining(['LOCALSTACK_AUTH_TOKEN', 'EC2_VM_MANAGER=mock', 'ENFORCE_IAM=1']));
    // The token's value never appears on the command line (docker reads it from the environment).
    expect(dockerRun?.join(' ')).not.toContain('ls-token');
  });
});

describe('localstack.sh stop', () => {
  test("stops LocalStack, removes its container, then the Lambda containers it started beside it", () => {
    const log = join(scratch, 'localstack.log');
    const docker = run(['stop', log]);
    expect(docker.map((args) => args[0])).toEqual(['logs', 'stop', 'rm', 'ps', 'rm']);
    expect(docker[3]).toEqual(['ps', '--all', '--quiet', '--filter', 'name=^reaper-e2e-localstack-lambda-']);
    expect(docker[4]).toEqual(['rm', '--force', 'c1', 'c2']);
  });
});
