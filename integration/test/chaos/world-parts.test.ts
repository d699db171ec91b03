/**
 * The chaos world's parts, one at a time: the paced transport, the in-memory probe, the
 * machines the agents drive (boot marker, hook tags, probe answers), the oracle's rules and
 * ours' probe wiring.
 */
import { HOOKS_CONTRACT_VERSION, TAG } from '../../../lambda/src/core';
import {
  ChaosWorld,
  DEFAULT_ARRIVALS,
  GITHUB_MODELS,
  MemoryProbe,
  VirtualTransport,
  chaosConfig,
  type ProbeTarget,
} from '../../chaos';
import { RunnerMachine } from '../../machine/runner-machine';
import { OracleStrategy, OursStrategy, type TruthInstance, type WorldTruth } from '../../strategies';
import { VirtualClock } from '../../twin/clock';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

describe('VirtualTransport', () => {
  it('paces writes 400 ms apart, one at a time, and bounds the calls in flight', async () => {
    const clock = new VirtualClock(T0);
    const spec = { latencyMs: [100, 100] as [number, number], concurrency: 2, writeIntervalMs: 400 };
    const writes = new VirtualTransport(clock, () => 0.5, spec);
    const reads = new VirtualTransport(clock, () => 0.5, spec);
    const acted: { kind: string; at: number }[] = [];
    const calls = [
      ...[1, 2, 3].map(() => writes.call('write', () => acted.push({ kind: 'write', at: clock.now() - T0 }))),
      ...[1, 2, 3].map(() => reads.call('read', () => acted.push({ kind: 'read', at: clock.now() - T0 }))),
    ];
    await clock.advance(5_000);
    await Promise.all(calls);
    // Writes act half-way through their round trip, 400 ms apart.
    expect(acted.filter((a) => a.kind === 'write').map((a) => a.at)).toEqual([50, 450, 850]);
    // Two slots: two reads at once, the third when the first is done.
    expect(acted.filter((a) => a.kind === 'read').map((a) => a.at)).toEqual([50, 50, 150]);
  });
});

