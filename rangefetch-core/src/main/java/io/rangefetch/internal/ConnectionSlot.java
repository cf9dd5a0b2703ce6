package io.rangefetch.internal;

import org.jspecify.annotations.Nullable;

/**
 * One worker of a download and the connection it reads from: what it has been given and how
 * fast its connection has been lately. The worker thread records its bytes; the scheduler reads
 * the rate when it decides. Thread-safe.
 */
final class ConnectionSlot {
  /** A rate needs this much history to be trusted. */
  static final long MIN_MEASURE_NANOS = 400_000_000L;
  private static final long SAMPLE_EVERY_NANOS = 100_000_000L;
  private static final int SAMPLES = 64;
  private static final long IDLE_GAP_NANOS = 200_000_000L;

  final int id;

  // Written by the owning worker only; read by anyone.
  private volatile long bytes;
  // Guarded by this: a ring of (time, bytes) samples, one per SAMPLE_EVERY_NANOS at most.
  private final long[] times = new long[SAMPLES];
  private final long[] totals = new long[SAMPLES];
  private int next;
  private int count;
  private long connectedAt;
  private long latencyNanos = -1;
  private long lastBusyRate = -1;
  private long busySince;
  private long busySinceBytes;
  // Written by the owning worker only.
  private volatile long lastWrite;
  // Written under this, read by the owning worker without it: when the last sample was taken.
  private volatile long lastSampleAt;

  // Guarded by the scheduler's lock.
  @Nullable Lease current;
  @Nullable Lease ahead;
  // Owning worker only (the only caller of ChunkScheduler.shouldReconnect for this slot).
  long lastReconnectCheck;

  ConnectionSlot(int id, long now) {
    this.id = id;
    connected(now);
  }

  /** A new connection starts: its history starts over. */
  synchronized void connected(long now) {
    count = 0;
    next = 0;
    connectedAt = now;
    busySince = now;
    busySinceBytes = bytes;
    sampleLocked(now);
  }

  /**
   * The worker was idle, and reads again: the rate starts over from now, so that the wait
   * does not count as slowness. Short gaps (a request between two chunks) are kept.
   */
  synchronized void busyAgain(long now) {
    if (now - lastSampleLocked() > IDLE_GAP_NANOS || count <= 1) {
      long before = typicalRate();
      if (before > 0) {
        lastBusyRate = before;
      }
      count = 0;
      next = 0;
      connectedAt = Math.max(connectedAt, now);
      busySince = now;
      busySinceBytes = bytes;
      sampleLocked(now);
    }
  }

  /**
   * The rate of the current busy spell, from its start to {@code now}; -1 before a byte came.
   * Known after the first read, unlike the windowed rate: rough, but enough to decide whether
   * a body ends soon.
   */
  synchronized long busyRate(long now) {
    long elapsed = now - busySince;
    long read = bytes - busySinceBytes;
    return elapsed < 1_000_000 || read <= 0 ? -1 : (long) (read * 1e9 / elapsed);
  }

  /** The rate this worker's connection had while it last read; -1 when never measured. */
  synchronized long typicalRate() {
    long elapsed = lastWrite - busySince;
    long read = bytes - busySinceBytes;
    if (elapsed >= 1_000_000 && read > 0) {
      return (long) (read * 1e9 / elapsed);
    }
    return lastBusyRate;
  }

  private long lastSampleLocked() {
    return times[(next - 1 + SAMPLES) % SAMPLES];
  }

  /** Called by the owning worker after each write of {@code n} bytes. */
  void recordBytes(int n, long now) {
    bytes += n;
    lastWrite = now;
    if (now - lastSampleAt >= SAMPLE_EVERY_NANOS) {
      synchronized (this) {
        sampleLocked(now);
      }
    }
  }

  /** Called by the owning worker when a response's headers arrive {@code nanos} after its request. */
  synchronized void recordLatency(long nanos) {
    latencyNanos = latencyNanos < 0 ? nanos : (latencyNanos * 3 + nanos) / 4;
  }

  /** The time from a request to its response's headers, smoothed; -1 before the first. */
  synchronized long latencyNanos() {
    return latencyNanos;
  }

  private void sampleLocked(long now) {
    lastSampleAt = now;
    times[next] = now;
    totals[next] = bytes;
    next = (next + 1) % SAMPLES;
    count = Math.min(count + 1, SAMPLES);
  }

  /**
   * The rate over the last {@code windowNanos}, up to {@code now}: a connection that stopped
   * delivering sees its rate fall as time passes.
   *
   * @return bytes per second, or -1 while the connection is younger than the shortest
   *     measurement
   */
  synchronized long bytesPerSecond(long now, long windowNanos) {
    return bytesPerSecondLocked(now, windowNanos);
  }

  private long bytesPerSecondLocked(long now, long windowNanos) {
    if (now - connectedAt < MIN_MEASURE_NANOS || count == 0) {
      return -1;
    }
    int oldest = -1;
    for (int i = 1; i <= count; i++) {
      int candidate = (next - i + SAMPLES) % SAMPLES;
      if (now - times[candidate] > windowNanos && oldest >= 0) {
        break;
      }
      oldest = candidate;
    }
    long elapsed = now - times[oldest];
    if (elapsed < MIN_MEASURE_NANOS / 2) {
      return -1;
    }
    return (long) ((bytes - totals[oldest]) * 1e9 / elapsed);
  }

  /** How long the current connection has been open. */
  synchronized long ageNanos(long now) {
    return now - connectedAt;
  }

  @Override
  public String toString() {
    return "connection " + id;
  }
}
