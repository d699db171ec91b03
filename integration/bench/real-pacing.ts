/**
 * How long a cycle's GitHub requests would take at GitHub's real pacing, from what the
 * bench saw at its scaled pacing: replay the twin's request log in order through the
 * client's own pacer at the real limit (lambda/src/adapters/github-client.ts: a token
 * bucket per endpoint, writes one at a time and at least the write interval apart), keeping
 * every observed gap between two requests as the least time between them (round trips and
 * the work in between). Requests that went together still go together where the real
 * pacing allows it; a DELETE that followed its GET still follows it.
 */
import { EndpointPacer, endpointOf, pointsOf } from '../../lambda/src/adapters/github-client';

export interface LoggedCall {
  at: number;
  method: string;
  path: string;
}

export interface Replay {
  /** First to last request as observed. */
  observedSpanMs: number;
  /** First to last request at the real pacing. */
  realSpanMs: number;
}

export function replayAtRealPacing(calls: readonly LoggedCall[], pointsPerMinute = 900): Replay {
  if (calls.length === 0) return { observedSpanMs: 0, realSpanMs: 0 };
  const sorted = [...calls].sort((a, b) => a.at - b.at);
  let now = sorted[0]!.at;
  const pacer = new EndpointPacer(pointsPerMinute, () => now);
  const writeIntervalMs = Math.round(pacer.intervalMs(pointsOf('DELETE')));
  let nextWriteAt = Number.NEGATIVE_INFINITY;
  let previous = sorted[0]!.at;
  for (const call of sorted) {
    now += call.at - previous;
    previous = call.at;
    const write = pointsOf(call.method) > 1;
    if (write && now < nextWriteAt) now = nextWriteAt;
    now += pacer.reserve(endpointOf(call.method, call.path), pointsOf(call.method));
    if (write) nextWriteAt = now + writeIntervalMs;
  }
  return { observedSpanMs: sorted[sorted.length - 1]!.at - sorted[0]!.at, realSpanMs: now - sorted[0]!.at };
}
