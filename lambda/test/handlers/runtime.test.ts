import { loadConfig } from '../../src/config/load';
import { createGitHubClients } from '../../src/handlers/github-clients';
import { createRuntime, createSsmProbe, executorEnv, probeEnabled } from '../../src/handlers/runtime';
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

describe('createGitHubClients (the functions and runner-reaper plan)', () => {
  const config = (extra: Record<string, string> = {}) => loadConfig({ ...BASE_ENV, ...extra });

  it('paces at GITHUB_POINTS_PER_MINUTE, as createRuntime does', () => {
    const paced = createGitHubClients(config({ GITHUB_POINTS_PER_MINUTE: '9000' }), { warn: () => {} });
    expect(paced.timing).toEqual(runtimeOf({ GITHUB_POINTS_PER_MINUTE: '9000' }).github.timing);
    expect(paced.timing).toMatchObject({ readIntervalMs: 8, writeIntervalMs: 40 });
  });

  it('asks the credentials it is given (the plan reads them first, to fail early)', async () => {
    let asked = 0;
    const clients = createGitHubClients(config(), {
      warn: () => {},
      credentials: async () => {
        asked++;
        throw new Error('cannot read SSM parameter /ci/app/key (ParameterNotFound)');
      },
    });
    await expect(clients.forOwner({ type: 'Org', owner: 'acme' })).rejects.toThrow('/ci/app/key');
    expect(asked).toBe(1);
  });
});

describe('createSsmProbe', () => {
  it('builds the probe only when a run probes', () => {
    expect(createSsmProbe(loadConfig({ ...BASE_ENV, PROBE_DOCUMENT_NAME: 'doc' }))).toBeDefined();
    expect(createSsmProbe(loadConfig({ ...BASE_ENV, PROBE_DOCUMENT_NAME: 'doc', JOB_EVIDENCE: 'hooks' }))).toBeUndefined();
    expect(createSsmProbe(loadConfig({ ...BASE_ENV }))).toBeUndefined();
  });
});
