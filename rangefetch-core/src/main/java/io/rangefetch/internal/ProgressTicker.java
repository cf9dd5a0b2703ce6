package io.rangefetch.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Samples one download's progress at a fixed interval while it runs: feeds its speed meter,
 * and reports a change of bytes or threads. Thread-safe: started and stopped by the
 * coordinator, ticking on the engine's timer thread.
 */
final class ProgressTicker {
  private final ScheduledExecutorService timer;
  private final long intervalNanos;
  private final LongSupplier bytes;
  private final IntSupplier threads;
  private final SpeedMeter speed;
  private final Runnable report;
  // All guarded by this: a tick runs under the lock, so that once stop() returns no progress of
  // the run that stopped can follow the events of its ending.
  private @Nullable ScheduledFuture<?> ticking;
  private boolean running;
  private long reportedBytes = -1;
  private int reportedThreads = -1;

  ProgressTicker(ScheduledExecutorService timer, long intervalNanos, LongSupplier bytes,
      IntSupplier threads, SpeedMeter speed, Runnable report) {
    this.timer = timer;
    this.intervalNanos = intervalNanos;
    this.bytes = bytes;
    this.threads = threads;
    this.speed = speed;
    this.report = report;
  }

  synchronized void start() {
    running = true;
    ticking = timer.scheduleAtFixedRate(this::tick, intervalNanos, intervalNanos,
        TimeUnit.NANOSECONDS);
  }

  /** Stops ticking; a tick in progress finishes first. */
  synchronized void stop() {
    running = false;
    ScheduledFuture<?> scheduled = ticking;
    if (scheduled != null) {
      scheduled.cancel(false);
      ticking = null;
    }
  }

  private synchronized void tick() {
    if (!running) {
      return;
    }
    long now = bytes.getAsLong();
    int working = threads.getAsInt();
    speed.sample(System.nanoTime(), now);
    if (now != reportedBytes || working != reportedThreads) {
      reportedBytes = now;
      reportedThreads = working;
      report.run();
    }
  }
}
