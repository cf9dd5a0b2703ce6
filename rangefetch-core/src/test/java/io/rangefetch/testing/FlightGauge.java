package io.rangefetch.testing;

/**
 * Responses in flight over several servers, and the most there were at once: the mirrors of one
 * file, whose caps hold together (see {@link RangeDispatcher#shareFlightGauge}). Thread-safe.
 */
public final class FlightGauge {
  private int now; // guarded by this
  private int max; // guarded by this

  synchronized void enter() {
    now++;
    max = Math.max(max, now);
  }

  synchronized void exit() {
    now--;
  }

  /** The most responses that were being written at the same moment, over all servers. */
  public synchronized int max() {
    return max;
  }
}
