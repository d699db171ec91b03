/** Which OS a runner instance runs: GitHub's word first (the runner's `os`), then EC2's. */
import type { InstanceView, RunnerOs, RunnerView } from './types';

export function runnerOsOf(instance: InstanceView, runner?: RunnerView): RunnerOs {
  const os = runner?.os?.toLowerCase();
  if (os === 'windows') return 'windows';
  if (os === 'macos' || os === 'osx' || os === 'darwin') return 'macos';
  if (os === 'linux') return 'linux';
  return instance.platform ?? 'linux';
}
