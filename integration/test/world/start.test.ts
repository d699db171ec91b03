/**
 * `npm start` end to end at the small size: moto, the twin, a fleet, the built Lambdas on
 * their schedule and the forced races (on runners with hooks and on a probe-only one). Asserts the report's figures, the exit code and
 * that the SVG timeline is well-formed with one lane per runner.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, type StartOutcome } from '../../world/start';
import { runnerCount, smallWorkload } from '../../world/workload';
import { xmlProblems } from './svg-check';

jest.setTimeout(150_000);

let outcome: StartOutcome;
let svgOnDisk: string;
let printed: string[];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'world-start-'));
  printed = [];
  outcome = await start({ workload: smallWorkload(), svgPath: join(dir, 'timeline.svg'), print: (line) => printed.push(line) });
  svgOnDisk = await readFile(outcome.svgPath, 'utf8');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('completes every job, kills none and exits 0', () => {
  const { report } = outcome;
  expect(report.failures).toEqual([]);
  expect(report.jobs.killed).toBe(0);
  expect(report.jobs.cancelledByDeregistration).toBe(0);
  expect(report.jobs.pending).toBe(0);
  // The workload's jobs plus one job per forced race.
  expect(report.jobs.total).toBe(smallWorkload().jobs.length + smallWorkload().races.length);
  expect(report.jobs.completed).toBe(report.jobs.total);
  expect(outcome.exitCode).toBe(0);
});

it('reclaims every runner it does not see shut itself down', () => {
  const { runners } = outcome.report;
  expect(runners.launched).toBeGreaterThanOrEqual(runnerCount(smallWorkload()));
  expect(runners.stillRunning).toBe(0);
  expect(runners.reclaimedByScaleDown + runners.reclaimedByOrphanCleanup + runners.selfTerminated).toBe(runners.launched);
  // The runner left behind by its ephemeral registration is orphan-cleanup's.
  expect(runners.reclaimedByOrphanCleanup).toBeGreaterThanOrEqual(1);
  expect(runners.reclaimedByScaleDown).toBeGreaterThanOrEqual(1);
  expect(outcome.report.idleRunnerMinutes).toBeGreaterThan(0);
});

it('spares every runner that got a job in a forced race, on hooks and on the probe, and their jobs complete', () => {
  const races = outcome.report.forcedRaces;
  expect(races.map((r) => `${r.kind}/${r.on}`).sort()).toEqual(['after-get/hooks', 'before-delete/hooks', 'before-delete/probe']);
  const find = (kind: string, on: string) => races.find((r) => r.kind === kind && r.on === on)!;
  expect(find('after-get', 'hooks').keptFor).toContain('race-job-evidence-before-delete');
  expect(find('before-delete', 'hooks').keptFor).toContain('race-job-evidence-after-delete');
  // No hook speaks on a probe-only runner and GitHub's flag lags: the Worker the probe sees after the settle.
  expect(find('before-delete', 'probe').keptFor).toContain('race-probe-busy-after-delete');
  const evidence = new Map(outcome.report.evidence.instances.map((i) => [i.instanceId, i.evidence]));
  for (const race of races) expect([race.instanceId, evidence.get(race.instanceId)]).toEqual([race.instanceId, race.on]);
  expect(races.map((r) => r.jobFate)).toEqual(races.map(() => 'completed'));
  expect(outcome.report.racesCaught['race-job-evidence-after-delete']).toBeGreaterThanOrEqual(1);
  expect(outcome.report.racesCaught['race-probe-busy-after-delete']).toBeGreaterThanOrEqual(1);
});

it('counts the reaper calls by GitHub endpoint and AWS action', () => {
  const { githubCalls, awsCalls, runners } = outcome.report;
  const deletes = Object.entries(githubCalls.byEndpoint)
    .filter(([endpoint]) => endpoint.startsWith('DELETE '))
    .reduce((a, [, n]) => a + n, 0);
  // Every scale-down reclaim and the forced DELETE race went through a DELETE.
  expect(deletes).toBeGreaterThanOrEqual(runners.reclaimedByScaleDown + 1);
  expect(githubCalls.byEndpoint['GET /orgs/{org}/actions/runners']).toBeGreaterThan(0);
  expect(awsCalls.byAction['ec2:TerminateInstances']).toBeGreaterThanOrEqual(1);
  expect(awsCalls.byAction['ec2:DescribeInstances']).toBeGreaterThan(0);
  expect(awsCalls.total).toBe(Object.values(awsCalls.byAction).reduce((a, b) => a + b, 0));
});

it('shows each instance\'s machine evidence: a mix of hooks, probe and none, in the report and on the timeline', () => {
  const { evidence } = outcome.report;
  expect(evidence.counts.hooks).toBeGreaterThanOrEqual(3);
  expect(evidence.counts.probe).toBeGreaterThanOrEqual(1);
  expect(evidence.counts.none).toBeGreaterThanOrEqual(1);
  expect(evidence.instances).toHaveLength(outcome.report.runners.launched);
  // Probe-only instances take jobs (the probe keeps them alive) and are reclaimed when idle.
  const probed = evidence.instances.filter((i) => i.evidence === 'probe');
  expect(probed.every((i) => i.end.startsWith('reclaimed by'))).toBe(true);
  expect(probed.reduce((n, i) => n + i.jobsRun, 0)).toBeGreaterThanOrEqual(1);
  expect(probed.every((i) => i.usedByReaper.includes('probe'))).toBe(true);
  // Nothing runs on an instance without machine evidence.
  expect(evidence.instances.filter((i) => i.evidence === 'none').every((i) => i.jobsRun === 0)).toBe(true);
  const badges = new Map([...svgOnDisk.matchAll(/<g class="lane" data-instance-id="([^"]+)">[^]*?data-evidence="(\w+)"/g)].map((m) => [m[1], m[2]]));
  for (const i of evidence.instances) expect([i.instanceId, badges.get(i.instanceId)]).toEqual([i.instanceId, i.evidence]);
  const report = printed[printed.length - 1]!;
  expect(report).toContain('Machine evidence');
  expect(report).toContain(`hooks / probe / none           ${evidence.counts.hooks} / ${evidence.counts.probe} / ${evidence.counts.none}`);
  expect(printed.some((l) => /launched \d+ runners \(machine evidence: \d+ hooks, \d+ probe, \d+ none\)/.test(l))).toBe(true);
});

it('writes a well-formed SVG timeline with a lane per runner and a legend', () => {
  expect(svgOnDisk).toBe(outcome.svg);
  expect(xmlProblems(svgOnDisk)).toEqual([]);
  const laneIds = [...svgOnDisk.matchAll(/<g class="lane" data-instance-id="([^"]+)"/g)].map((m) => m[1]);
  expect(laneIds).toHaveLength(outcome.report.runners.launched);
  expect(new Set(laneIds).size).toBe(laneIds.length);
  for (const id of outcome.report.forcedRaces.map((r) => r.instanceId)) expect(laneIds).toContain(id);
  expect(svgOnDisk).toContain('class="legend"');
  expect(svgOnDisk).toContain('class="axis"');
});

it('prints a progress line per reaper run and the report with the SVG path', () => {
  const { scaleDown, orphanCleanup } = outcome.report.reaperRuns;
  const runLines = printed.filter((l) => /^\s*\d+\.\ds\s+(scale-down|orphan-cleanup)\s/.test(l));
  expect(runLines).toHaveLength(scaleDown + orphanCleanup);
  expect(runLines.every((l) => /busy \d+ idle \d+ draining \d+ unregistered \d+ terminated \d+ \| jobs \d+\/\d+ done/.test(l))).toBe(true);
  const report = printed[printed.length - 1]!;
  expect(report).toContain(`Timeline: `);
  expect(report).toContain('timeline.svg');
  expect(report).toContain('OK: every job finished');
});
