package io.rangefetch.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Decides how long to wait before the next attempt: the server's {@code Retry-After} when it
 * gave one, else exponential back-off with equal jitter (between half the bound and the
 * bound), so that many workers that failed together do not come back together.
 */
final class RetryPolicy {
  private final int maxAttempts;
  private final long initialMillis;
  private final long maxMillis;

  RetryPolicy(int maxAttempts, Duration initial, Duration max) {
    this.maxAttempts = maxAttempts;
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
  }

  int maxAttempts() {
    return maxAttempts;
  }

  /** Whether a failure of attempt {@code attempt} (1-based) leads to another attempt. */
  boolean shouldRetry(FetchFailure failure, int attempt) {
    return failure.isRetryable() && attempt < maxAttempts;
  }

  /** The wait before attempt {@code attempt + 1}. */
  Duration delay(FetchFailure failure, int attempt) {
    Duration retryAfter = failure.retryAfter();
    if (retryAfter != null) {
      return retryAfter;
    }
    long bound = Math.min(maxMillis, initialMillis << Math.min(attempt - 1, 20));
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(bound / 2, bound + 1));
  }
}
