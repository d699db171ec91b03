import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listRepoFiles, listWorkflowFiles, repoRoot } from './lib/repo-files';
import { jobBlocks, stepBlocks, topLevelKeys } from './lib/workflow-text';

const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');

describe('every workflow', () => {
  test.each(listWorkflowFiles())('%s sets top-level permissions and a timeout on every job', (file) => {
    const text = read(file);
    expect(topLevelKeys(text)).toContain('permissions');
    const jobs = jobBlocks(text);
    expect(jobs.size).toBeGreaterThan(0);
    const withoutTimeout = [...jobs].filter(([, body]) => !/^ {4}timeout-minutes: \d+/m.test(body)).map(([id]) => id);
    expect(withoutTimeout).toEqual([]);
  });

  test.each(listWorkflowFiles())('%s never runs pull request code with a write token', (file) => {
    expect(read(file)).not.toMatch(/pull_request_target/);
  });
});

describe('e2e.yml', () => {
  const text = read('.github/workflows/e2e.yml');
  const job = [...jobBlocks(text).values()][0] ?? '';
  const steps = stepBlocks(job);

  test('runs on dispatch, nightly, and on pull requests labelled e2e', () => {
    expect(text).toMatch(/^ {2}workflow_dispatch:/m);
    expect(text).toMatch(/^ {2}schedule:\n {4}- cron: "[^"]+"/m);
    expect(text).toMatch(/^ {2}pull_request:\n {4}types: \[labeled, synchronize\]/m);
    expect(job).toContain("github.event.label.name == 'e2e'");
    expect(job).toContain("contains(github.event.pull_request.labels.*.name, 'e2e')");
  });

  test('runs the shared scenario code, configured by the environment', () => {
    expect(steps.some((step) => /^ {8}run: npx tsx integration\/scenario\/run\.ts$/m.test(step))).toBe(true);
    for (const variable of ['SCENARIO_GITHUB: real', 'SCENARIO_AWS: localstack', 'SCENARIO_RUNNERS: real']) {
      expect(job).toContain(variable);
    }
    expect(job).toMatch(/SCENARIO_RUNNER_LABEL: reaper-e2e-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}/);
  });

  test('does not re-implement the scenario in shell', () => {
    const shell = [text, ...listRepoFiles().filter((f) => f.startsWith('.github/scripts/')).map(read)].join('\n');
    for (const scenarioStep of ['generate-jitconfig', 'run-instances', 'terminate-instances', '--jitconfig', 'lambda invoke']) {
      expect(shell).not.toContain(scenarioStep);
    }
  });

  test('checks the schedules right after a passed scenario, before the clean-up', () => {
    const scenarioIndex = steps.findIndex((step) => step.includes('integration/scenario/run.ts'));
    const check = steps[scenarioIndex + 1] ?? '';
    expect(check).toMatch(/^ {8}run: npx tsx integration\/scenario\/check-schedules\.ts$/m);
    // Only after a passed scenario: a failed one may leave instances a scheduled run would act on.
    expect(check).not.toMatch(/^ {8}if:/m);
  });

  test('cleans up even when the scenario failed or was cancelled', () => {
    const scenarioIndex = steps.findIndex((step) => step.includes('integration/scenario/run.ts'));
    const cleanup = steps.slice(scenarioIndex + 2);
    expect(cleanup.length).toBeGreaterThanOrEqual(3);
    for (const step of cleanup) expect(step).toMatch(/^ {8}if: \$\{\{ always\(\)/m);
    const cleanupText = cleanup.join('\n');
    expect(cleanupText).toContain('e2e-backstop-cleanup.sh');
    expect(cleanupText).toContain('e2e-terraform.sh destroy');
    expect(cleanupText).toContain('localstack.sh stop');
  });

  test('pins LocalStack 4.14.0 as the image without an auth token', () => {
    expect(read('.github/scripts/localstack.sh')).toMatch(/free_image="localstack\/localstack:4\.14\.0"/);
  });

  test('pins the actions/runner release by version and SHA-256', () => {
    const script = read('.github/scripts/install-actions-runner.sh');
    expect(script).toMatch(/^readonly version="\d+\.\d+\.\d+"$/m);
    expect(script).toMatch(/^readonly sha256="[0-9a-f]{64}"$/m);
    expect(script).toContain('sha256sum --check');
  });
});

describe('docs/e2e-in-a-fork.md', () => {
  const workflow = read('.github/workflows/e2e.yml');
  const doc = read('docs/e2e-in-a-fork.md');
  const names = (pattern: RegExp): string[] => [...new Set([...workflow.matchAll(pattern)].map((m) => m[1] ?? ''))];

  test('documents every secret and variable the workflow reads', () => {
    const inputs = [...names(/\bsecrets\.([A-Z0-9_]+)/g), ...names(/\bvars\.([A-Z0-9_]+)/g)];
    expect(inputs).toEqual(expect.arrayContaining(['E2E_GITHUB_APP_ID', 'E2E_GITHUB_APP_PRIVATE_KEY', 'LOCALSTACK_AUTH_TOKEN']));
    expect(inputs.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });

  test('documents every SCENARIO_ variable the workflow gives the scenario', () => {
    const scenarioVariables = names(/\b(SCENARIO_[A-Z0-9_]+)/g);
    expect(scenarioVariables.length).toBeGreaterThanOrEqual(15);
    expect(scenarioVariables.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('e2e-job.yml', () => {
  const text = read('.github/workflows/e2e-job.yml');

  test('is dispatched with a label and a duration, and runs on that label', () => {
    expect(text).toMatch(/^ {2}workflow_dispatch:\n {4}inputs:/m);
    expect(text).toMatch(/^ {6}label:/m);
    expect(text).toMatch(/^ {6}duration:/m);
    expect(text).toMatch(/^ {4}runs-on: \$\{\{ inputs\.label \}\}$/m);
    // The backstop cleanup finds dispatched runs by the label in their name.
    expect(text).toMatch(/^run-name: .*\$\{\{ inputs\.label \}\} /m);
  });
});

describe('releases', () => {
  const pkg = JSON.parse(read('package.json')) as { name: string; version: string };
  const config = JSON.parse(read('release-please-config.json')) as {
    packages: Record<string, { 'package-name'?: string; 'release-type'?: string; 'changelog-path'?: string }>;
  };
  const manifest = JSON.parse(read('.release-please-manifest.json')) as Record<string, string>;
  const workflow = read('.github/workflows/release.yml');

  test('release-please releases this package from the root, versioned in package.json', () => {
    expect(Object.keys(config.packages)).toEqual(['.']);
    expect(config.packages['.']).toMatchObject({
      'package-name': pkg.name,
      'release-type': 'node',
      'changelog-path': 'CHANGELOG.md',
    });
    expect(manifest['.']).toBe(pkg.version);
  });

  test('no version is pinned: release-please would propose a pinned version again after releasing it', () => {
    const raw = read('release-please-config.json');
    expect(raw).not.toContain('release-as');
    expect(read('CONTRIBUTING.md')).not.toMatch(/"release-as": "\d/);
  });

  test('CHANGELOG.md leaves the version headings to release-please', () => {
    const changelog = read('CHANGELOG.md');
    // release-please inserts a release before the first line matching its version header
    // regex (\n###? v?[0-9[], src/updaters/changelog.ts): an "## [Unreleased]" heading would
    // match and be left under the new release; a heading above the manifest's version
    // would be a release written by hand, and a duplicate of release-please's own.
    expect(changelog).not.toMatch(/^##+ \[?unreleased/im);
    const versions = [...changelog.matchAll(/^##+ \[?v?(\d+)\.(\d+)\.(\d+)/gm)].map((m) => m.slice(1, 4).map(Number));
    expect(versions.length).toBeGreaterThan(0);
    const [major, minor, patch] = manifest['.']!.split('.').map(Number) as [number, number, number];
    for (const [a = 0, b = 0, c = 0] of versions) {
      expect(a * 1e6 + b * 1e3 + c).toBeLessThanOrEqual(major * 1e6 + minor * 1e3 + patch);
    }
  });

  test('release.yml reads that configuration and attaches the zips with SHA256SUMS', () => {
    expect(workflow).toContain('config-file: release-please-config.json');
    expect(workflow).toContain('manifest-file: .release-please-manifest.json');
    expect(workflow).toContain("if: ${{ needs.release-please.outputs.release_created == 'true' }}");
    expect(workflow).toContain('.github/scripts/release-checksums.sh lambda/dist');
    expect(workflow).toMatch(/gh release upload "\$TAG" lambda\/dist\/\*\.zip lambda\/dist\/SHA256SUMS/);
  });
});

describe('e2e.yml bounds: a slow run ends with its own report and clean-up', () => {
  const text = read('.github/workflows/e2e.yml');
  const job = [...jobBlocks(text).values()][0] ?? '';
  const steps = stepBlocks(job);
  const minutes = (block: string): number | undefined => {
    const m = /^ {8}timeout-minutes: (\d+)$/m.exec(block);
    return m ? Number(m[1]) : undefined;
  };

  test('every step has its own timeout, and the job allows all of them', () => {
    expect(steps.filter((step) => minutes(step) === undefined).map((step) => step.split('\n')[0])).toEqual([]);
    const total = steps.reduce((sum, step) => sum + (minutes(step) ?? 0), 0);
    const jobMinutes = Number(/^ {4}timeout-minutes: (\d+)$/m.exec(job)?.[1]);
    expect(jobMinutes).toBeGreaterThanOrEqual(total);
  });

  test("the scenario's deadline leaves five minutes of its step for its clean-up", () => {
    const deadline = Number(/^ {6}SCENARIO_DEADLINE_SECONDS: "(\d+)"$/m.exec(job)?.[1]);
    expect(deadline).toBeGreaterThan(0);
    const scenarioStep = steps.find((step) => step.includes('integration/scenario/run.ts')) ?? '';
    expect((minutes(scenarioStep) ?? 0) * 60).toBeGreaterThanOrEqual(deadline + 300);
  });

  test('the secrets are checked first, so a pull request from a fork fails there', () => {
    expect(steps[0]).toMatch(/^ {6}- name: Check the secrets$/m);
  });

  test("the runners get their hooks from the module's user-data snippet, installed before the scenario", () => {
    expect(job).toMatch(/^ {6}SCENARIO_HOOKS: installed$/m);
    const install = steps.findIndex((step) => step.includes('.github/scripts/e2e-install-hooks.sh "$SCENARIO_TERRAFORM_OUTPUTS"'));
    const apply = steps.findIndex((step) => step.includes('e2e-terraform.sh apply'));
    const scenario = steps.findIndex((step) => step.includes('integration/scenario/run.ts'));
    expect(apply).toBeGreaterThanOrEqual(0);
    expect(install).toBeGreaterThan(apply);
    expect(scenario).toBeGreaterThan(install);
  });
});

describe('actions/create-github-app-token', () => {
  test.each(listWorkflowFiles())('%s passes client-id, not the deprecated app-id', (file) => {
    const text = read(file);
    for (const step of text.split(/\n(?= +- )/).filter((s) => s.includes('actions/create-github-app-token@'))) {
      expect(step).not.toMatch(/^\s+app-id:/m);
      expect(step).toMatch(/^\s+client-id: /m);
    }
  });
});

describe('the e2e Terraform fixture', () => {
  const fixture = read('.github/e2e/terraform/main.tf');

  test('its schedules never fire during a run: a cron whose only date is in the past, never rate()', () => {
    const schedules = [...fixture.matchAll(/^\s*(\w+_schedule_expression)\s*=\s*"([^"]+)"/gm)].map((m) => [m[1] ?? '', m[2] ?? ''] as const);
    expect(schedules.map(([name]) => name).sort()).toEqual(['orphan_cleanup_schedule_expression', 'scale_down_schedule_expression']);
    for (const [, expression] of schedules) {
      // LocalStack 4.14.0 turns rate(N days) into a cron at 00:00 UTC (services/events/scheduler.py).
      const year = /^cron\(\d+ \d+ \d+ \d+ \? (\d{4})\)$/.exec(expression)?.[1];
      expect(year).toBeDefined();
      expect(Number(year)).toBeLessThan(new Date().getUTCFullYear());
    }
  });

  test("outputs the hooks' user-data snippet, writing the unpacked runner's .env", () => {
    expect(fixture).toMatch(/output "runner_hooks_user_data"/);
    expect(fixture).toContain('runner_env_file = "${var.runner_dir}/.env"');
  });

  test('the functions run with the default job evidence (auto): hooks count only where the boot check marked the instance', () => {
    // `hooks` would not dodge the marker either (hooks without it are no evidence), but the
    // end-to-end run is there to prove what users get by default.
    expect(fixture).not.toMatch(/^\s*job_evidence\s*=/m);
    // The snippet's own check logs where the workflow's machine can write.
    expect(fixture).toContain('check_log_file = "${var.hooks_install_dir}/check-hooks.log"');
  });
});
