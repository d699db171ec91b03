/**
 * GitHub's OpenAPI description (@octokit/openapi, api.github.com) reduced to the
 * operations the twin serves, and checks of logged exchanges against it.
 */
import { readFileSync } from 'node:fs';
import { validate, type Schema, type ValidationError } from './schema-validator';

export interface SpecOperation {
  method: string;
  template: string;
  operationId: string;
  /** Documented status -> body schema (undefined = no body). */
  responses: Map<string, Schema | undefined>;
  queryParams: Set<string>;
  requestBody?: Schema;
}

export interface SpecSubset {
  operations: Map<string, SpecOperation>;
  resolve: (ref: string) => Schema;
}

const SPEC_FILE = require.resolve('@octokit/openapi/generated/api.github.com.json');

/** Loads the description once (13 MB) and keeps only what the given routes need. */
export function loadSpecSubset(routes: { method: string; template: string }[], file = SPEC_FILE): SpecSubset {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: Record<string, Record<string, Schema>>;
  };
  const lookup = (ref: string): Schema => {
    const m = /^#\/components\/(\w+)\/(.+)$/.exec(ref);
    const found = m ? spec.components[m[1]!]?.[m[2]!] : undefined;
    if (!found) throw new Error(`unresolvable $ref ${ref}`);
    return found;
  };
  const deref = (x: Schema): Schema => (typeof x.$ref === 'string' ? deref(lookup(x.$ref)) : x);

  // Keep the schemas reachable from the chosen operations; drop the rest of the spec.
  const kept = new Map<string, Schema>();
  const keep = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(keep);
    const ref = (node as Schema).$ref;
    if (typeof ref === 'string' && !kept.has(ref)) {
      kept.set(ref, lookup(ref));
      keep(kept.get(ref));
    }
    for (const v of Object.values(node)) keep(v);
  };

  const operations = new Map<string, SpecOperation>();
  for (const { method, template } of routes) {
    const op = spec.paths[template]?.[method.toLowerCase()];
    if (!op) continue;
    const responses = new Map<string, Schema | undefined>();
    for (const [status, raw] of Object.entries(op.responses as Record<string, Schema>)) {
      const res = deref(raw);
      const schema = (res.content as Record<string, { schema?: Schema }> | undefined)?.['application/json']?.schema;
      keep(schema);
      responses.set(status, schema);
    }
    const params = [...((op.parameters as Schema[]) ?? []), ...((spec.paths[template]!.parameters as unknown as Schema[]) ?? [])].map(deref);
    const body = (deref((op.requestBody as Schema) ?? {}).content as Record<string, { schema?: Schema }> | undefined)?.[
      'application/json'
    ]?.schema;
    keep(body);
    operations.set(`${method} ${template}`, {
      method,
      template,
      operationId: String(op.operationId),
      responses,
      queryParams: new Set(params.filter((p) => p.in === 'query').map((p) => String(p.name))),
      ...(body ? { requestBody: body } : {}),
    });
  }
  return {
    operations,
    resolve: (ref) => {
      const s = kept.get(ref);
      if (!s) throw new Error(`$ref ${ref} outside the kept subset`);
      return s;
    },
  };
}

export interface Exchange {
  method: string;
  route: string;
  query: Record<string, string>;
  status: number;
  requestBody?: unknown;
  responseBody?: unknown;
}

/**
 * Statuses GitHub really answers on these routes although the description leaves them
 * out (see the facts note): 404 for a runner that is gone, 401 for bad credentials,
 * 403/429 for rate limits, 500 for the 2021 "may be actively running a job" refusal,
 * 502/503 from the edge. Their bodies must still be GitHub's basic-error shape.
 */
export const UNDOCUMENTED_BUT_REAL = new Set([401, 403, 404, 429, 500, 502, 503]);

export interface ConformanceProblem {
  exchange: string;
  problem: string;
}

/** Checks one logged exchange against the spec subset. */
export function checkExchange(spec: SpecSubset, ex: Exchange): ConformanceProblem[] {
  const key = `${ex.method} ${ex.route}`;
  const op = spec.operations.get(key);
  const label = `${key} -> ${ex.status}`;
  if (!op) return [{ exchange: label, problem: 'path and method not in the OpenAPI description' }];
  const problems: ConformanceProblem[] = [];
  const report = (errors: ValidationError[], what: string) =>
    errors.forEach((e) => problems.push({ exchange: label, problem: `${what} ${e.path}: ${e.message}` }));

  for (const q of Object.keys(ex.query)) {
    if (!op.queryParams.has(q)) problems.push({ exchange: label, problem: `query parameter "${q}" not documented` });
  }
  if (op.requestBody && ex.requestBody !== undefined && ex.status < 400) {
    report(validate(op.requestBody, ex.requestBody, spec.resolve), 'request body');
  }
  const status = String(ex.status);
  if (op.responses.has(status)) {
    const schema = op.responses.get(status);
    if (schema) report(validate(schema, ex.responseBody, spec.resolve), 'response body');
    else if (ex.responseBody !== undefined) problems.push({ exchange: label, problem: 'documented without a body, but a body was sent' });
  } else if (UNDOCUMENTED_BUT_REAL.has(ex.status)) {
    report(validate(BASIC_ERROR, ex.responseBody, spec.resolve), 'error body');
  } else {
    problems.push({ exchange: label, problem: `status ${ex.status} not documented (documented: ${[...op.responses.keys()].join(', ')})` });
  }
  return problems;
}

const BASIC_ERROR: Schema = {
  type: 'object',
  required: ['message'],
  properties: { message: { type: 'string' }, documentation_url: { type: 'string' }, status: { type: 'string' } },
};
