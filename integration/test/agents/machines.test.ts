/**
 * Agents on real local machines: the hook installs (proven, overridden, none), the boot
 * marker, a real Runner.Worker process exactly while a job runs, the probe's answer from
 * the machine's real state, and no process left behind when an instance goes.
 */
import { DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunnerFleet } from '../../agents';
import { OutcomeLedger } from '../../ledger';
import { MotoServer, motoEc2 } from '../../moto';
import { JobDispatcher, VirtualClock } from '../../twin';
import { REPO_ROOT } from '../../world/world';

jest.setTimeout(60_000);

const ORG = { type: 'Org' as const, owner: 'my-org' };
const PROBE = readFileSync(join(REPO_ROOT, 'modules', 'probe', 'scripts', 'probe.sh'), 'utf8');

/** Host pids of the Runner.Worker processes of machines below `dir`. */
function workersBelow(dir: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'Runner.Worker')
    .map(([pid]) => Number(pid))
    .filter((pid) => {
      try {
        // Inside one of this test's machines: its mount namespace has our runner root mounted.
        return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(dir);
      } catch {
        return false; // ended meanwhile
      }
    });
}

describe('agents on real local machines', () => {
  const moto = new MotoServer();
  let ec2: EC2Client;
  let clock: VirtualClock;
  let dispatcher: JobDispatcher;
  let fleet: RunnerFleet;
  let base: string;

  beforeAll(async () => {
    await moto.start();
    ec2 = motoEc2(moto.url);
  });
  afterAll(() => moto.stop());
  beforeEach(async () => {
    await moto.reset();
    base = mkdtempSync(join(tmpdir(), 'agents-machines-'));
    // World time behind wall time: the machines' file times must not be in the probe's future.
    clock = new VirtualClock(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    const ledger = new OutcomeLedger();
    dispatcher = new JobDispatcher(clock, ledger);
    fleet = new RunnerFleet({ dispatcher, clock, ec2, ledger, watchIntervalMs: 0, machinesDir: base });
  });
  afterEach(async () => {
    await fleet.close();
    expect(workersBelow(base)).toEqual([]);
    rmSync(base, { recursive: true, force: true });
  });

  async function tagsOf(instanceId: string): Promise<Record<string, string>> {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const inst = out.Reservations![0]!.Instances![0]!;
    return Object.fromEntries((inst.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  }

  const probe = async (instanceId: string) => {
    const run = await fleet.machine(instanceId)!.runScript(PROBE);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as { busy: boolean; idleSince: string | null; workers: number };
  };

  it('writes the boot marker and hook tags only for a proven install, and runs a real Worker for every job', async () => {
    const [proven] = await fleet.launch({ owner: ORG, hooks: 'proven', ssm: true, setUpMs: 500, hookDelayMs: 500 });
    const [overridden] = await fleet.launch({ owner: ORG, hooks: 'overridden', ssm: true, setUpMs: 500, hookDelayMs: 500 });
    const [none] = await fleet.launch({ owner: ORG, hooks: 'none', ssm: false, setUpMs: 500, hookDelayMs: 500 });
    const ids = [proven!.instanceId, overridden!.instanceId, none!.instanceId];
    expect((await tagsOf(ids[0]!))['ghr:job-hooks']).toBe('1');
    expect((await tagsOf(ids[1]!))['ghr:job-hooks']).toBeUndefined();
    expect((await tagsOf(ids[2]!))['ghr:job-hooks']).toBeUndefined();
    expect(readFileSync(join(fleet.machine(ids[1]!)!.runnerRoot, '.env'), 'utf8')).toMatch(/HOOK_JOB_STARTED=\/opt\/runner-reaper.*\n.*HOOK_JOB_STARTED=\/opt\/actions-runner\/hook_job_started.sh/s);
    expect(fleet.agent(ids[2]!)!.machine.spec).toEqual({ hooks: 'none', ssm: false });

    for (const id of ids) expect(await probe(id)).toMatchObject({ busy: false, workers: 0 });
    const jobs = ids.map(() => dispatcher.enqueue({ durationMs: 20_000 }));
    // The Worker starts with the job; the job-started hook runs only after "Set up job" (500 ms)
    // and takes 500 ms itself: the probe sees the job before the hook's tag exists.
    await clock.advance(1200);
    expect(jobs.map((j) => j.phase)).toEqual(['running', 'running', 'running']);
    for (const id of ids) {
      expect(await probe(id)).toMatchObject({ busy: true, workers: 1, idleSince: null });
      expect(fleet.agent(id)!.machine.busy).toBe(true);
    }
    expect(workersBelow(base)).toHaveLength(3);
    expect((await tagsOf(ids[0]!))['ghr:job']).toBeUndefined();
    await clock.advance(1300);
    expect((await tagsOf(ids[0]!))['ghr:job']).toBeDefined();
    expect((await tagsOf(ids[1]!))['ghr:job']).toBeUndefined();
    expect((await tagsOf(ids[2]!))['ghr:job']).toBeUndefined();

    await clock.advance(25_000);
    expect(jobs.map((j) => j.phase)).toEqual(['completed', 'completed', 'completed']);
    expect(workersBelow(base)).toEqual([]);
    for (const id of ids) {
      const answer = await probe(id);
      const machine = fleet.agent(id)!.machine;
      expect(answer).toMatchObject({ busy: false, idleSince: new Date(Math.floor(machine.lastWorkerEndedAt! / 1000) * 1000).toISOString().replace('.000Z', 'Z') });
    }
  });

  it('kills the Worker and ends the machine when its instance is terminated mid-job', async () => {
    const [one] = await fleet.launch({ owner: ORG, hooks: 'none', ssm: true });
    dispatcher.enqueue({ durationMs: 600_000 });
    await clock.advance(2000);
    expect(workersBelow(base)).toHaveLength(1);
    const machine = fleet.machine(one!.instanceId)!;
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [one!.instanceId] }));
    await fleet.sweep();
    expect(fleet.agent(one!.instanceId)!.state).toBe('dead');
    for (let i = 0; i < 50 && (machine.alive || existsSync(machine.dir)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(machine.alive).toBe(false);
    expect(workersBelow(base)).toEqual([]);
    await expect(machine.runScript(PROBE)).rejects.toThrow(/not running/);
  });
});
