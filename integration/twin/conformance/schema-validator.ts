/**
 * A small validator for the JSON-schema subset GitHub's OpenAPI 3.0 description uses:
 * type (incl. arrays of types), nullable, enum, properties, required,
 * additionalProperties, items, minItems/maxItems, anyOf/oneOf/allOf, $ref, and the
 * date-time / uri formats. Enough to say "this body is what GitHub documents".
 */
export type Schema = Record<string, unknown>;
export type RefResolver = (ref: string) => Schema;

export interface ValidationError {
  path: string;
  message: string;
}

export function validate(schema: Schema, value: unknown, resolve: RefResolver, path = '$'): ValidationError[] {
  if (typeof schema.$ref === 'string') return validate(resolve(schema.$ref), value, resolve, path);
  if (value === null && schema.nullable === true) return [];
  const errors: ValidationError[] = [];

  if (Array.isArray(schema.allOf)) {
    for (const sub of schema.allOf as Schema[]) errors.push(...validate(sub, value, resolve, path));
  }
  if (Array.isArray(schema.anyOf)) {
    const ok = (schema.anyOf as Schema[]).some((sub) => validate(sub, value, resolve, path).length === 0);
    if (!ok) errors.push({ path, message: 'matches none of anyOf' });
  }
  if (Array.isArray(schema.oneOf)) {
    const n = (schema.oneOf as Schema[]).filter((sub) => validate(sub, value, resolve, path).length === 0).length;
    if (n !== 1) errors.push({ path, message: `matches ${n} of oneOf (need exactly 1)` });
  }

  if (schema.type !== undefined) {
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    if (!types.some((t) => hasType(value, t))) {
      errors.push({ path, message: `expected ${types.join('|')}${schema.nullable ? ' or null' : ''}, got ${describe(value)}` });
      return errors;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    errors.push({ path, message: `${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}` });
  }
  if (typeof value === 'string') errors.push(...checkFormat(schema.format, value, path));

  if (isObject(value)) {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in value)) errors.push({ path, message: `missing required property "${key}"` });
    }
    for (const [key, v] of Object.entries(value)) {
      const sub = props[key];
      if (sub) errors.push(...validate(sub, v, resolve, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push({ path, message: `unexpected property "${key}"` });
      else if (isObject(schema.additionalProperties)) {
        errors.push(...validate(schema.additionalProperties as Schema, v, resolve, `${path}.${key}`));
      }
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      errors.push({ path, message: `fewer than ${schema.minItems} items` });
    }
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      errors.push({ path, message: `more than ${schema.maxItems} items` });
    }
    if (isObject(schema.items)) {
      value.forEach((item, i) => errors.push(...validate(schema.items as Schema, item, resolve, `${path}[${i}]`)));
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return false;
  }
}

function checkFormat(format: unknown, value: string, path: string): ValidationError[] {
  if (format === 'date-time' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    return [{ path, message: `"${value}" is not an RFC 3339 date-time` }];
  }
  if (format === 'uri') {
    try {
      new URL(value);
    } catch {
      return [{ path, message: `"${value}" is not a URI` }];
    }
  }
  return [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isInteger(v)) return 'number';
  if (typeof v === 'number') return 'integer';
  return typeof v;
}
