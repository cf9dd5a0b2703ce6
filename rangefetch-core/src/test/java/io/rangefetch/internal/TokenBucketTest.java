package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket's arithmetic, on a clock that moves only when the test says so. */
class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long RATE = 1024 * 1024;

  private final AtomicLong clock = new AtomicLong(5 * SECOND);

  /** Draws {@code piece} bytes until {@code total}, waiting as told; returns the time taken. */
  private long drawAll(TokenBucket bucket, long total, int piece) {
    long start = clock.get();
    for (long drawn = 0; drawn < total; drawn += piece) {
      clock.addAndGet(bucket.draw(piece));
    }
    return clock.get() - start;
  }

  @Test
  void drawingAtFullSpeedTakesTheTimeTheRateSays() {
    TokenBucket bucket = new TokenBucket(RATE, clock::get);

    long took = drawAll(bucket, 10 * RATE, 64 * 1024);

    // ten seconds of the rate, less the quarter second of credit a fresh bucket starts with
    long expected = 10 * SECOND - SECOND / TokenBucket.BURST_DIVISOR;
    assertTrue(Math.abs(took - expected) <= SECOND / 100, () -> "took " + took + " ns");
  }

  @Test
  void anIdleBucketKeepsAtMostAQuarterSecondOfCredit() {
    TokenBucket bucket = new TokenBucket(RATE, clock::get);
    clock.addAndGet(60 * SECOND);

    assertEquals(0, bucket.draw(RATE / 4), "a quarter second of credit is free");
    assertTrue(bucket.draw(1024) > 0, "beyond it, a draw waits");
  }

  @Test
  void debtMakesLaterDrawsWaitInTurn() {
    TokenBucket bucket = new TokenBucket(RATE, clock::get);
    bucket.draw(RATE / 4);

    long first = bucket.draw(RATE / 2);
    long second = bucket.draw(RATE / 2);

    assertEquals(SECOND / 2, first, 1000);
    assertEquals(SECOND, second, 1000);
  }

  @Test
  void aLowerRateAppliesToTheNextDraw() {
    TokenBucket bucket = new TokenBucket(4 * RATE, clock::get);
    drawAll(bucket, 4 * RATE, 64 * 1024);

    bucket.setRate(RATE);
    long took = drawAll(bucket, 3 * RATE, 64 * 1024);

    assertTrue(Math.abs(took - 3 * SECOND) <= SECOND / 20, () -> "took " + took + " ns");
  }

  @Test
  void zeroMeansNoLimit() {
    TokenBucket bucket = new TokenBucket(0, clock::get);

    assertEquals(0, drawAll(bucket, 100 * RATE, 1024 * 1024));
    assertEquals(0, bucket.rate());
  }

  @Test
  void refundedBytesCanBeDrawnAgainWithoutWaiting() {
    TokenBucket bucket = new TokenBucket(RATE, clock::get);
    bucket.draw(RATE / 4);

    bucket.refund(64 * 1024);

    assertEquals(0, bucket.draw(64 * 1024));
  }
}
