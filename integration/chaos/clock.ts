/**
 * The chaos world's clock: the twin's VirtualClock, with a cheaper wait between timers.
 *
 * VirtualClock.settle waits for tracked work (real I/O started by a timer: an AWS call of
 * a job hook in the moto world) and then for three quiet turns of the event loop. Nothing
 * in the chaos world does real I/O or tracks work: every effect of a timer is a chain of
 * promise continuations, and one macrotask turn runs every microtask queued before it,
 * including those queued meanwhile. So one turn per timer is enough, and with some 40,000
 * timers per setting it saves about a quarter of the chaos suite's time.
 */
import { VirtualClock } from '../twin/clock';

export class ChaosClock extends VirtualClock {
  override track<T>(_work: Promise<T>): Promise<T> {
    throw new Error('ChaosClock cannot wait for tracked work: the chaos world must stay in memory and on this clock');
  }

  override settle(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(resolve));
  }
}
