/**
 * The machine probe's answer: one line of JSON that the probe document prints on the
 * instance (docs/design.md, "The machine probe"). The probe script, the SSM twin's agents
 * and this parser share this contract; `version` changes when its meaning does.
 *
 *   {"probe":"runner-reaper","version":1,"busy":false,"workers":0,
 *    "idleSince":"2026-12-01T10:00:00Z","now":"2026-12-01T10:05:00Z","detail":"..."}
 *
 * Strict on what the reaper uses (probe, version, busy, idleSince, now), tolerant of
 * anything else. Output that does not parse is an error, and an error means keep.
 */
import { z } from 'zod';
import type { ProbeRead } from '../core';

export const PROBE_ANSWER_VERSION = 1;

const isoTime = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 time');

const answerSchema = z.object({
  probe: z.literal('runner-reaper'),
  version: z.literal(PROBE_ANSWER_VERSION),
  busy: z.boolean(),
  /** Runner.Worker processes seen (informational). */
  workers: z.number().int().nonnegative().optional(),
  idleSince: isoTime.nullable(),
  now: isoTime,
  detail: z.string().max(2000).optional(),
});

export type ProbeAnswer = z.infer<typeof answerSchema>;

/**
 * Parse the standard output of one probe invocation. The last non-empty line counts (a
 * shell may print notices before it).
 */
export function parseProbeOutput(stdout: string): ProbeRead {
  const line = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .pop();
  if (line === undefined) return { kind: 'error', error: 'the probe printed nothing' };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'error', error: 'the probe output is not JSON' };
  }
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'error', error: `malformed probe answer: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  const answer = parsed.data;
  const at = new Date(answer.now);
  const idleSince = answer.idleSince === null ? undefined : new Date(answer.idleSince);
  if (idleSince && idleSince.getTime() > at.getTime()) {
    // The machine's own clock says the idle streak starts in its future: cannot be trusted.
    return { kind: 'error', error: 'malformed probe answer: idleSince is later than now' };
  }
  return {
    kind: 'answered',
    busy: answer.busy,
    ...(idleSince ? { idleSince } : {}),
    at,
    detail: answer.detail ?? (answer.busy ? 'a job runs' : 'no job runs'),
  };
}
