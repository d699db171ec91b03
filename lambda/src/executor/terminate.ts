/**
 * TerminateInstances for both executors. EC2 refuses a whole call when one instance in it
 * may not be terminated (termination protection: `OperationNotPermitted`; an IAM condition:
 * `UnauthorizedOperation`), so one such instance would hold back its whole batch at every
 * run. A refused call is split in halves until the refusing instances stand alone; the rest
 * are terminated (issue 10, point 10). The number of calls per run is bounded.
 */
import { EC2_BATCH_SIZE, chunk } from '../adapters/ec2';
import type { Ec2WritePort, TerminateResult } from '../adapters/ports';

/** Errors EC2 gives for the whole call because of one (or some) of its instances. */
const PER_INSTANCE_ERRORS: ReadonlySet<string> = new Set([
  'OperationNotPermitted',
  'UnauthorizedOperation',
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
]);

/** Of those, the ones that mean "this instance may not be terminated": recorded, retried after a back-off. */
const REFUSALS: ReadonlySet<string> = new Set(['OperationNotPermitted', 'UnauthorizedOperation']);

/** Most TerminateInstances calls one run spends beyond each batch's first (splitting around refusals): enough to find a few refusing instances among thousands. */
export const MAX_TERMINATE_CALLS = 64;

export interface Terminations {
  terminated: Set<string>;
  /** EC2 refused these, alone in their call: termination protection or IAM. */
  refused: Map<string, string>;
  /** Everything else that was not terminated (kept; retried next run). */
  failed: Map<string, string>;
}

type Failure = TerminateResult['failed'][number];

/** The AWS error code: the adapter's, else the name the SDK error carried at the start of the text. */
export function errorCodeOf(failure: Failure): string | undefined {
  return failure.code ?? /^([A-Za-z][\w.]*)\b/.exec(failure.error)?.[1];
}

/**
 * The calls a run may still spend finding refusing instances (the splits): one budget
 * shared by all of its terminations. A termination's first call per batch of ids is not
 * counted, so a run that terminates window by window is never capped by its own windows.
 */
export interface TerminateBudget {
  callsLeft: number;
}

export const terminateBudget = (): TerminateBudget => ({ callsLeft: MAX_TERMINATE_CALLS });

export async function terminateInstances(ec2: Ec2WritePort, ids: readonly string[], budget: TerminateBudget = terminateBudget()): Promise<Terminations> {
  const result: Terminations = { terminated: new Set(), refused: new Map(), failed: new Map() };

  const attempt = async (part: string[], first = false): Promise<void> => {
    if (part.length === 0) return;
    if (!first && budget.callsLeft <= 0) {
      for (const id of part) result.failed.set(id, `not tried: ${MAX_TERMINATE_CALLS} TerminateInstances calls already spent on refusals in this run`);
      return;
    }
    if (!first) budget.callsLeft--;
    let answer: TerminateResult;
    try {
      answer = await ec2.terminate(part);
    } catch (error) {
      answer = { terminated: [], failed: part.map((instanceId) => ({ instanceId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })) };
    }
    const inPart = new Set(part);
    const failures = new Map<string, Failure>();
    for (const f of answer.failed) if (inPart.has(f.instanceId)) failures.set(f.instanceId, f);
    for (const id of answer.terminated) if (inPart.has(id) && !failures.has(id)) result.terminated.add(id);
    for (const id of part) {
      if (!result.terminated.has(id) && !failures.has(id)) failures.set(id, { instanceId: id, error: 'TerminateInstances gave no answer for it' });
    }
    const split = [...failures.values()].filter((f) => PER_INSTANCE_ERRORS.has(errorCodeOf(f) ?? ''));
    for (const f of failures.values()) {
      if (split.includes(f) && part.length > 1) continue;
      const code = errorCodeOf(f) ?? '';
      if (part.length === 1 && REFUSALS.has(code)) result.refused.set(f.instanceId, f.error);
      else result.failed.set(f.instanceId, f.error);
    }
    if (part.length === 1 || split.length === 0) return;
    const again = part.filter((id) => split.some((f) => f.instanceId === id));
    if (again.length < part.length) {
      // EC2 answered per instance: only those that failed are tried again (alone, or split).
      await attempt(again);
      return;
    }
    const half = Math.ceil(again.length / 2);
    await attempt(again.slice(0, half));
    await attempt(again.slice(half));
  };

  for (const part of chunk([...new Set(ids)], EC2_BATCH_SIZE)) await attempt(part, true);
  return result;
}
