/**
 * `runner-reaper plan` against the local world: the GitHub twin and a fleet of simulated
 * runners on moto. The plan runs as an operator runs it (the package's bin, in its own
 * Node process, real HTTP to the twin, real AWS SDK calls), its EC2 and Lambda calls
 * counted by a pass-through in front of moto, its SSM calls logged by the SSM twin (which
 * serves Run Command and passes the rest to moto), as the world's functions reach SSM. The
 * proof that it is read-only comes from the other side of the wire: the GitHub twin saw
 * GETs only (and the App's installation token exchange), AWS saw Describe/Get/List only (no
 * SendCommand, even with the probe on), and every tag and registration is as it was. Then
 * the built functions run on the same fleet and must decide what the plan said, now and next.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { configVariablesOf } from '../../../lambda/src/cli/configuration';
import type { RunningFunction } from '../../lambda-runtime';
import { AwsCallCounter, motoClientConfig, motoEnv } from '../../moto';
import { ROUTES } from '../../twin';
import { REPO_ROOT, SCALE_DOWN_ZIP, type LocalWorld } from '../../world/world';
import { HOOKS_CONTRACT_VERSION } from '../../../lambda/src/core/tags';
import { TAG, expectReturned, isRegistered, launch, startJob, useWorld } from '../e2e/support';

// Each plan is its own Node process (tsx compiles the sources): seconds each on a loaded machine.
jest.setTimeout(240_000);

const BIN = join(REPO_ROOT, 'lambda', 'src', 'cli', 'bin.cjs');
const world = useWorld();

/** What the plan may call on AWS through the counter: reads only. Lambda's REST route is the counter's `other:`. */
const AWS_READ = /^(ec2|ssm):(Describe|Get|List)[A-Z]\w*$|^other:GET \/2015-03-31\/functions\/[^/]+\/configuration$/;
/** SSM operations (served by the SSM twin or passed on to moto) that only read. */
const SSM_READ = /^(Describe|Get|List)[A-Z]\w*$/;

interface PlanRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface PlanJsonRow {
  instanceId: string;
  evidence: 'hooks' | 'probe' | 'none' | null;
  probeable: boolean | null;
  action: string;
  reason: string;
  decidedBy: string;
  next: { kind: string; action?: string; reason?: string; inSeconds?: number; probe?: { withoutAnswerFrom?: string } };
  decisions: { scaleDown: { action: string; reason: string }; orphanCleanup: { action: string; reason: string; heldSince?: string } };
}

interface PlanJson {
  exitCode: number;
  probe: { state: string; online?: number; why?: string };
  readOnly: boolean;
  configurationSource: string;
  configuration: { environments: string[] };
  instances: PlanJsonRow[];
  summary: {
    reclaimNow: string[];
    terminateNow: string[];
    dryRun: boolean;
    held: { count: number; instances: { instanceId: string; since: string }[] };
    bookkeeping: { set: Record<string, string[]>; remove: Record<string, string[]> };
  };
}

let counter: AwsCallCounter;
let home: string;

beforeAll(async () => {
  counter = new AwsCallCounter(world().moto.url);
  await counter.start();
  // An empty home: no ~/.aws of this machine's user can leak into the plan.
  home = mkdtempSync(join(tmpdir(), 'plan-home-'));
});

afterAll(async () => {
  await counter.stop();
  rmSync(home, { recursive: true, force: true });
});

beforeEach(() => counter.reset());

