/** One probe round for the executors: never throws, and every asked id gets an answer (an error keeps). */
import type { ProbeRunPort } from '../adapters/ports';
import type { ProbeRead } from '../core';

export async function probeRound(port: ProbeRunPort | undefined, ids: readonly string[]): Promise<Map<string, ProbeRead>> {
  const answers = new Map<string, ProbeRead>();
  if (ids.length === 0) return answers;
  if (!port) {
    for (const id of ids) answers.set(id, { kind: 'error', error: 'the probe is not configured in this run' });
    return answers;
  }
  let got: Map<string, ProbeRead>;
  try {
    got = await port.probe([...new Set(ids)]);
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    for (const id of ids) answers.set(id, { kind: 'error', error: `the probe round failed (${text})` });
    return answers;
  }
  for (const id of ids) answers.set(id, got.get(id) ?? { kind: 'error', error: 'no answer from the probe round' });
  return answers;
}
