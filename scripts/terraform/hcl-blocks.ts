/**
 * Just enough HCL reading for documentation: the top-level `variable` and `output` blocks
 * of a file, with their direct attributes as source text. Strings (with escapes and
 * interpolations), comments and nested blocks are skipped correctly; expressions are not
 * evaluated.
 */

export interface HclBlock {
  kind: string;
  name: string;
  /** Direct attributes of the block (nested blocks such as `validation` excluded), as source. */
  attributes: Record<string, string>;
}

/** Index just past the string literal that starts at `start` (a `"`). */
function skipString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else if ((c === '$' || c === '%') && text[i + 1] === '{') i = skipBalanced(text, i + 1);
    else i += 1;
  }
  throw new Error(`unterminated string at offset ${start}`);
}

/** Index just past the heredoc that starts at `start` (`<<` or `<<-`). */
function skipHeredoc(text: string, start: number): number {
  const header = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(text.slice(start));
  if (!header) return start + 2;
  const marker = header[1];
  const end = new RegExp(`^[ \\t]*${marker}[ \\t]*$`, 'm');
  const rest = text.slice(start + header[0].length);
  const found = end.exec(rest);
  if (!found) throw new Error(`unterminated heredoc ${marker}`);
  return start + header[0].length + found.index + found[0].length;
}

function skipComment(text: string, i: number): number {
  if (text[i] === '#' || (text[i] === '/' && text[i + 1] === '/')) {
    const nl = text.indexOf('\n', i);
    return nl === -1 ? text.length : nl;
  }
  if (text[i] === '/' && text[i + 1] === '*') {
    const close = text.indexOf('*/', i + 2);
    return close === -1 ? text.length : close + 2;
  }
  return i;
}

const OPEN: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index just past the bracket group that opens at `start`. */
function skipBalanced(text: string, start: number): number {
  const stack: string[] = [];
  let i = start;
  while (i < text.length) {
    const c = text[i] ?? '';
    const afterComment = skipComment(text, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    if (c === '"') {
      i = skipString(text, i);
      continue;
    }
    if (c === '<' && text[i + 1] === '<') {
      i = skipHeredoc(text, i);
      continue;
    }
    if (OPEN[c]) stack.push(OPEN[c] ?? '');
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced ${c} at offset ${i}`);
      if (stack.length === 0) return i + 1;
    }
    i += 1;
  }
  throw new Error(`unclosed bracket at offset ${start}`);
}

/** The direct attributes of a block body (the text between its braces). */
function readAttributes(body: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const afterComment = skipComment(body, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    const head = /^[ \t\r\n]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*(=(?!=)|\{|")/.exec(body.slice(i));
    if (!head) {
      i += 1;
      continue;
    }
    const name = head[1] ?? '';
    i += head[0].length;
    if (head[2] !== '=') {
      // A nested block (`validation {`, or a labelled block): skip it whole.
      const brace = body.indexOf('{', i - 1);
      i = skipBalanced(body, brace);
      continue;
    }
    // An attribute: its expression runs to the end of the line, brackets included.
    const start = i;
    while (i < body.length && body[i] !== '\n') {
      const c = body[i] ?? '';
      const afterInner = skipComment(body, i);
      if (afterInner !== i) {
        i = afterInner;
        continue;
      }
      if (c === '"') i = skipString(body, i);
      else if (c === '<' && body[i + 1] === '<') i = skipHeredoc(body, i);
      else if (OPEN[c]) i = skipBalanced(body, i);
      else i += 1;
    }
    attributes[name] = body.slice(start, i).trim();
  }
  return attributes;
}

/** The top-level blocks of `kind` (e.g. "variable") in an HCL file. */
export function readBlocks(text: string, kind: string): HclBlock[] {
  const blocks: HclBlock[] = [];
  const header = new RegExp(`^${kind}[ \\t]+"([^"]+)"[ \\t]*\\{`, 'gm');
  let match: RegExpExecArray | null;
  while ((match = header.exec(text)) !== null) {
    const open = match.index + match[0].length - 1;
    const close = skipBalanced(text, open);
    blocks.push({ kind, name: match[1] ?? '', attributes: readAttributes(text.slice(open + 1, close - 1)) });
    header.lastIndex = close;
  }
  return blocks;
}

/** The value of an HCL string literal (`"..."`), unescaped; other expressions as given. */
export function stringValue(expression: string | undefined): string | undefined {
  if (expression === undefined) return undefined;
  if (!/^".*"$/s.test(expression)) return expression;
  return expression
    .slice(1, -1)
    .replace(/\$\$\{/g, '${')
    .replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
