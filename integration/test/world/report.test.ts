/**
 * The demo's report pieces on fixed data: the timeline recorder, the SVG renderer and the
 * report numbers. Fast and deterministic (no world needed).
 */
import { TimelineRecorder, timeIn, type Timeline } from '../../world/report/timeline';
import { renderTimelineSvg, STATE_COLOURS, tickStep } from '../../world/report/svg';
import { buildReport } from '../../world/report/summary';
import { formatReport } from '../../world/report/text';
import type { DemoResult } from '../../world/demo/run-demo';
import { xmlProblems } from './svg-check';

const T0 = 1_800_000_000_000;

function sampleTimeline(): Timeline {
  const rec = new TimelineRecorder(T0);
  const lane = (instanceId: string, state: 'idle' | 'busy' | 'draining' | 'unregistered' | 'terminated', deregistered = false) => ({
    instanceId,
    kind: instanceId === 'i-b' ? 'repo <web> & co' : 'org',
    evidence: instanceId === 'i-b' ? 'probe' : 'hooks',
    state,
    deregistered,
  });
  rec.observe([lane('i-a', 'idle'), lane('i-b', 'busy')], T0);
  rec.observe([lane('i-a', 'idle'), lane('i-b', 'busy')], T0 + 5_000);
  rec.observe([lane('i-a', 'draining', true), lane('i-b', 'busy', true)], T0 + 10_000);
  rec.observe([lane('i-a', 'terminated', true), lane('i-b', 'busy', true)], T0 + 12_000);
  // A terminated lane stays terminated even if a late sample says otherwise.
  rec.observe([lane('i-a', 'idle'), lane('i-b', 'draining', true)], T0 + 20_000);
  rec.runFinished({ fn: 'scale-down', startedAt: T0 + 9_000, endedAt: T0 + 11_500, terminated: 1, racesCaught: 1, ok: true });
  rec.runFinished({ fn: 'orphan-cleanup', startedAt: T0 + 14_000, endedAt: T0 + 15_000, terminated: 0, racesCaught: 0, ok: false });
  rec.mark({ instanceId: 'i-b', at: T0 + 9_500, label: 'race-1: a job <right before> the DELETE' });
  return rec.finish(T0 + 30_000);
}

describe('TimelineRecorder', () => {
  it('merges equal samples into segments and closes them at the next change', () => {
    const tl = sampleTimeline();
    const a = tl.lanes.find((l) => l.instanceId === 'i-a')!;
    expect(a.segments.map((s) => [s.state, s.from - T0, s.to - T0])).toEqual([
      ['idle', 0, 10_000],
      ['draining', 10_000, 12_000],
      ['terminated', 12_000, 30_000],
    ]);
    const b = tl.lanes.find((l) => l.instanceId === 'i-b')!;
    expect(b.segments.map((s) => [s.state, s.deregistered])).toEqual([
      ['busy', false],
      ['busy', true],
      ['draining', true],
    ]);
    expect(timeIn(b, 'busy')).toBe(20_000);
    expect(tl.runs).toHaveLength(2);
    expect(tl.markers).toHaveLength(1);
  });
});

describe('renderTimelineSvg', () => {
  const svg = renderTimelineSvg(sampleTimeline(), { title: 'demo <test>', subtitle: 'a & b' });

  it('is well-formed XML with escaped text', () => {
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toContain('demo &lt;test&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('repo &lt;web&gt; &amp; co');
  });

  it('draws one lane per instance, a legend with every state and a time axis', () => {
    expect(svg.match(/<g class="lane"/g)).toHaveLength(2);
    // Each lane shows its instance's machine evidence, and the legend explains the badges.
    expect([...svg.matchAll(/<g class="lane" data-instance-id="([^"]+)">[^]*?data-evidence="(\w+)"/g)].map((m) => [m[1], m[2]])).toEqual([
      ['i-a', 'hooks'],
      ['i-b', 'probe'],
    ]);
    expect(svg).toContain('class="legend-evidence"');
    expect(svg).toContain('data-instance-id="i-a"');
    for (const colour of Object.values(STATE_COLOURS)) expect(svg).toContain(`fill="${colour}"`);
    for (const label of ['idle', 'busy (job running)', 'draining (deregistered)', 'terminated']) expect(svg).toContain(`>${label}</text>`);
    expect(svg).toContain('>0s</text>');
    expect(svg).toContain('>30s</text>');
    // The failed orphan-cleanup run is drawn in red, the spared job with its underline.
    expect(svg).toContain('(FAILED)');
    expect(svg).toContain('deregistered, job spared');
  });

  it('the checker itself rejects broken markup', () => {
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><rect x=1/></svg>')).not.toEqual([]);
  });

  it('picks round tick steps', () => {
    expect(tickStep(25_000)).toBe(5_000);
    expect(tickStep(90_000)).toBe(10_000);
    expect(tickStep(600_000)).toBe(60_000);
  });
});

