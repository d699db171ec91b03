import { loadConfig } from '../../src/config/load';
import { createRuntime, executorEnv, probeEnabled } from '../../src/handlers/runtime';
import { createTelemetry } from '../../src/observability/telemetry';
import { BASE_ENV } from '../helpers/fixtures';

const telemetry = createTelemetry('runner-reaper-test');
const runtimeOf = (extra: Record<string, string> = {}) => createRuntime(loadConfig({ ...BASE_ENV, ...extra }), telemetry);

describe('createRuntime', () => {
  it("hands the executors the GitHub client's worst case for one request (issue 10, point 17)", () => {
    const runtime = runtimeOf();
    expect(runtime.github.timing).toEqual({ worstCaseRequestMs: 30_000, readIntervalMs: 80, burstReads: 75, writeIntervalMs: 400 });
    expect(executorEnv(runtime)).toMatchObject({ githubWorstCaseWaitMs: 30_000 });
    expect(executorEnv(runtime, () => 5)).toHaveProperty('remainingMs');
  });

  it('paces at GITHUB_POINTS_PER_MINUTE', () => {
    expect(runtimeOf({ GITHUB_POINTS_PER_MINUTE: '9000' }).github.timing).toMatchObject({ readIntervalMs: 8, writeIntervalMs: 40 });
  });

  it.each([
    [{ PROBE_DOCUMENT_NAME: 'probe-doc' }, true],
    [{ PROBE_DOCUMENT_NAME: 'probe-doc', JOB_EVIDENCE: 'hooks' }, false],
    [{ PROBE_DOCUMENT_NAME: 'probe-doc', JOB_EVIDENCE: 'off' }, false],
    [{}, false],
  ])('builds the probe for %p: %p', (extra, built) => {
    const runtime = runtimeOf(extra);
    expect(runtime.probe !== undefined).toBe(built);
    expect(probeEnabled(runtime.config)).toBe(built);
  });

  it('counts nothing before the first call', () => {
    expect(runtimeOf().counters()).toEqual({ githubRequests: 0, githubDeletes: 0, githubRateLimited: 0, probesSent: 0, probeFailures: 0 });
  });
});
