/**
 * When each window's look begins (scale-down, step a). A look (the GETs, a probe round,
 * the tags) takes time the DELETE stream would otherwise stand still for, so the next
 * windows' looks begin while the DELETEs before them still go out: as soon as those
 * DELETEs will take no longer than the look itself (the lead), and at most MAX_AHEAD
 * windows ahead. A look begun too early only ages: each DELETE is still held to
 * MAX_LOOK_AGE_MS from its own look (`look-too-old`). A window whose look does not fit in
 * the invocation's time is never looked at, nor any after it (they are deferred).
 */
import { asksProbe, type Decision } from '../core';
import { DELETE_COST_MS, LOOK_LEAD_MS, PROBE_LOOK_LEAD_MS } from './outcome';

/** Windows looked at beyond the one being deregistered. */
const MAX_AHEAD = 2;

export interface LookAheadPorts<W, L> {
  look(window: W[]): Promise<L>;
  /** Whether the invocation still has time for this window, after `deletesBefore` DELETEs still to send. */
  fits(window: W[], probing: boolean, deletesBefore: number): boolean;
}

export class LookAhead<W extends { decision: Decision }, L> {
  private readonly looks: (Promise<L> | undefined)[] = [];
  /** DELETEs each window may still send (its size until its look is judged). */
  private readonly left: number[];
  /** The first window whose look has not begun. */
  private next = 0;
  /** The window being deregistered. */
  private current = 0;
  private stopped = false;
  private probing = false;

  constructor(
    private readonly windows: readonly W[][],
    private readonly ports: LookAheadPorts<W, L>,
  ) {
    this.left = windows.map((w) => w.length);
  }

  /** The look of window `index`, once the windows before it are through; undefined when it does not fit. */
  take(index: number): Promise<L> | undefined {
    for (let j = this.current; j < index; j++) this.left[j] = 0;
    this.current = index;
    this.pump();
    return this.looks[index];
  }

  /** The window's look is judged: this many DELETEs are still to send. */
  deletesLeft(window: W[], count: number): void {
    this.setLeft(window, () => count);
  }

  /** One DELETE of the window went out (or was given up). */
  deleteSent(window: W[]): void {
    this.setLeft(window, (n) => Math.max(0, n - 1));
  }

  private setLeft(window: W[], change: (n: number) => number): void {
    const index = this.windows.indexOf(window);
    if (index < 0) return;
    this.left[index] = change(this.left[index]!);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.next < this.windows.length && this.next <= this.current + MAX_AHEAD) {
      const window = this.windows[this.next]!;
      const probes = window.some((c) => asksProbe(c.decision));
      let before = 0;
      for (let j = this.current; j < this.next; j++) before += this.left[j]!;
      if (before * DELETE_COST_MS > (probes ? PROBE_LOOK_LEAD_MS : LOOK_LEAD_MS)) return;
      this.probing ||= probes;
      if (!this.ports.fits(window, this.probing, before)) {
        this.stopped = true;
        return;
      }
      this.looks[this.next] = this.ports.look(window);
      this.next++;
    }
  }
}
