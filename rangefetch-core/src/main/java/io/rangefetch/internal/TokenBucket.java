package io.rangefetch.internal;

import java.util.function.LongSupplier;

/**
 * A token bucket of bytes per second that callers draw from before they read: a draw takes
 * its bytes at once, into debt if need be, and says how long to wait for the debt to be paid.
 * So the waits queue up in draw order, and the rate holds over any span. Unused credit is
 * capped at a quarter of a second of the rate: an idle bucket allows no larger burst.
 * Thread-safe: one lock, held briefly; it reads the clock it was given, so it is tested on a
 * fake one.
 */
final class TokenBucket {
  /** The most credit a bucket keeps: this share of a second of its rate. */
  static final int BURST_DIVISOR = 4;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final LongSupplier clock;
  // All guarded by this. 0 means no limit.
  private long rate;
  // Bytes that may be drawn without waiting; negative when draws are waiting for it.
  private double tokens;
  private long refilledAt;

  /** A bucket of {@code bytesPerSecond} (0 for no limit) on {@code clock} (nanoseconds). */
  TokenBucket(long bytesPerSecond, LongSupplier clock) {
    this.clock = clock;
    this.refilledAt = clock.getAsLong();
    this.rate = bytesPerSecond;
    this.tokens = burst(bytesPerSecond);
  }

  /** The rate in bytes per second; 0 when unlimited. */
  synchronized long rate() {
    return rate;
  }

  /**
   * Changes the rate from now on; 0 lifts the limit. Credit above the new burst is dropped,
   * and debt is kept, so a lower rate is not undone by credit saved at the higher one.
   */
  synchronized void setRate(long bytesPerSecond) {
    refill(clock.getAsLong());
    rate = bytesPerSecond;
    tokens = Math.min(tokens, burst(bytesPerSecond));
  }

  /**
   * Draws {@code bytes}.
   *
   * @return how long to wait, in nanoseconds, before reading them; 0 when unlimited
   */
  synchronized long draw(long bytes) {
    if (rate <= 0) {
      return 0;
    }
    refill(clock.getAsLong());
    tokens -= bytes;
    return tokens >= 0 ? 0 : (long) Math.ceil(-tokens * NANOS_PER_SECOND / rate);
  }

  /** Gives back {@code bytes} drawn but not read (the body ended earlier). */
  synchronized void refund(long bytes) {
    if (rate <= 0) {
      return;
    }
    refill(clock.getAsLong());
    tokens = Math.min(tokens + bytes, burst(rate));
  }

  private void refill(long now) {
    long elapsed = now - refilledAt;
    refilledAt = now;
    if (rate > 0 && elapsed > 0) {
      tokens = Math.min(burst(rate), tokens + (double) elapsed * rate / NANOS_PER_SECOND);
    }
  }

  private static double burst(long rate) {
    return (double) rate / BURST_DIVISOR;
  }
}
