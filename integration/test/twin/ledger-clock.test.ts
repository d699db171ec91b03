import { OutcomeLedger } from '../../ledger';
import { AcceleratedClock, VirtualClock, seededRandom } from '../../twin';

describe('outcome ledger', () => {
  it('records each job fate once and sums instance busy, idle and lifetime', () => {
    const l = new OutcomeLedger();
    l.instanceLaunched('i-1', 0);
    l.instanceLaunched('i-2', 0);
    l.jobQueued('a', ['self-hosted'], 0);
    l.jobQueued('b', [], 0);
    l.jobQueued('c', [], 0);
    l.jobQueued('d', [], 0);
    l.jobAssigned('a', 1, 10, 'i-1');
    l.jobStarted('a', 10);
    l.instanceBusy('i-1', 10);
    l.jobEnded('a', 'completed', 40);
    l.instanceIdle('i-1', 40);
    l.jobEnded('b', 'killed-by-termination', 50);
    l.jobEnded('b', 'completed', 60); // a killed job stays killed
    l.jobEnded('c', 'cancelled-by-deregistration', 55);
    l.jobRequeued('d');
    l.instanceBusy('i-2', 80);
    l.instanceEnded('i-1', 100);
    const s = l.summary(120);
    expect(s.jobs).toEqual({ total: 4, pending: 1, completed: 1, killedByTermination: 1, cancelledByDeregistration: 1, requeued: 1 });
    expect(s.perInstance.find((i) => i.instanceId === 'i-1')).toEqual({ instanceId: 'i-1', lifetimeMs: 100, busyMs: 30, idleMs: 70, jobs: 1, ended: true });
    expect(s.perInstance.find((i) => i.instanceId === 'i-2')).toMatchObject({ lifetimeMs: 120, busyMs: 40, idleMs: 80, ended: false });
    expect(s.instances).toEqual({ count: 2, ended: 1, busyMs: 70, idleMs: 150, lifetimeMs: 220 });
    expect(l.harmedJobs().map((j) => j.jobId).sort()).toEqual(['b', 'c']);
    expect(l.timeline().filter((c) => c.instanceId === 'i-1').map((c) => [c.at, c.state])).toEqual([
      [0, 'idle'],
      [10, 'busy'],
      [40, 'idle'],
      [100, 'ended'],
    ]);
    expect(l.getJob('a')).toMatchObject({ runnerId: 1, instanceId: 'i-1', startedAt: 10, endedAt: 40 });
  });
});

describe('world clocks', () => {
  it('fires virtual timers in time order and waits for tracked work between them', async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    void clock.sleep(300).then(() => seen.push(`late@${clock.now()}`));
    void clock.sleep(100).then(async () => {
      seen.push(`early@${clock.now()}`);
      await clock.track(new Promise((r) => setTimeout(r, 20)));
      seen.push(`early-work-done@${clock.now()}`);
    });
    await clock.advance(200);
    expect(seen).toEqual(['early@100', 'early-work-done@100']);
    expect(clock.now()).toBe(200);
    await clock.advance(100);
    expect(seen).toEqual(['early@100', 'early-work-done@100', 'late@300']);
    expect(clock.waiting).toBe(0);
  });

  it('runs an accelerated clock faster than wall time', async () => {
    const clock = new AcceleratedClock(1000, 0);
    await clock.sleep(20_000);
    expect(clock.now()).toBeGreaterThanOrEqual(20_000);
    expect(() => new AcceleratedClock(0)).toThrow();
  });

  it('replays the same random sequence for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(xs).toEqual(Array.from({ length: 5 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);
  });
});
