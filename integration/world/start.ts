/**
 * `npm start`: the local world in two minutes. Starts moto and the GitHub twin, launches a
 * small runner fleet with a workload of jobs, runs the built scale-down and orphan-cleanup
 * Lambdas on a schedule, forces two races, prints one line per reaper run and ends with a
 * report and an SVG timeline (reports/timeline.svg).
 *
 *   npm start                      # the full demo (about 90 s after the build)
 *   npm start -- --small           # the test's size
 *   npm start -- --model atomic    # GitHub refuses to delete a runner holding a job (422)
 *
 * Exit code 0 when every job completed and every idle runner was reclaimed, 1 when a job
 * was killed or anything failed, 130 on Ctrl-C. Every process it started is stopped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { runDemo, GITHUB_MODELS, type GitHubModel } from './demo/run-demo';
import { buildReport, type DemoReport } from './report/summary';
import { renderTimelineSvg } from './report/svg';
import { formatReport, headline } from './report/text';
import { fullWorkload, smallWorkload, type DemoWorkload } from './workload';
import { REPO_ROOT } from './world';

export interface StartOptions {
  workload?: DemoWorkload;
  githubModel?: GitHubModel;
  /** Where the SVG goes (default reports/timeline.svg in the repository). */
  svgPath?: string;
  print?: (text: string) => void;
  signal?: AbortSignal;
}

export interface StartOutcome {
  report: DemoReport;
  svg: string;
  svgPath: string;
  reportPath: string;
  exitCode: number;
}

export async function start(opts: StartOptions = {}): Promise<StartOutcome> {
  const print = opts.print ?? ((text: string) => process.stdout.write(text + '\n'));
  const workload = opts.workload ?? fullWorkload();
  const svgPath = opts.svgPath ?? join(REPO_ROOT, 'reports', 'timeline.svg');
  print(`runner-reaper local demo (${workload.name}): moto + GitHub twin + ${workload.fleet.length} runner groups + the built Lambdas`);

  const result = await runDemo({
    workload,
    ...(opts.githubModel ? { githubModel: opts.githubModel } : {}),
    onProgress: print,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const report = buildReport(result);
  const svg = renderTimelineSvg(result.timeline, { title: `runner-reaper: runner timeline (${workload.name} demo)`, subtitle: headline(report) });
  await mkdir(dirname(svgPath), { recursive: true });
  await writeFile(svgPath, svg);
  const reportPath = svgPath.replace(/\.svg$/, '') + '-report.json';
  await writeFile(reportPath, JSON.stringify(report, null, 2) + '\n');
  print(formatReport(report, relative(process.cwd(), svgPath) || svgPath));
  return { report, svg, svgPath, reportPath, exitCode: result.interrupted ? 130 : report.ok ? 0 : 1 };
}

function parseArgs(argv: string[]): { workload: DemoWorkload; githubModel: GitHubModel } {
  let workload = fullWorkload();
  let githubModel: GitHubModel = '2026';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--small') workload = smallWorkload();
    else if (arg === '--model' || arg.startsWith('--model=')) {
      const value = arg.includes('=') ? arg.split('=')[1]! : (argv[++i] ?? '');
      if (!(value in GITHUB_MODELS)) throw new Error(`--model must be one of ${Object.keys(GITHUB_MODELS).join(', ')}`);
      githubModel = value as GitHubModel;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm start -- [--small] [--model 2026|atomic]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return { workload, githubModel };
}

/**
 * The AWS SDK warns on every run that its 2027 releases need Node 22; it says nothing
 * about this demo, so that one warning is dropped and every other one still prints.
 */
function quietNodeVersionWarning(): void {
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'NodeVersionSupportWarning' || warning.message.startsWith('NodeVersionSupportWarning')) return;
    for (const listener of defaults) listener(warning);
  });
}

async function main(): Promise<void> {
  quietNodeVersionWarning();
  const interrupt = new AbortController();
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write(`\n${name}: stopping the world (moto, twin, Lambda processes)...\n`);
    interrupt.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    const args = parseArgs(process.argv.slice(2));
    const outcome = await start({ ...args, signal: interrupt.signal });
    process.exitCode = outcome.exitCode;
  } catch (error) {
    process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
  // Stray handles (keep-alive sockets, timers of stopped agents) must not hold the exit.
  setTimeout(() => process.exit(), 200).unref();
}

if (require.main === module) void main();
