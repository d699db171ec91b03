import { TAG, type Decision, type EvidenceSource, type InstanceView } from '../../src/core';
import type { Outcome } from '../../src/executor/outcome';
import { createTelemetry, guardOf, reportRun } from '../../src/observability/telemetry';

const outcome = (reason: Outcome['reason'], extra: Partial<Outcome> = {}): Outcome => ({
  instanceId: `i-${reason}`,
  decided: 'reclaim',
  decisionReason: 'idle-confirmed',
  result: 'kept',
  reason,
  message: `m ${reason}`,
  ...extra,
});

let stdout: string[];
beforeEach(() => {
  // Both streams: Powertools writes warnings to stderr.
  stdout = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

const documents = () =>
  stdout
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('guardOf', () => {
  it.each([
    ['race-busy-before-delete', 'reclaim', 'get'],
    ['race-delete-refused', 'reclaim', 'delete-422'],
    ['race-busy-after-delete', 'reclaim', 'recheck'],
    ['race-registered-again', 'terminate', 'recheck'],
    ['race-job-evidence-before-delete', 'reclaim', 'job-evidence'],
    ['race-job-evidence-after-delete', 'reclaim', 'job-evidence'],
    ['job-evidence', 'terminate', 'job-evidence'],
    ['job-evidence', 'keep', undefined],
    ['race-probe-busy-before-delete', 'reclaim', 'probe'],
    ['race-probe-busy-after-delete', 'reclaim', 'probe'],
    ['idle-pool', 'keep', undefined],
  ] as const)('%s after a %s decision -> %s', (reason, decided, guard) => {
    expect(guardOf(outcome(reason as Outcome['reason'], { decided }))).toBe(guard);
  });
});

describe('reportRun', () => {
  it('logs one line per outcome, counts races by guard and emits EMF metrics', () => {
    const telemetry = createTelemetry('runner-reaper-test');
    const summary = reportRun(telemetry, {
      run: 'orphan-cleanup',
      dryRun: false,
      outcomes: [
        outcome('orphan-confirmed', { result: 'terminated', decided: 'terminate', owner: { type: 'Org', owner: 'acme' }, runnerId: 5 }),
        outcome('orphan-first-sighting', { decided: 'keep' }),
        outcome('race-registered-again', { decided: 'terminate' }),
        outcome('github-error'),
      ],
      malformed: [{ instanceId: 'i-bad', problem: 'no valid LaunchTime' }],
      errors: ['removing tags failed'],
      githubCalls: 7,
    });
    telemetry.metrics.publishStoredMetrics();

    expect(summary).toMatchObject({
      terminated: 1,
      kept: 3,
      errors: 3,
      githubCalls: 7,
      racesCaught: { recheck: 1 },
      reasons: { 'orphan-confirmed': 1, 'orphan-first-sighting': 1, 'race-registered-again': 1, 'github-error': 1 },
    });
    const docs = documents();
    const decisionLine = docs.find((d) => d.instanceId === 'i-orphan-confirmed');
    expect(decisionLine).toMatchObject({ action: 'terminate', result: 'terminated', reason: 'orphan-confirmed', owner: 'Org:acme', runnerId: 5 });
    const metric = (name: string) => docs.filter((d) => name in d);
    expect(metric('OrphansTerminated')[0]).toMatchObject({ OrphansTerminated: 1, OrphansMarked: 1, Errors: 3, GitHubCalls: 7 });
    expect(metric('RacesCaught')).toEqual([expect.objectContaining({ Guard: 'recheck', RacesCaught: 1 })]);
    expect(metric('Decisions').map((d) => d.Reason).sort()).toEqual([
      'github-error',
      'orphan-confirmed',
      'orphan-first-sighting',
      'race-registered-again',
    ]);
    const namespace = (metric('OrphansTerminated')[0]?._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace;
    expect(namespace).toBe('RunnerReaper');
  });
});

describe('reportRun: evidence, environments and holds', () => {
  const tags = (environment: string, extra: Record<string, string> = {}) => ({
    [TAG.environment]: environment,
    [TAG.owner]: 'acme',
    [TAG.type]: 'Org',
    ...extra,
  });
  const at = new Date('2026-12-01T12:00:00Z');
  const instanceOf = (id: string, t: Record<string, string>): InstanceView => ({ id, state: 'running', launchTime: at, tags: t });
  const decision = (instanceId: string, evidence: EvidenceSource | undefined, environment?: string): Decision => ({
    instanceId,
    action: 'keep',
    reason: 'idle-not-confirmed',
    message: 'm',
    ...(evidence ? { evidence } : {}),
    ...(environment ? { environment } : {}),
  });

  function report(run: 'scale-down' | 'orphan-cleanup', outcomes: Outcome[], instances: InstanceView[], decisions: Decision[]) {
    const telemetry = createTelemetry('runner-reaper-test');
    const summary = reportRun(telemetry, {
      run,
      dryRun: false,
      outcomes,
      malformed: [],
      errors: [],
      githubCalls: 3,
      calls: { githubDeletes: 2, githubRateLimited: 1, probesSent: 4, probeFailures: 1 },
      decisions,
      snapshot: { now: at, instances, runnersByOwner: new Map(), probe: { enabled: true, online: new Set(['i-p']) } },
      config: { idleConfirmationSeconds: 60, unregisteredHold: { maxMinutes: 360, maxInstances: 0 } },
    });
    telemetry.metrics.publishStoredMetrics();
    return summary;
  }

  it('labels every line with its environment and evidence, counts instances by evidence, warns about those without', () => {
    const instances = [instanceOf('i-h', tags('ci')), instanceOf('i-p', tags('ci')), instanceOf('i-n', tags('arm')), instanceOf('i-gate', tags('arm'))];
    const outcomes = ['i-h', 'i-p', 'i-n', 'i-gate'].map((id) => outcome('idle-not-confirmed', { instanceId: id, decided: 'keep' }));
    const summary = report('scale-down', outcomes, instances, [
      decision('i-h', 'hooks'),
      decision('i-p', 'probe'),
      decision('i-n', 'none', 'arm'),
      decision('i-gate', undefined),
    ]);
    expect(summary.evidence).toEqual({ hooks: 1, probe: 1, none: 1 });
    expect(summary.byEnvironment.ci?.evidence).toEqual({ hooks: 1, probe: 1, none: 0 });
    expect(summary.byEnvironment.arm?.evidence).toEqual({ hooks: 0, probe: 0, none: 1 });
    expect(summary).toMatchObject({ githubDeletes: 2, githubRateLimited: 1, probesSent: 4, probeFailures: 1, probeUnavailable: false });
    const docs = documents();
    expect(docs.find((d) => d.instanceId === 'i-p')).toMatchObject({ environment: 'ci', evidence: 'probe' });
    expect(docs.find((d) => d.instanceId === 'i-gate')?.evidence).toBeUndefined();
    const byEvidence = docs
      .filter((d) => 'InstancesByEvidence' in d)
      .map((d) => `${String(d.Environment ?? '(total)')} ${String(d.Evidence)} ${String(d.InstancesByEvidence)}`)
      .sort();
    expect(byEvidence).toEqual([
      '(total) hooks 1',
      '(total) none 1',
      '(total) probe 1',
      'arm hooks 0',
      'arm none 1',
      'arm probe 0',
      'ci hooks 1',
      'ci none 0',
      'ci probe 1',
    ].sort());
    const warning = docs.find((d) => String(d.message).includes('no machine evidence'));
    expect(warning?.message).toBe(
      '1 of 3 instances have no machine evidence (no job-hooks marker, not probe-able): the reaper cannot see a job GitHub ' +
        'has not flagged on them, so it waits longer: scale-down confirms them idle over two sightings 120 s apart instead of ' +
        'reclaiming at the first, and an ' +
        'unregistered one is held up to 360 minutes before it is terminated',
    );
    expect(warning).toMatchObject({ level: 'WARN', instancesWithoutEvidence: 1, byEnvironment: { arm: 1, ci: 0 } });
    const deployment = docs.find((d) => 'GitHubDeletes' in d);
    expect(deployment).toMatchObject({ GitHubCalls: 3, GitHubDeletes: 2, GitHubRateLimited: 1, ProbesSent: 4, ProbeFailures: 1, ProbeUnavailable: 0 });
    expect(deployment?.Environment).toBeUndefined();
  });

  it('no warning when every instance has machine evidence', () => {
    report('scale-down', [outcome('idle-not-confirmed', { instanceId: 'i-h' })], [instanceOf('i-h', tags('ci'))], [decision('i-h', 'hooks')]);
    expect(documents().some((d) => String(d.message).includes('no machine evidence'))).toBe(false);
  });

  it("orphan-cleanup counts the core's held instances (keep decisions with heldSince) and the longest hold", () => {
    const held = (instanceId: string, since: string, environment: string): Decision =>
      ({ ...decision(instanceId, 'none', environment), reason: 'waiting-max-job-duration', heldSince: since }) as Decision;
    const summary = report(
      'orphan-cleanup',
      [
        outcome('waiting-max-job-duration', { instanceId: 'i-drained', decided: 'keep' }),
        outcome('waiting-max-job-duration', { instanceId: 'i-orphan', decided: 'keep' }),
        outcome('waiting-max-job-duration', { instanceId: 'i-arm', decided: 'keep' }),
        outcome('registered', { instanceId: 'i-registered', decided: 'keep' }),
        outcome('unregistered-hold-limit' as Outcome['reason'], { instanceId: 'i-over', decided: 'terminate', result: 'terminated' }),
      ],
      [],
      [
        held('i-drained', '2026-12-01T11:00:00Z', 'ci'),
        held('i-orphan', '2026-12-01T11:50:00Z', 'ci'),
        held('i-arm', '2026-12-01T10:00:00Z', 'arm'),
        decision('i-registered', 'none', 'ci'),
        { ...decision('i-over', 'none', 'ci'), action: 'terminate' },
      ],
    );
    expect(summary.heldUnregistered).toBe(3);
    expect(summary.heldUnregisteredOldestSeconds).toBe(7200);
    expect(summary.byEnvironment.ci).toMatchObject({ heldUnregistered: 2, heldUnregisteredOldestSeconds: 3600 });
    expect(summary.byEnvironment.arm).toMatchObject({ heldUnregistered: 1, heldUnregisteredOldestSeconds: 7200 });
    const docs = documents().filter((d) => 'InstancesHeldUnregistered' in d);
    expect(docs.map((d) => [d.Environment ?? '(total)', d.InstancesHeldUnregistered, d.HeldUnregisteredOldestSeconds]).sort()).toEqual([
      ['(total)', 3, 7200],
      ['arm', 1, 7200],
      ['ci', 2, 3600],
    ]);
    const units = (docs[0]!._aws as { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] }).CloudWatchMetrics[0]!.Metrics;
    expect(units).toContainEqual({ Name: 'HeldUnregisteredOldestSeconds', Unit: 'Seconds' });
  });

  it('probe guards count as races caught by the probe; a probe-busy keep decision does not', () => {
    const summary = report(
      'orphan-cleanup',
      [
        outcome('probe-busy' as Outcome['reason'], { instanceId: 'i-a', decided: 'terminate' }),
        outcome('probe-busy' as Outcome['reason'], { instanceId: 'i-b', decided: 'keep' }),
      ],
      [],
      [],
    );
    expect(summary.racesCaught).toEqual({ probe: 1 });
    expect(summary.keptBusy).toBe(2);
  });

  it('scale-down writes no hold metrics', () => {
    report('scale-down', [outcome('draining', { instanceId: 'i-d', decided: 'keep' })], [instanceOf('i-d', tags('ci', { [TAG.drainingSince]: '2026-12-01T11:00:00Z' }))], []);
    expect(documents().some((d) => 'InstancesHeldUnregistered' in d)).toBe(false);
  });
});