describe('MemoryProbe', () => {
  const setup = (targets: Record<string, ProbeTarget>, spec: Partial<ConstructorParameters<typeof MemoryProbe>[4]> = {}) => {
    const clock = new VirtualClock(T0);
    const transport = new VirtualTransport(clock, () => 0, { latencyMs: [0, 0], concurrency: 0, writeIntervalMs: 0 });
    const probe = new MemoryProbe(clock, transport, () => 0.5, (id) => targets[id], {
      answerMs: [1000, 1000],
      failureRate: 0,
      pollEveryMs: 500,
      timeoutMs: 10_000,
      ...spec,
    });
    return { clock, probe };
  };

  it('answers what the machine is doing when it answers, and errors for what it cannot reach', async () => {
    const busy = new RunnerMachine({ hooks: 'none', ssm: true });
    busy.listenerStarted(T0 - 60_000);
    busy.workerStarted(T0 - 10_000);
    const idle = new RunnerMachine({ hooks: 'none', ssm: true });
    idle.listenerStarted(T0 - 60_000);
    const { clock, probe } = setup({
      'i-busy': { machine: busy, online: true },
      'i-idle': { machine: idle, online: true },
      'i-offline': { machine: new RunnerMachine({ hooks: 'none', ssm: true }), online: false },
    });
    expect(await probeWhileAdvancing(clock, probe.onlineInstances(['i-busy', 'i-idle', 'i-offline', 'i-unknown']))).toEqual(new Set(['i-busy', 'i-idle']));

    // The idle machine takes a job half-way through the probe's answer time: its answer says busy
    // (the probe script tells time to the second).
    const sent = clock.now();
    void clock.sleep(500).then(() => idle.workerStarted(clock.now()));
    const answers = await probeWhileAdvancing(clock, probe.probe(['i-busy', 'i-idle', 'i-offline', 'i-unknown']));
    expect(answers.get('i-busy')).toMatchObject({ kind: 'answered', busy: true });
    expect(answers.get('i-idle')).toMatchObject({ kind: 'answered', busy: true, at: new Date(Math.floor((sent + 1000) / 1000) * 1000) });
    expect(answers.get('i-offline')).toMatchObject({ kind: 'error' });
    expect(answers.get('i-unknown')).toMatchObject({ kind: 'error' });
    expect(probe.calls).toMatchObject({ sendCommand: 1, probed: 4, errors: 2 });
  });

  it('gives the idle time the machine reports, and an error for an answer after the deadline or a failed command', async () => {
    const idle = new RunnerMachine({ hooks: 'none', ssm: true });
    idle.listenerStarted(T0 - 600_000);
    idle.workerStarted(T0 - 300_000);
    idle.workerEnded(T0 - 120_000);
    const ok = setup({ 'i-1': { machine: idle, online: true } });
    const read = (await probeWhileAdvancing(ok.clock, ok.probe.probe(['i-1']))).get('i-1');
    expect(read).toEqual({ kind: 'answered', busy: false, idleSince: new Date(T0 - 120_000), at: new Date(T0 + 1000), detail: 'no job runs' });

    const slow = setup({ 'i-1': { machine: idle, online: true } }, { answerMs: [11_000, 11_000] });
    expect((await probeWhileAdvancing(slow.clock, slow.probe.probe(['i-1']))).get('i-1')).toMatchObject({ kind: 'error', error: expect.stringContaining('deadline') });
    expect(slow.clock.now() - T0).toBe(10_000);

    const failing = setup({ 'i-1': { machine: idle, online: true } }, { failureRate: 1 });
    expect((await probeWhileAdvancing(failing.clock, failing.probe.probe(['i-1']))).get('i-1')).toMatchObject({ kind: 'error' });
  });

  it('sends one command per 50 instances', async () => {
    const targets: Record<string, ProbeTarget> = {};
    for (let i = 0; i < 120; i++) targets[`i-${i}`] = { machine: new RunnerMachine({ hooks: 'none', ssm: true }), online: true };
    const { clock, probe } = setup(targets);
    const answers = await probeWhileAdvancing(clock, probe.probe(Object.keys(targets)));
    expect(answers.size).toBe(120);
    expect(probe.calls.sendCommand).toBe(3);
  });
});

describe('the chaos fleet drives RunnerMachine', () => {
  it('proven hooks write the boot marker and the job tags; the rest write nothing; the probe reaches SSM machines only', async () => {
    for (const evidence of ['mixed', 'probe'] as const) {
      const world = new ChaosWorld({
        seed: 3,
        model: GITHUB_MODELS[0]!,
        evidence,
        workload: { ...DEFAULT_ARRIVALS, durationMs: 20 * 60_000, burstRate: [0.3, 0.3], burstMs: [20 * 60_000, 20 * 60_000] },
      });
      world.start();
      let sawJobTag = false;
      let sawBusyProbe = false;
      for (let t = 0; t < 15 * 60_000; t += 5_000) {
        await world.clock.advance(5_000);
        for (const [id, proof] of world.evidenceByInstance) {
          if (!world.ec2.isAlive(id)) continue;
          const tags = world.ec2.tagsOf(id)!;
          if (proof === 'hooks') sawJobTag ||= tags[TAG.job] !== undefined;
          else expect([tags[TAG.job], tags[TAG.jobHooks], tags[TAG.jobStartedAt]]).toEqual([undefined, undefined, undefined]);
        }
      }
      const proofs = [...world.evidenceByInstance.values()];
      const live = [...world.evidenceByInstance.keys()].filter((id) => world.ec2.isAlive(id));
      const online = await probeWhileAdvancing(world.clock, world.probe.onlineInstances(live));
      if (evidence === 'mixed') {
        expect(proofs.filter((p) => p === 'hooks').length).toBe(Math.ceil(proofs.length / 2));
        expect(proofs.filter((p) => p === 'none').length).toBe(Math.floor(proofs.length / 2));
        const marked = live.filter((id) => world.ec2.tagsOf(id)![TAG.jobHooks] === HOOKS_CONTRACT_VERSION);
        expect(marked.length).toBeGreaterThan(0);
        expect(marked.every((id) => world.evidenceByInstance.get(id) === 'hooks')).toBe(true);
        expect(sawJobTag).toBe(true);
        expect(online.size).toBe(0);
      } else {
        expect(new Set(proofs)).toEqual(new Set(['probe']));
        expect(online.size).toBeGreaterThan(0);
        const answers = await probeWhileAdvancing(world.clock, world.probe.probe([...online]));
        sawBusyProbe = [...answers.values()].some((a) => a.kind === 'answered' && a.busy);
        expect(sawBusyProbe).toBe(true);
      }
      world.stop();
    }
  });
});

