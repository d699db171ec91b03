/**
 * The real probe script, run inside real local machines, prints what the RunnerMachine
 * model says it must, for the same states: the agents' world (SSM twin, real script) and
 * the chaos world (in memory, `probeAnswer`) cannot drift apart. Also: each machine sees
 * only its own Runner.Worker, the reaper's parser accepts every answer, and the script's
 * strict paths (no runner root, a hostile root) print no JSON.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProbeOutput, type ProbeAnswer } from '../../../lambda/src/adapters/probe-answer';
import { LocalMachine, MACHINE_RUNNER_ROOT } from '../../machine/local-machine';
import { isoSecond } from '../../machine/runner-machine';
import { REPO_ROOT } from '../../world/world';

const PROBE = readFileSync(join(REPO_ROOT, 'modules', 'probe', 'scripts', 'probe.sh'), 'utf8');

function answerOf(stdout: string): ProbeAnswer & { detail?: string } {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

describe('the probe script against the RunnerMachine model', () => {
  let base: string;
  const machines: LocalMachine[] = [];
  const machine = async (instanceId: string, hooks: 'proven' | 'overridden' | 'none' = 'none') => {
    const m = new LocalMachine({ instanceId, spec: { hooks, ssm: true }, baseDir: base });
    machines.push(m);
    await m.boot();
    return m;
  };

  /** Probes the machine and checks the answer equals the model's for the probe's own `now`. */
  const probeMatchesModel = async (m: LocalMachine) => {
    const run = await m.runScript(PROBE, { timeoutMs: 20_000 });
    expect(run).toMatchObject({ code: 0, timedOut: false });
    const { detail, ...answer } = answerOf(run.stdout);
    expect(answer).toEqual(m.model.probeAnswer(Date.parse(answer.now)));
    expect(parseProbeOutput(run.stdout).kind).toBe('answered');
    return { ...answer, detail };
  };

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'probe-model-'));
  });
  afterAll(async () => {
    for (const m of machines) await m.destroy();
    rmSync(base, { recursive: true, force: true });
  });

  it('idle, never ran a job, before and after the runner started', async () => {
    const m = await machine('i-0000000000000aaa1');
    const before = await probeMatchesModel(m);
    expect(before).toMatchObject({ busy: false, workers: 0, idleSince: null });

    const startedAt = Date.now() - 95_000;
    m.listenerStarted(startedAt);
    const after = await probeMatchesModel(m);
    expect(after).toMatchObject({ busy: false, idleSince: isoSecond(startedAt) });
    expect(after.detail).toMatch(/no job has run since the runner started/);
  }, 30_000);

  it('busy while a Worker runs, idle since its end afterwards', async () => {
    const m = await machine('i-0000000000000aaa2', 'proven');
    m.listenerStarted(Date.now() - 600_000);
    await m.workerStarted(Date.now() - 300_000);
    const busy = await probeMatchesModel(m);
    expect(busy).toMatchObject({ busy: true, workers: 1, idleSince: null });
    expect(busy.detail).toContain(`1 under ${MACHINE_RUNNER_ROOT}`);

    const endedAt = Date.now() - 42_000;
    await m.workerEnded(endedAt);
    expect(await probeMatchesModel(m)).toMatchObject({ busy: false, workers: 0, idleSince: isoSecond(endedAt) });

    // A second job: busy again, then idle since the newest Worker's end.
    await m.workerStarted(Date.now() - 20_000);
    expect(await probeMatchesModel(m)).toMatchObject({ busy: true });
    const secondEnd = Date.now() - 5_000;
    await m.workerEnded(secondEnd);
    expect(await probeMatchesModel(m)).toMatchObject({ idleSince: isoSecond(secondEnd) });
  }, 30_000);

  it('each machine sees only its own Runner.Worker, which is a real process', async () => {
    const busy = await machine('i-0000000000000aaa3');
    const idle = await machine('i-0000000000000aaa4');
    busy.listenerStarted(Date.now() - 60_000);
    idle.listenerStarted(Date.now() - 60_000);
    await busy.workerStarted(Date.now() - 10_000);
    expect((await probeMatchesModel(busy)).busy).toBe(true);
    expect((await probeMatchesModel(idle)).busy).toBe(false);

    // The host sees it too, under its runner root, named as the runner names it.
    const ps = execFileSync('ps', ['-eo', 'comm=,args='], { encoding: 'utf8' });
    expect(ps).toMatch(/^Runner.Worker\s+\/opt\/actions-runner\/bin\/Runner.Worker /m);
    await busy.destroy();
    expect(busy.alive).toBe(false);
  }, 30_000);

  it('prints no JSON when the runner root is missing or not a plain path', async () => {
    const m = await machine('i-0000000000000aaa5');
    const missing = await m.runScript(PROBE, { env: { RUNNER_REAPER_RUNNER_ROOT: '/opt/no-runner-here' } });
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/no runner root at \/opt\/no-runner-here/);
    expect(parseProbeOutput(missing.stdout).kind).toBe('error');

    const hostile = await m.runScript(PROBE, { env: { RUNNER_REAPER_RUNNER_ROOT: '/opt/x"; touch /tmp/pwned; "' } });
    expect(hostile).toMatchObject({ code: 2, stdout: '' });
    expect(hostile.stderr).toMatch(/may only contain/);
  }, 30_000);

  it('kills a script that overruns its deadline', async () => {
    const m = await machine('i-0000000000000aaa6');
    const run = await m.runScript('sleep 30', { timeoutMs: 300 });
    expect(run).toMatchObject({ code: null, timedOut: true });
  }, 30_000);
});
