import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsFailure } from '../../src/cli/aws-errors';
import { CliFailure, EXIT } from '../../src/cli/exit-codes';
import { main } from '../../src/cli/main';
import { WriteRefused } from '../../src/cli/read-only';

const ROOT = join(__dirname, '..', '..', '..');

describe('runner-reaper <command>', () => {
  async function run(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, now: () => new Date() });
    return { code, stdout, stderr };
  }

  it('help lists the commands', async () => {
    expect(await run(['help'])).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('plan ') });
    expect((await run(['--help'])).code).toBe(EXIT.ok);
  });

  it('no command or an unknown one: usage on stderr, exit 2', async () => {
    expect(await run([])).toMatchObject({ code: EXIT.badConfiguration, stdout: '', stderr: expect.stringContaining('Usage: runner-reaper <command>') });
    expect(await run(['apply'])).toMatchObject({ code: EXIT.badConfiguration, stderr: expect.stringContaining('unknown command "apply"') });
  });

  it('plan is dispatched with its own arguments', async () => {
    expect(await run(['plan', '--help'])).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('Usage: runner-reaper plan') });
  });
});

describe('the package runs it', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

  it('`npx runner-reaper` is the bin, an executable node script', () => {
    const bin = join(ROOT, pkg.bin['runner-reaper']!);
    expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('`npm run plan --` runs the same bin with the plan command', () => {
    expect(pkg.scripts.plan).toBe(`node ${pkg.bin['runner-reaper']} plan`);
  });
});

describe('awsFailure', () => {
  const named = (name: string, message = 'm', extra: object = {}) => Object.assign(new Error(message), { name, ...extra });

  it.each([
    [named('CredentialsProviderError', 'Could not load credentials from any providers'), EXIT.unreadable, /^No AWS credentials: cannot list things\./],
    [named('ExpiredToken'), EXIT.unreadable, /^AWS refused the credentials \(ExpiredToken\): cannot list things/],
    [named('UnauthorizedOperation', 'You are not authorized'), EXIT.unreadable, /^Not allowed to list things \(UnauthorizedOperation\): You are not authorized/],
    [named('Error', 'connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }), EXIT.unreadable, /^AWS is unreachable: cannot list things \(ECONNREFUSED/],
    [named('TimeoutError', 'timed out'), EXIT.unreadable, /^AWS is unreachable/],
    [named('InternalError', 'boom'), EXIT.unreadable, /^Cannot list things: InternalError: boom$/],
    [new WriteRefused('refused EC2Client CreateTags'), EXIT.internal, /refused EC2Client CreateTags/],
  ])('%s', (error, exitCode, message) => {
    const failure = awsFailure(error, 'list things');
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.message).toMatch(message);
  });

  it('passes a CliFailure through', () => {
    const failure = new CliFailure(EXIT.badConfiguration, 'x');
    expect(awsFailure(failure, 'y')).toBe(failure);
  });
});
