/** `runner-reaper <command>`: the commands an operator runs from a clone of this repository. */
import { runPlan, type CliIo } from './command';
import { EXIT } from './exit-codes';

export const USAGE = `Usage: runner-reaper <command>

Commands:
  plan    what the reaper would do to the fleet now and next, read only (runner-reaper plan --help)
`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'plan') return runPlan(rest, io);
  if (command === 'help' || command === '--help' || command === '-h') {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  io.stderr(command === undefined ? USAGE : `runner-reaper: unknown command ${JSON.stringify(command)}\n${USAGE}`);
  return EXIT.badConfiguration;
}
