// The `integration-node22` project's own check: the emulator really runs a zip on Node 22
// when the project's setup names it, and on the test runner's Node without it. Without
// this, the built-zip tests of that project could pass on Node 20 and prove nothing.
import { startFunction } from '../../integration/lambda-runtime';
import { buildZip, removeZips } from '../../integration/test/lambda-runtime/zip-fixture';
import { NODE22_MAJOR, node22Binary } from './node22';

afterAll(() => removeZips());

const handler = 'exports.handler = async () => ({ version: process.version, execPath: process.execPath, path: process.env.PATH });';

async function versionInside(spec: { nodeBinary?: string } = {}): Promise<{ version: string; execPath: string; path: string }> {
  const fn = await startFunction({ zipPath: await buildZip({ 'index.js': handler }), handler: 'index.handler', runtime: 'nodejs22.x', timeoutSeconds: 20, ...spec });
  try {
    const result = await fn.invoke({});
    if (!result.ok) throw new Error(`${result.errorType}: ${result.errorMessage}`);
    return result.result as { version: string; execPath: string; path: string };
  } finally {
    await fn.stop();
  }
}

test('this project runs the functions on Node 22 (LAMBDA_EMULATOR_NODE from its setup)', async () => {
  expect(process.env.LAMBDA_EMULATOR_NODE).toBe(node22Binary());
  const inside = await versionInside();
  expect(inside.version).toMatch(new RegExp(`^v${NODE22_MAJOR}\\.`));
  expect(inside.execPath).toBe(node22Binary());
  // Lambda puts its own Node first on PATH; so does the emulator.
  expect(inside.path.split(':')[0]).toBe(node22Binary().replace(/\/node$/, ''));
}, 60_000);

test("without it, the function runs on the test runner's own Node (negative control)", async () => {
  const inside = await versionInside({ nodeBinary: process.execPath });
  expect(inside.version).toBe(process.version);
  expect(inside.version).not.toMatch(new RegExp(`^v${NODE22_MAJOR}\\.`));
}, 60_000);
