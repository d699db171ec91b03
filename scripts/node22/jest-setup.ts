// Setup of the `integration-node22` jest project: the local Lambda emulator runs every
// function on Node 22 (LAMBDA_EMULATOR_NODE), while jest, the twin and moto's clients
// stay on the Node that runs the tests. Fails the test file, saying how to install Node 22,
// when it is missing (`npm test` installs it in its pretest step).
import { node22Binary } from './node22';

process.env.LAMBDA_EMULATOR_NODE = node22Binary();
