package io.rangefetch.internal;

/**
 * The recent transfer rate of one download: bytes over the last two seconds or so, from
 * samples taken by the progress ticker. Thread-safe.
 */
final class SpeedMeter {
  private static final long WINDOW_NANOS = 2_000_000_000L;
  private static final int SAMPLES = 64;

  // Guarded by this: a ring of (time, bytes) samples.
  private final long[] times = new long[SAMPLES];
  private final long[] bytes = new long[SAMPLES];
  private int next;
  private int count;

  synchronized void sample(long nanos, long bytesDone) {
    times[next] = nanos;
    bytes[next] = bytesDone;
    next = (next + 1) % SAMPLES;
    count = Math.min(count + 1, SAMPLES);
  }

  /** Bytes per second over the window, or 0 with fewer than two samples. */
  synchronized long bytesPerSecond() {
    if (count < 2) {
      return 0;
    }
    int newest = (next - 1 + SAMPLES) % SAMPLES;
    int oldest = newest;
    for (int i = 1; i < count; i++) {
      int candidate = (newest - i + SAMPLES) % SAMPLES;
      if (times[newest] - times[candidate] > WINDOW_NANOS) {
        break;
      }
      oldest = candidate;
    }
    long dt = times[newest] - times[oldest];
    if (dt <= 0) {
      return 0;
    }
    return Math.max(0, (bytes[newest] - bytes[oldest]) * 1_000_000_000L / dt);
  }

  synchronized void reset() {
    count = 0;
    next = 0;
  }
}