describe('OracleStrategy', () => {
  it('reclaims exactly the idle, registered instances past the minimum running time', async () => {
    const now = T0 + 60 * 60_000;
    const minutesAgo = (m: number) => now - m * 60_000;
    const instances: TruthInstance[] = [
      { instanceId: 'idle-old', launchedAt: minutesAgo(10), registered: true, busy: false },
      { instanceId: 'busy-old', launchedAt: minutesAgo(10), registered: true, busy: true },
      { instanceId: 'idle-young', launchedAt: minutesAgo(1), registered: true, busy: false },
      { instanceId: 'booting', launchedAt: minutesAgo(1), registered: false, busy: false },
      { instanceId: 'never-registered', launchedAt: minutesAgo(10), registered: false, busy: false },
    ];
    const reclaimed: string[] = [];
    const truth: WorldTruth = { liveInstances: () => instances, reclaimNow: (id) => (reclaimed.push(id), true) };
    const ports = { ec2: undefined as never, github: undefined as never, truth };
    const env = { config: chaosConfig(), now: () => new Date(now), sleep: async () => undefined };
    const oracle = new OracleStrategy();
    expect(await oracle.scaleDown(ports, env)).toEqual({ reclaimAttempts: 1, terminated: 1 });
    expect(reclaimed).toEqual(['idle-old']);
    await oracle.orphanCleanup(ports, env);
    expect(reclaimed).toEqual(['idle-old', 'never-registered']);
    // The idle pool: one idle runner kept warm while the window matches.
    reclaimed.length = 0;
    const pooled = { ...env, config: { ...env.config, idleConfig: [{ cron: '* * * * *', timeZone: 'UTC', idleCount: 1, evictionStrategy: 'oldest_first' as const }] } };
    expect(await oracle.scaleDown(ports, pooled)).toEqual({ reclaimAttempts: 0, terminated: 0 });
  });
});

describe('ours gets the probe where the handlers give it', () => {
  it('asks SSM who is online and probes only with JOB_EVIDENCE=auto and a probe document', async () => {
    const world = new ChaosWorld({
      seed: 5,
      model: GITHUB_MODELS[0]!,
      evidence: 'probe',
      workload: { ...DEFAULT_ARRIVALS, durationMs: 30 * 60_000, burstRate: [0.2, 0.2], burstMs: [3 * 60_000, 3 * 60_000] },
    });
    world.start();
    await world.clock.advance(12 * 60_000);
    const ours = new OursStrategy();
    const ports = { ec2: world.ec2, github: world.github, probe: world.probe };
    const env = (config = chaosConfig()) => ({ config, now: () => new Date(world.clock.now()), sleep: (ms: number) => world.clock.sleep(ms) });

    await probeWhileAdvancing(world.clock, ours.scaleDown(ports, env({ ...chaosConfig(), jobEvidence: 'hooks' })));
    expect(world.probe.calls).toMatchObject({ describeInstanceInformation: 0, sendCommand: 0 });
    await probeWhileAdvancing(world.clock, ours.scaleDown(ports, env()));
    expect(world.probe.calls.describeInstanceInformation).toBe(1);
    world.stop();
  });
});

/** Runs a call that waits on the virtual clock, moving the clock until it is done. */
async function probeWhileAdvancing<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; !done && i < 1000; i++) await clock.advance(100);
  return work;
}
