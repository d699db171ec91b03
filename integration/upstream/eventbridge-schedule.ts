/**
 * EventBridge (scheduled rule) schedule expressions, checked the way AWS documents them,
 * because moto 5.2.1 accepts any `cron(...)` string (moto/events/models.py `_CRON_REGEX`
 * is `^cron\(.*\)`) and so cannot tell us whether AWS would.
 *
 * Source: Amazon EventBridge User Guide, "Using cron and rate expressions to schedule rules
 * in Amazon EventBridge" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):
 * six fields, minutes 0-59, hours 0-23, day-of-month 1-31 (`, - * ? / L W`), month 1-12 or
 * JAN-DEC, day-of-week 1-7 or SUN-SAT (`, - * ? L #`), year 1970-2199 (`, - * /`); one of
 * day-of-month and day-of-week must be `?`; rate(value unit) with minute(s), hour(s), day(s).
 */

export interface CronFieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Extra wildcards the field takes beyond `, - * /`. */
  question?: boolean;
  last?: boolean;
  weekday?: boolean;
  hash?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

export const CRON_FIELDS: readonly CronFieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true, last: true, weekday: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, question: true, last: true, hash: true },
  { name: 'year', min: 1970, max: 2199 },
];

export type ScheduleCheck = { ok: true; kind: 'cron' | 'rate' } | { ok: false; reason: string };

function valueOf(spec: CronFieldSpec, token: string): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const index = spec.names?.indexOf(token.toUpperCase() as never) ?? -1;
  return index >= 0 ? spec.min + index : undefined;
}

/** Checks one comma-separated part of a field; returns why it is wrong, or undefined. */
function checkPart(spec: CronFieldSpec, part: string): string | undefined {
  const bad = `${spec.name} "${part}" is outside ${spec.min}-${spec.max} or not a form the field takes`;
  if (part === '*') return undefined;
  if (part === '?') return spec.question ? undefined : `${spec.name} does not take "?"`;
  if (part === 'L') return spec.last ? undefined : `${spec.name} does not take "L"`;
  if (spec.weekday && /^(\d+|L)W$/.test(part)) return part === 'LW' || valueOf(spec, part.slice(0, -1)) !== undefined ? undefined : bad;
  if (spec.hash && part.includes('#')) {
    const [day, nth] = part.split('#');
    return valueOf(spec, day ?? '') !== undefined && /^[1-5]$/.test(nth ?? '') ? undefined : bad;
  }
  if (spec.last && spec.name === 'day-of-week' && /L$/.test(part)) return valueOf(spec, part.slice(0, -1)) !== undefined ? undefined : bad;
  const [range, step, ...rest] = part.split('/');
  if (rest.length > 0 || range === undefined || range === '') return bad;
  if (step !== undefined && !/^\d+$/.test(step)) return bad;
  if (step !== undefined && Number(step) === 0) return `${spec.name} step must be at least 1`;
  if (range === '*') return step !== undefined ? undefined : bad;
  const [from, to, ...more] = range.split('-');
  if (more.length > 0 || valueOf(spec, from ?? '') === undefined) return bad;
  if (to !== undefined && valueOf(spec, to) === undefined) return bad;
  return undefined;
}

/** Checks a schedule expression against the documented EventBridge syntax. */
export function checkScheduleExpression(expression: string): ScheduleCheck {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) return { ok: false, reason: 'a rate value must be a positive whole number' };
    if ((value === 1) !== !unit.endsWith('s')) return { ok: false, reason: 'rate(1 <unit>) is singular, other values plural' };
    return { ok: true, kind: 'rate' };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return { ok: false, reason: 'must be cron(<six fields>) or rate(<value> <unit>)' };
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) return { ok: false, reason: `cron needs ${CRON_FIELDS.length} fields, got ${fields.length}` };
  for (const [i, spec] of CRON_FIELDS.entries()) {
    for (const part of fields[i]!.split(',')) {
      const problem = checkPart(spec, part);
      if (problem) return { ok: false, reason: problem };
    }
  }
  const dayOfMonth = fields[2]!;
  const dayOfWeek = fields[4]!;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return { ok: false, reason: 'exactly one of day-of-month and day-of-week must be "?"' };
  }
  return { ok: true, kind: 'cron' };
}

/** The years a valid cron expression's year field allows. */
export function cronYears(expression: string): number[] {
  const check = checkScheduleExpression(expression);
  if (!check.ok || check.kind !== 'cron') throw new Error(`not a valid EventBridge cron expression: ${expression}`);
  const field = /^cron\((.*)\)$/.exec(expression)![1]!.trim().split(/\s+/)[5]!;
  const spec = CRON_FIELDS[5]!;
  const years = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [fromText, toText] = range === '*' ? [String(spec.min), String(spec.max)] : range!.split('-');
    const from = Number(fromText);
    const to = toText === undefined ? (stepText === undefined ? from : spec.max) : Number(toText);
    for (let y = from; y <= to; y += step) years.add(y);
  }
  return [...years].sort((a, b) => a - b);
}

/**
 * Whether a valid expression can never fire at or after `now`: a cron expression whose
 * every allowed year is before now's year (UTC). Rate expressions always fire.
 */
export function neverFiresAfter(expression: string, now: Date): boolean {
  if (expression.startsWith('rate(')) return false;
  return cronYears(expression).every((year) => year < now.getUTCFullYear());
}
