/**
 * The reference strategies as a Lambda handler, so the bench runs them the way it runs
 * ours: bundled into a zip, in its own process through integration/lambda-runtime, with the
 * reaper's own adapters (Octokit with the same throttling and DELETE spacing, the AWS SDK,
 * the App credentials from SSM). Only the removal logic differs (integration/strategies).
 * `BENCH_STRATEGY` (a, b or c) picks the strategy; the rest is the reaper's configuration.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../lambda/src/adapters/ec2';
import { GitHubRunners } from '../../lambda/src/adapters/github-runners';
import { loadConfig } from '../../lambda/src/config/load';
import { realSleep } from '../../lambda/src/executor/outcome';
import { createGitHubClients } from '../../lambda/src/handlers/github-clients';
import { BusyThenDeleteStrategy, DeleteFirstStrategy, DeleteRecheckStrategy, type CycleStats, type ReclaimStrategy } from '../strategies';

const STRATEGIES: Record<string, () => ReclaimStrategy> = {
  a: () => new BusyThenDeleteStrategy(),
  b: () => new DeleteFirstStrategy(),
  c: () => new DeleteRecheckStrategy(),
};

// Cold start, as ours does it: the configuration once, before any call.
const config = loadConfig(process.env);
const pick = STRATEGIES[process.env.BENCH_STRATEGY ?? ''];
if (!pick) throw new Error('BENCH_STRATEGY must be a, b or c');
const strategy = pick();
// The functions' own client builder: the same pacing (GITHUB_POINTS_PER_MINUTE), concurrency and credentials.
const clients = createGitHubClients(config, { warn: (message) => console.warn(message) });
const ports = {
  ec2: new Ec2Adapter(new EC2Client({})),
  github: new GitHubRunners((owner) => clients.forOwner(owner)),
};

export async function handler(): Promise<CycleStats & { strategy: string }> {
  const stats = await strategy.scaleDown(ports, { config, now: () => new Date(), sleep: realSleep });
  return { strategy: strategy.name, ...stats };
}
