/** The README's Configuration table lists exactly the variables the schema reads. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_VARIABLES } from '../../src/config/schema';

test('README "Configuration" lists every variable the reaper reads, and no other', () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('## Configuration\n') + 1));
  const listed = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
  expect([...listed].sort()).toEqual([...ENV_VARIABLES].sort());
});
