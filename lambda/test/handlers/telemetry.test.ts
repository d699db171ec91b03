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
  stdout = [];
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
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
    ['idle-pool', 'keep', undefined],
  ] as const)('%s after a %s decision -> %s', (reason, decided, guard) => {
    expect(guardOf(outcome(reason, { decided }))).toBe(guard);
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