/** The configuration the world's functions run with, and AWS through the counter. */
function planEnv(w: LocalWorld, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...configVariablesOf(w.functionEnv),
    ...motoEnv(counter.url),
    // SSM as the world's functions reach it: Run Command served by the twin, the rest moto's.
    AWS_ENDPOINT_URL_SSM: w.ssmTwin.url,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function runPlan(args: string[], env: Record<string, string>): Promise<PlanRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'plan', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function planJson(w: LocalWorld, args: string[] = []): Promise<PlanJson> {
  const run = await runPlan(['--json', ...args], planEnv(w));
  if (run.code !== 0) throw new Error(`plan exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as PlanJson;
}

/** Every instance and its tags, and who is registered: what a write would change. */
async function fleetState(w: LocalWorld, ids: string[]) {
  return Promise.all(
    ids.map(async (id) => {
      const { state, tags } = await w.instance(id);
      return { id, state, tags, registered: w.fleet.agent(id) ? isRegistered(w, id) : null };
    }),
  );
}

/** Forget what the twins and the counter saw, so the next checks see the plan's calls only. */
function clearWire(w: LocalWorld): void {
  w.twin.log.clear();
  w.ssmTwin.log.length = 0;
  counter.reset();
}

function expectReadOnlyWire(w: LocalWorld): void {
  const twinCalls = w.twin.log.all().map((e) => `${e.method} ${e.route}`);
  expect(twinCalls.length).toBeGreaterThan(0);
  for (const call of twinCalls) expect(call).toMatch(new RegExp(`^GET |^POST ${ROUTES.installationToken.replace(/[{}]/g, '\\$&')}$`));
  const awsCalls = Object.keys(counter.byAction());
  expect(awsCalls).toContain('ec2:DescribeInstances');
  for (const action of awsCalls) expect(action).toMatch(AWS_READ);
  const ssmCalls = w.ssmTwin.log.map((e) => e.operation);
  expect(ssmCalls).toContain('GetParameter');
  for (const operation of ssmCalls) expect(operation).toMatch(SSM_READ);
  expect(w.ssmTwin.calls('SendCommand')).toHaveLength(0);
}

/** What a function decided per instance in its last run (the executors log decided action and reason). */
function decisionsSince(fn: RunningFunction, before: number): Map<string, { action: string; reason: string }> {
  const decided = new Map<string, { action: string; reason: string }>();
  for (const line of fn.jsonLogs().slice(before)) {
    if (typeof line.instanceId === 'string' && typeof line.action === 'string' && typeof line.decisionReason === 'string') {
      decided.set(line.instanceId, { action: line.action, reason: line.decisionReason });
    }
  }
  return decided;
}

async function scheduledRun(w: LocalWorld, which: 'scale-down' | 'orphan-cleanup') {
  const fn = which === 'scale-down' ? w.scaleDown : w.orphanCleanup;
  const before = fn.jsonLogs().length;
  const run = which === 'scale-down' ? await w.runScaleDown() : await w.runOrphanCleanup();
  expectReturned(run);
  return decisionsSince(fn, before);
}

function byInstance(plan: PlanJson): Map<string, PlanJsonRow> {
  return new Map(plan.instances.map((row) => [row.instanceId, row]));
}

/** The bookkeeping the plan said a run would write, checked on the instances after the run. */
async function expectBookkeepingWritten(w: LocalWorld, plan: PlanJson): Promise<void> {
  const { set, remove } = plan.summary.bookkeeping;
  for (const [key, ids] of Object.entries(set)) {
    for (const id of ids) expect({ id, key, present: key in (await w.instance(id)).tags }).toEqual({ id, key, present: true });
  }
  for (const [key, ids] of Object.entries(remove)) {
    for (const id of ids) expect({ id, key, present: key in (await w.instance(id)).tags }).toEqual({ id, key, present: false });
  }
}

describe('runner-reaper plan against the twin and moto', () => {
  it('writes nothing, and says what the scheduled runs then do: on this run with machine evidence, later without', async () => {
    const w = world();
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    // The world's machines prove their hooks at boot (ghr:job-hooks): machine evidence.
    const [hooksIdle, busy, bypass] = await launch(w, { count: 3 });
    await w.tagInstance(bypass!, { [TAG.bypassRemoval]: 'true' });
    const [hooksOrphan] = await launch(w, { register: false });
    await w.tagInstance(hooksOrphan!, { [TAG.jobHooks]: HOOKS_CONTRACT_VERSION });
    // Machines without hooks: GitHub's word only.
    const [plainIdle] = await launch(w, { hooks: 'none' });
    const [confirmedIdle] = await launch(w, { hooks: 'none' });
    await w.tagInstance(confirmedIdle!, { [TAG.idleSince]: minutesAgo(10) });
    const [plainOrphan] = await launch(w, { register: false, hooks: 'none' });
    const [legacyOrphan] = await launch(w, { register: false, hooks: 'none' });
    const legacySince = minutesAgo(10);
    await w.tagInstance(legacyOrphan!, { [TAG.orphan]: 'true', [TAG.legacyOrphanSince]: legacySince });
    await startJob(w, busy!, 'plan-busy-job', 300_000);
    const ids = [hooksIdle!, busy!, bypass!, hooksOrphan!, plainIdle!, confirmedIdle!, plainOrphan!, legacyOrphan!];

    const before = await fleetState(w, ids);
    clearWire(w);
    const plan = await planJson(w);

    // Read-only, seen from the wire and from the state of the world.
    expectReadOnlyWire(w);
    expect(await fleetState(w, ids)).toEqual(before);
    expect(w.twin.log.count('DELETE', ROUTES.orgRunner)).toBe(0);

    // The table.
    expect(plan).toMatchObject({ exitCode: 0, readOnly: true });
    const rows = byInstance(plan);
    expect(new Set(rows.keys())).toEqual(new Set(ids));
    const shown = (id: string) => {
      const r = rows.get(id)!;
      return [r.decidedBy, r.action, r.reason, r.evidence, r.next.kind];
    };
    expect(shown(hooksIdle!)).toEqual(['scale-down', 'reclaim', 'idle-confirmed', 'hooks', 'acts-now']);
    expect(shown(busy!)).toEqual(['scale-down', 'keep', 'job-evidence', 'hooks', 'holds']);
    expect(shown(bypass!)).toEqual(['both', 'keep', 'bypass-tag', null, 'holds']);
    expect(shown(hooksOrphan!)).toEqual(['orphan-cleanup', 'terminate', 'orphan-confirmed', 'hooks', 'acts-now']);
    expect(shown(plainIdle!)).toEqual(['scale-down', 'keep', 'idle-first-sighting', 'none', 'acts-later']);
    expect(shown(confirmedIdle!)).toEqual(['scale-down', 'reclaim', 'idle-confirmed', 'none', 'acts-now']);
    expect(shown(plainOrphan!)).toEqual(['orphan-cleanup', 'keep', 'orphan-first-sighting', 'none', 'acts-later']);
    expect(shown(legacyOrphan!)).toEqual(['orphan-cleanup', 'keep', 'waiting-max-job-duration', 'none', 'acts-later']);
    // IDLE_CONFIRMATION_SECONDS=0 in the world: the second sighting is the next run. Unregistered
    // without evidence: held MAX_JOB_DURATION_MINUTES (60) from the first sighting, or from 0.1.0's mark.
    expect(rows.get(plainIdle!)!.next).toMatchObject({ action: 'reclaim', reason: 'idle-confirmed', inSeconds: 0 });
    expect(rows.get(plainOrphan!)!.next).toMatchObject({ action: 'terminate', reason: 'orphan-confirmed', inSeconds: 3600 });
    expect(rows.get(legacyOrphan!)!.next).toMatchObject({ action: 'terminate', reason: 'orphan-confirmed' });
    expect(rows.get(legacyOrphan!)!.next.inSeconds).toBeLessThanOrEqual(3000);
    expect(rows.get(legacyOrphan!)!.next.inSeconds).toBeGreaterThan(2900);
    expect(plan.summary).toMatchObject({
      reclaimNow: [hooksIdle, confirmedIdle].sort(),
      terminateNow: [hooksOrphan],
      held: { count: 1, instances: [{ instanceId: legacyOrphan, since: legacySince }] },
      bookkeeping: {
        set: { [TAG.idleSince]: [plainIdle], [TAG.reaperOrphanSince]: [legacyOrphan, plainOrphan].sort() },
        remove: { [TAG.orphan]: [legacyOrphan], [TAG.legacyOrphanSince]: [legacyOrphan] },
      },
    });

    // The scheduled runs decide exactly what the plan said each function would, and write the bookkeeping it listed.
    const scaleDown = await scheduledRun(w, 'scale-down');
    const orphanCleanup = await scheduledRun(w, 'orphan-cleanup');
    for (const id of ids) {
      expect({ id, ...scaleDown.get(id) }).toEqual({ id, ...pick(rows.get(id)!.decisions.scaleDown) });
    }
    // Scale-down has terminated the instances it reclaimed: orphan-cleanup no longer lists them.
    expect([...orphanCleanup.keys()].sort()).toEqual(ids.filter((id) => id !== hooksIdle && id !== confirmedIdle).sort());
    for (const id of orphanCleanup.keys()) {
      expect({ id, ...orphanCleanup.get(id) }).toEqual({ id, ...pick(rows.get(id)!.decisions.orphanCleanup) });
    }
    for (const id of [hooksIdle!, confirmedIdle!, hooksOrphan!]) expect({ id, running: await w.isRunning(id) }).toEqual({ id, running: false });
    await expectBookkeepingWritten(w, plan);
    expect((await w.instance(legacyOrphan!)).tags[TAG.reaperOrphanSince]).toBe(legacySince);

    // Next: the second sighting without evidence acts; the unregistered ones without evidence are held, and the plan says since when.
    const second = await planJson(w);
    const next = byInstance(second);
    expect([next.get(plainIdle!)!.action, next.get(plainIdle!)!.next.kind]).toEqual(['reclaim', 'acts-now']);
    for (const id of [plainOrphan!, legacyOrphan!]) {
      expect({ id, reason: next.get(id)!.reason, kind: next.get(id)!.next.kind }).toEqual({ id, reason: 'waiting-max-job-duration', kind: 'acts-later' });
    }
    expect(second.summary.held.count).toBe(2);
    expect(second.summary.held.instances.map((h) => h.instanceId)).toEqual([legacyOrphan, plainOrphan]);
    expect(next.get(busy!)!.reason).toBe('job-evidence');
    expect((await scheduledRun(w, 'scale-down')).get(plainIdle!)).toEqual({ action: 'reclaim', reason: 'idle-confirmed' });
    const held = await scheduledRun(w, 'orphan-cleanup');
    for (const id of [plainOrphan!, legacyOrphan!]) expect({ id, ...held.get(id) }).toEqual({ id, ...pick(next.get(id)!.decisions.orphanCleanup) });
    expect(await w.isRunning(plainIdle!)).toBe(false);
    for (const id of [busy!, bypass!, plainOrphan!, legacyOrphan!]) expect({ id, running: await w.isRunning(id) }).toEqual({ id, running: true });
    expect(w.harmedJobs()).toEqual([]);
  });

  it('with DRY_RUN=true, the plan writes nothing, and a dry run writes the bookkeeping the plan listed and nothing else', async () => {
    const w = world();
    const [hooksIdle] = await launch(w);
    const [plainIdle] = await launch(w, { hooks: 'none' });
    const [plainOrphan] = await launch(w, { register: false, hooks: 'none' });
    const ids = [hooksIdle!, plainIdle!, plainOrphan!];
    const before = await fleetState(w, ids);
    clearWire(w);
    const run = await runPlan(['--json'], planEnv(w, { DRY_RUN: 'true' }));
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as PlanJson;
    expectReadOnlyWire(w);
    expect(await fleetState(w, ids)).toEqual(before);
    expect(plan.summary.dryRun).toBe(true);
    expect(byInstance(plan).get(hooksIdle!)).toMatchObject({ action: 'reclaim', next: { kind: 'acts-now' } });

    for (const which of ['scale-down', 'orphan-cleanup'] as const) {
      const fn = await w.startFunction(which, { env: { DRY_RUN: 'true' } });
      expectReturned(await w.run(fn));
    }
    // Nothing acted on: every instance runs, every runner is registered as before.
    const after = await fleetState(w, ids);
    expect(after.map(({ id, state, registered }) => ({ id, state, registered }))).toEqual(before.map(({ id, state, registered }) => ({ id, state, registered })));
    // The tags changed exactly by the bookkeeping the plan listed.
    const written = (i: number) => Object.keys(after[i]!.tags).filter((k) => !(k in before[i]!.tags)).sort();
    const listed = (id: string) => Object.entries(plan.summary.bookkeeping.set).filter(([, on]) => on.includes(id)).map(([key]) => key).sort();
    for (const [i, id] of ids.entries()) expect({ id, written: written(i) }).toEqual({ id, written: listed(id) });
    expect(listed(plainIdle!)).toEqual([TAG.idleSince]);
    expect(listed(plainOrphan!)).toEqual([TAG.reaperOrphanSince]);
  });

  it('with the probe on, asks SSM who could be probed exactly as a run does, and never sends SendCommand', async () => {
    const w = world();
    const [managed] = await launch(w, { ssm: true, hooks: 'none' });
    const [unmanaged] = await launch(w, { ssm: false, hooks: 'none' });
    const ids = [managed!, unmanaged!];
    const before = await fleetState(w, ids);
    clearWire(w);
    const run = await runPlan(['--json'], planEnv(w, { JOB_EVIDENCE: 'auto' }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as PlanJson;

    expectReadOnlyWire(w);
    expect(await fleetState(w, ids)).toEqual(before);
    expect(plan.probe).toEqual({ state: 'read', online: 1 });
    const rows = byInstance(plan);
    expect([rows.get(managed!)!.probeable, rows.get(unmanaged!)!.probeable]).toEqual([true, false]);
    // What SSM can reach rests on the probe and is reclaimed on this first sighting if the probe answers idle.
    expect(rows.get(managed!)).toMatchObject({ evidence: 'probe', action: 'reclaim', reason: 'idle-confirmed', next: { kind: 'acts-now', probe: {} } });
    expect(rows.get(unmanaged!)).toMatchObject({ evidence: 'none', action: 'keep', reason: 'idle-first-sighting' });
    const planAsked = w.ssmTwin.calls('DescribeInstanceInformation').map((e) => e.request);
    expect(planAsked).toHaveLength(1);

    // A run with the same configuration asks SSM the same question and decides what the plan said.
    const fn = await w.startFunction('scale-down', { env: { JOB_EVIDENCE: 'auto' } });
    w.ssmTwin.log.length = 0;
    const logged = fn.jsonLogs().length;
    expectReturned(await w.run(fn));
    expect(w.ssmTwin.calls('DescribeInstanceInformation').map((e) => e.request)).toEqual(planAsked);
    const decided = decisionsSince(fn, logged);
    for (const id of ids) expect({ id, ...decided.get(id) }).toEqual({ id, ...pick(rows.get(id)!.decisions.scaleDown) });
  });

  it('with JOB_EVIDENCE=hooks, says why the probe is off and does not ask SSM', async () => {
    const w = world();
    await launch(w, { ssm: true, hooks: 'none' });
    clearWire(w);
    const plan = await planJson(w);
    expect(plan.probe).toEqual({ state: 'off', why: 'JOB_EVIDENCE=hooks: only JOB_EVIDENCE=auto probes' });
    expect(w.ssmTwin.calls('DescribeInstanceInformation')).toHaveLength(0);
    expectReadOnlyWire(w);
  });

  it('prints the table and the summary for people', async () => {
    const w = world();
    const [hooksIdle] = await launch(w);
    const [idle] = await launch(w, { hooks: 'none' });
    const [orphan] = await launch(w, { register: false, hooks: 'none' });
    const run = await runPlan([], planEnv(w));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toContain(`runner-reaper plan for ${w.environment}`);
    expect(lines.find((l) => l.startsWith('INSTANCE'))).toMatch(/^INSTANCE +OWNER +RUNNER +EVIDENCE +DECISION +REASON +NEXT +SENTENCE$/);
    expect(lines.find((l) => l.startsWith(hooksIdle!))).toMatch(/ hooks +reclaim \(scale-down\) +idle-confirmed +now +Reclaim: /);
    expect(lines.find((l) => l.startsWith(idle!))).toMatch(/ none +keep \(scale-down\) +idle-first-sighting +reclaim on the next run +Kept: First idle sighting/);
    expect(lines.find((l) => l.startsWith(orphan!))).toMatch(/ none +keep \(orphan-cleanup\) +orphan-first-sighting +terminate in 1 h at the earliest +Kept: /);
    expect(lines).toContain(`      idle-confirmed: ${hooksIdle} (hooks)`);
    expect(run.stdout).toContain(`tag ${TAG.idleSince} on 1 instance: ${idle}`);
    expect(run.stdout).toContain(`tag ${TAG.reaperOrphanSince} on 1 instance: ${orphan}`);
    expect(run.stdout).toContain('Waiting: 2');
    expect(run.stdout).toContain('Machine evidence: hooks 1, probe 0, none 2.');
  });

  it('reads the configuration of a deployed function by name (GetFunctionConfiguration)', async () => {
    const w = world();
    // Without machine evidence, so that the function's IDLE_CONFIRMATION_SECONDS shows in the wait.
    await launch(w, { hooks: 'none' });
    const aws = motoClientConfig(w.moto.url);
    const role = await new IAMClient(aws).send(
      new CreateRoleCommand({ RoleName: 'plan-test-role', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }),
    );
    await new LambdaClient(aws).send(
      new CreateFunctionCommand({
        FunctionName: 'gh-ci-reaper-scale-down',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: role.Role!.Arn!,
        Code: { ZipFile: readFileSync(SCALE_DOWN_ZIP) },
        Environment: { Variables: { ...configVariablesOf(w.functionEnv), IDLE_CONFIRMATION_SECONDS: '90' } },
      }),
    );
    // Nothing of the configuration in the shell: it all comes from the function.
    const shellWithoutConfig = Object.fromEntries(Object.keys(configVariablesOf(w.functionEnv)).map((k) => [k, undefined]));
    clearWire(w);
    const run = await runPlan(['--json', '--function', 'gh-ci-reaper-scale-down'], planEnv(w, shellWithoutConfig));
    expect(run.stderr).toBe('');
    const plan = JSON.parse(run.stdout) as PlanJson & { configuration: { idleConfirmationSeconds: number } };
    expect(plan.configurationSource).toBe('function gh-ci-reaper-scale-down');
    expect(plan.configuration).toMatchObject({ environments: [w.environment], idleConfirmationSeconds: 90 });
    // Two sightings 2 x IDLE_CONFIRMATION_SECONDS apart without machine evidence.
    expect(plan.instances[0]).toMatchObject({ evidence: 'none', reason: 'idle-first-sighting', next: { kind: 'acts-later', inSeconds: 180 } });
    expect(counter.byAction()).toMatchObject({ 'other:GET /2015-03-31/functions/gh-ci-reaper-scale-down/configuration': 1 });
    expectReadOnlyWire(w);
  });

  it('an owner whose listing fails: the plan is printed and ends with exit code 3', async () => {
    const w = world();
    const [ours] = await launch(w);
    const stranger = { type: 'Org' as const, owner: 'not-installed-org' };
    const [theirs] = await launch(w, { owner: stranger, register: false });
    const run = await runPlan([], planEnv(w));
    expect(run.code).toBe(3);
    expect(run.stdout.split('\n').find((l) => l.startsWith(theirs!))).toMatch(/keep \(both\) +github-unavailable +stays kept/);
    expect(run.stdout.split('\n').find((l) => l.startsWith(ours!))).toMatch(/ hooks +reclaim \(scale-down\) +idle-confirmed +now /);
    expect(run.stderr).toContain('runner-reaper plan: incomplete: the runner listing of Org:not-installed-org failed');
  });

  it('bad configuration: exit code 2 with the functions\' message, and no call at all', async () => {
    const w = world();
    const run = await runPlan([], planEnv(w, { JOB_EVIDENCE: 'maybe' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('JOB_EVIDENCE');
    expect(run.stdout).toBe('');
    expect(counter.total).toBe(0);
    expect(w.twin.log.size).toBe(0);
  });

  it('no AWS credentials: exit code 3 and a sentence that says so', async () => {
    const w = world();
    const run = await runPlan([], planEnv(w, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }));
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('No AWS credentials');
    expect(counter.total).toBe(0);
  });
});

function pick(d: { action: string; reason: string }): { action: string; reason: string } {
  return { action: d.action, reason: d.reason };
}