describe('buildReport', () => {
  const base = (): DemoResult => ({
    workload: 'fixed',
    githubModel: '2026',
    startedAt: T0,
    endedAt: T0 + 30_000,
    ledger: {
      jobs: { total: 3, pending: 0, completed: 3, killedByTermination: 0, cancelledByDeregistration: 0, requeued: 0 },
      instances: { count: 2, ended: 1, busyMs: 60_000, idleMs: 30_000, lifetimeMs: 90_000 },
      perInstance: [],
    },
    timeline: sampleTimeline(),
    runs: [
      {
        fn: 'scale-down',
        startedAt: T0,
        endedAt: T0 + 1,
        run: {
          invocation: { ok: true, requestId: 'r', result: {} },
          outcomes: [
            { instanceId: 'i-a', result: 'terminated', reason: 'idle-confirmed' },
            { instanceId: 'i-b', result: 'kept', reason: 'race-job-evidence-after-delete' },
          ],
          died: [],
        },
      },
    ],
    races: [{ kind: 'before-delete', on: 'probe', jobId: 'race-1', instanceId: 'i-b', at: T0, keptFor: ['race-job-evidence-after-delete'], fate: 'completed' }],
    githubCalls: { 'GET /orgs/{org}/actions/runners': 4, 'DELETE /orgs/{org}/actions/runners/{runner_id}': 2 },
    awsCalls: { 'ec2:DescribeInstances': 5, 'ec2:TerminateInstances': 1 },
    reclaimed: { scaleDown: ['i-a'], orphanCleanup: [] },
    evidence: [
      { instanceId: 'i-a', kind: 'org', evidence: 'hooks', usedByReaper: ['hooks'], jobsRun: 0 },
      { instanceId: 'i-b', kind: 'repo <web> & co', evidence: 'probe', usedByReaper: [], jobsRun: 1 },
    ],
    failures: [],
    interrupted: false,
  });

  it('counts jobs, reclaimed runners, idle minutes, races and calls', () => {
    const r = buildReport(base());
    expect(r.ok).toBe(true);
    expect(r.jobs).toMatchObject({ total: 3, completed: 3, killed: 0 });
    expect(r.runners).toEqual({ launched: 2, reclaimedByScaleDown: 1, reclaimedByOrphanCleanup: 0, selfTerminated: 0, stillRunning: 1 });
    expect(r.idleRunnerMinutes).toBe(0.5);
    expect(r.racesCaught).toEqual({ 'race-job-evidence-after-delete': 1 });
    expect(r.githubCalls.total).toBe(6);
    expect(r.awsCalls.total).toBe(6);
    expect(r.evidence.counts).toEqual({ hooks: 1, probe: 1, none: 0 });
    expect(r.evidence.instances.map((i) => [i.instanceId, i.evidence, i.end])).toEqual([
      ['i-a', 'hooks', 'reclaimed by scale-down'],
      ['i-b', 'probe', 'still running'],
    ]);
    const text = formatReport(r, 'reports/timeline.svg');
    expect(text).toContain('hooks / probe / none           1 / 1 / 0');
    expect(text).toMatch(/i-a\s+hooks\s+org\s+0 job\(s\), reclaimed by scale-down; reaper used hooks/);
    expect(text).toMatch(/i-b\s+probe\s+repo <web> & co\s+1 job\(s\), still running\n/);
    expect(text).toContain('completed                      3 of 3');
    expect(text).toContain('forced: race-1 landed right before the DELETE on i-b (probe): kept (race-job-evidence-after-delete); job completed');
    expect(text).toContain('Timeline: reports/timeline.svg');
    expect(text).toContain('OK:');
  });

  it('fails on a killed job', () => {
    const result = base();
    result.ledger.jobs.killedByTermination = 1;
    const r = buildReport(result);
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toBe('1 jobs killed by termination');
    expect(formatReport(r)).toContain('FAILED:');
  });
});
