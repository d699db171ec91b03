// README.md's Terraform tables equal variables.tf and outputs.tf, and the generator only
// ever rewrites its own region.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/terraform/cli-config';
import { BEGIN, END, currentRegion, renderInputs, renderOutputs, renderRegion, replaceRegion } from '../../scripts/terraform/docs';
import { readBlocks, stringValue } from '../../scripts/terraform/hcl-blocks';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');

test('README.md tables are equal to variables.tf and outputs.tf (fix: npx tsx scripts/terraform/docs.ts --write)', () => {
  expect(currentRegion(read('README.md'))).toBe(renderRegion());
});

test('every variable and output is in the tables, each with a description', () => {
  const variables = readBlocks(read('variables.tf'), 'variable');
  const outputs = readBlocks(read('outputs.tf'), 'output');
  expect(variables.length).toBeGreaterThan(20);
  const region = renderRegion();
  for (const block of [...variables, ...outputs]) {
    expect({ name: block.name, described: (stringValue(block.attributes.description) ?? '').length > 10 }).toEqual({
      name: block.name,
      described: true,
    });
    expect(region).toContain(`| ${block.name} |`);
  }
});

test('the reader handles nested blocks, multi-line types, escapes, interpolations and comments', () => {
  const hcl = [
    'variable "a" {',
    '  # a comment with { and "',
    '  description = "Say \\"hi\\" to ${var.x == "y" ? "a" : "b"} | pipes"',
    '  type = object({',
    '    b = string',
    '    c = optional(number, 3)',
    '  })',
    '  default = { b = "}" }',
    '  validation {',
    '    condition     = var.a != null',
    '    error_message = "needed"',
    '  }',
    '}',
    '',
    'variable "required" {',
    '  description = "No default."',
    '  type        = string',
    '}',
  ].join('\n');
  expect(renderInputs(hcl).split('\n').slice(2)).toEqual([
    '| a | Say "hi" to ${var.x == "y" ? "a" : "b"} \\| pipes | `object({b = string, c = optional(number, 3)})` | `{ b = "}" }` | no |',
    '| required | No default. | `string` | n/a | yes |',
  ]);
  expect(renderOutputs('output "o" {\n  description = "An output."\n  value = { x = 1 }\n}\n').split('\n')[2]).toBe(
    '| o | An output. |',
  );
});

test('--write replaces only the region between the markers', () => {
  const readme = ['# Title', 'text before', BEGIN, 'stale', 'tables', END, 'text after', ''].join('\n');
  const updated = replaceRegion(readme, '\nNEW\n');
  expect(updated).toBe(['# Title', 'text before', `${BEGIN}`, 'NEW', `${END}`, 'text after', ''].join('\n'));
  expect(() => replaceRegion('# no markers\n', 'x')).toThrow(/BEGIN_TF_DOCS/);
});

test('the version lives in package.json (mirrored in the release-please manifest) and CHANGELOG.md has a section for it', () => {
  const { version } = JSON.parse(read('package.json')) as { version: string };
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(JSON.parse(read('.release-please-manifest.json'))).toEqual({ '.': version });
  // release-please writes "## [x.y.z](compare link) (date)"; 0.1.0's hand-written heading is "## 0.1.0 (...)".
  expect(read('CHANGELOG.md')).toMatch(new RegExp(`^## \\[?${version.replaceAll('.', '\\.')}\\b`, 'm'));
});
