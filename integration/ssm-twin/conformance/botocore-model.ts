/**
 * AWS's published model of the SSM API, as botocore ships it (installed with moto:
 * `<botocore>/data/ssm/2014-11-06/service-2.json[.gz]`), and a validator of JSON-protocol
 * values against its shapes: structure members and `required`, list and map sizes,
 * string length, `pattern` and `enum`, integer ranges, booleans, timestamps (epoch seconds
 * on the JSON protocol). The twin checks every request with it (a ValidationException, as
 * the service answers), and the conformance test checks every answer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface BotocoreShape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'blob' | 'double' | 'float';
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  exception?: boolean;
}

export interface BotocoreOperation {
  name: string;
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  metadata: { targetPrefix: string; jsonVersion: string; protocol: string; apiVersion: string };
  operations: Record<string, BotocoreOperation>;
  shapes: Record<string, BotocoreShape>;
}

export interface ShapeError {
  path: string;
  message: string;
}

let cached: ServiceModel | undefined;

/** Where botocore is installed (beside moto). */
export function botocoreDir(): string {
  const dir = process.env.BOTOCORE_DIR ?? execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' }).trim();
  if (!dir || !existsSync(dir)) throw new Error('botocore is not installed (it comes with moto: pip install "moto[server]==5.2.1")');
  return dir;
}

/** The SSM service model (2014-11-06). */
export function ssmModel(): ServiceModel {
  if (cached) return cached;
  const base = join(botocoreDir(), 'data', 'ssm', '2014-11-06');
  const plain = join(base, 'service-2.json');
  const text = existsSync(plain) ? readFileSync(plain, 'utf8') : gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
  cached = JSON.parse(text) as ServiceModel;
  return cached;
}

const patterns = new Map<string, RegExp | null>();
function patternOf(source: string): RegExp | null {
  if (!patterns.has(source)) {
    try {
      patterns.set(source, new RegExp(source, 'u'));
    } catch {
      try {
        patterns.set(source, new RegExp(source));
      } catch {
        patterns.set(source, null); // a Java-only construct: not checked
      }
    }
  }
  return patterns.get(source)!;
}

/** Errors of `value` against shape `shapeName` (empty when it conforms). */
export function validateShape(model: ServiceModel, shapeName: string, value: unknown, path = '$'): ShapeError[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [{ path, message: `unknown shape ${shapeName}` }];
  const errors: ShapeError[] = [];
  const fail = (message: string) => errors.push({ path, message: `${message} (shape ${shapeName})` });
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(`expected an object, got ${describe(value)}`);
        break;
      }
      const obj = value as Record<string, unknown>;
      for (const req of shape.required ?? []) if (obj[req] === undefined) errors.push({ path: `${path}.${req}`, message: 'required member missing' });
      for (const [key, member] of Object.entries(obj)) {
        if (member === undefined) continue;
        if (shape.exception && (key === '__type' || key === 'message')) continue;
        const def = shape.members?.[key];
        if (!def) {
          errors.push({ path: `${path}.${key}`, message: `not a member of ${shapeName}` });
          continue;
        }
        errors.push(...validateShape(model, def.shape, member, `${path}.${key}`));
      }
      break;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        fail(`expected a list, got ${describe(value)}`);
        break;
      }
      checkSize(shape, value.length, 'items', fail);
      value.forEach((item, i) => errors.push(...validateShape(model, shape.member!.shape, item, `${path}[${i}]`)));
      break;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(`expected a map, got ${describe(value)}`);
        break;
      }
      const entries = Object.entries(value as Record<string, unknown>);
      checkSize(shape, entries.length, 'entries', fail);
      for (const [k, v] of entries) {
        errors.push(...validateShape(model, shape.key!.shape, k, `${path}{key ${k}}`));
        errors.push(...validateShape(model, shape.value!.shape, v, `${path}.${k}`));
      }
      break;
    }
    case 'string': {
      if (typeof value !== 'string') {
        fail(`expected a string, got ${describe(value)}`);
        break;
      }
      checkSize(shape, value.length, 'characters', fail);
      if (shape.enum && !shape.enum.includes(value)) fail(`${JSON.stringify(value)} is not one of ${shape.enum.join(', ')}`);
      const re = shape.pattern ? patternOf(shape.pattern) : null;
      if (re && !re.test(value)) fail(`${JSON.stringify(value.slice(0, 80))} does not match ${shape.pattern}`);
      break;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        fail(`expected an integer, got ${describe(value)}`);
        break;
      }
      if (shape.min !== undefined && value < shape.min) fail(`${value} is below ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) fail(`${value} is above ${shape.max}`);
      break;
    }
    case 'double':
    case 'float':
      if (typeof value !== 'number') fail(`expected a number, got ${describe(value)}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected a boolean, got ${describe(value)}`);
      break;
    case 'timestamp':
      // JSON protocol: epoch seconds (a number); a request may also send an ISO string.
      if (!(typeof value === 'number' && Number.isFinite(value)) && !(typeof value === 'string' && !Number.isNaN(Date.parse(value)))) {
        fail(`expected a timestamp, got ${describe(value)}`);
      }
      break;
    case 'blob':
      if (typeof value !== 'string') fail(`expected base64 text, got ${describe(value)}`);
      break;
    default:
      fail(`shape type ${String((shape as { type: string }).type)} is not handled by the validator`);
  }
  return errors;
}

function checkSize(shape: BotocoreShape, n: number, what: string, fail: (m: string) => void): void {
  if (shape.min !== undefined && n < shape.min) fail(`${n} ${what}, at least ${shape.min} required`);
  if (shape.max !== undefined && n > shape.max) fail(`${n} ${what}, at most ${shape.max} allowed`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value;
}

/** Errors any operation can answer, beside those it lists (AWS common errors). */
export const COMMON_ERRORS = ['ValidationException', 'ThrottlingException', 'AccessDeniedException', 'UnrecognizedClientException', 'ServiceUnavailable'] as const;
