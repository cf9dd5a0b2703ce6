package io.rangefetch.testing;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One file of a {@link TestOrigin}, as its bodies go out: where a test holds them, when they
 * freeze the origin, and how many bytes were handed to the connection, when. Thread-safe.
 */
final class OriginFile implements BodyHooks {
  // A held response sends this much of its body first: the download has started, not ended.
  private static final int HEAD_BYTES = 1024;

  private record Threshold(long bytes, CountDownLatch reached) {}

  private final Freeze freeze;
  private final AtomicReference<Hold> headerHold = new AtomicReference<>(); // empty: none
  private final AtomicReference<Hold> hold = new AtomicReference<>(); // empty: none
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  // notified when completed grows
  private final Object completions = new Object();
  // guarded by itself: {bytes sent in all, System.nanoTime()} after each slice
  private final List<long[]> timeline = new ArrayList<>();
  private volatile Threshold sentLatch; // null: none
  private volatile Threshold freezeAfterSent; // null: none
  private volatile long freezeAfterCompleted = Long.MAX_VALUE;

  OriginFile(Freeze freeze) {
    this.freeze = freeze;
  }

  CountDownLatch holdHeaders() {
    return arm(headerHold);
  }

  void releaseHeaders() {
    release(headerHold);
  }

  CountDownLatch hold() {
    return arm(hold);
  }

  void release() {
    release(hold);
  }

  /** Holds the next responses at {@code point}; the latch opens when the first arrives. */
  private static CountDownLatch arm(AtomicReference<Hold> point) {
    Hold next = new Hold();
    point.set(next);
    return next.reached();
  }

  private static void release(AtomicReference<Hold> point) {
    Hold held = point.getAndSet(null);
    if (held != null) {
      held.release();
    }
  }

  void freezeAfterCompleted(long bytes) {
    freezeAfterCompleted = bytes;
  }

  CountDownLatch freezeAfterSent(long bytes) {
    CountDownLatch latch = new CountDownLatch(1);
    freezeAfterSent = new Threshold(bytes, latch);
    return latch;
  }

  /** Forgets the automatic freezes not reached. */
  void forgetFreezes() {
    freezeAfterCompleted = Long.MAX_VALUE;
    freezeAfterSent = null;
  }

  long completedBytes() {
    return completed.get();
  }

  /** Waits until the completed bodies sum to at least {@code bytes}; false after the timeout. */
  boolean awaitCompleted(long bytes, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (completions) {
      while (completed.get() < bytes) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(completions, left);
      }
      return true;
    }
  }

  long sentBytes() {
    return sent.get();
  }

  CountDownLatch whenSent(long bytes) {
    CountDownLatch latch = new CountDownLatch(1);
    sentLatch = new Threshold(bytes, latch);
    if (sent.get() >= bytes) {
      latch.countDown();
    }
    return latch;
  }

  double rateBetween(long from, long to) {
    long start = -1;
    long end = -1;
    long startBytes = 0;
    long endBytes = 0;
    synchronized (timeline) {
      for (long[] point : timeline) {
        if (start < 0 && point[0] >= from) {
          start = point[1];
          startBytes = point[0];
        }
        if (end < 0 && point[0] >= to) {
          end = point[1];
          endBytes = point[0];
        }
      }
    }
    if (start < 0 || end <= start) {
      throw new AssertionError("not sent from byte " + from + " to " + to);
    }
    return (endBytes - startBytes) * 1e9 / (end - start);
  }

  // ---------------------------------------------------------------- hooks

  @Override
  public void beforeHeaders() throws InterruptedException {
    Hold held = headerHold.get();
    if (held != null) {
      held.await();
    }
  }

  @Override
  public int slice(long offset, int planned) {
    if (hold.get() != null && offset < HEAD_BYTES) {
      return (int) Math.min(planned, HEAD_BYTES - offset);
    }
    return planned;
  }

  @Override
  public void beforeSlice() throws IOException {
    freeze.enterSlice();
  }

  @Override
  public void afterSlice(int bytes, long written, long length) throws IOException {
    try {
      if (bytes > 0) {
        count(bytes, written == length ? length : 0);
      }
    } finally {
      freeze.exitSlice();
    }
    long head = Math.min(HEAD_BYTES, length);
    Hold held = hold.get();
    if (held != null && bytes > 0 && written - bytes < head && written >= head) {
      try {
        held.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while held");
      }
    }
  }

  /** Counts a slice written; {@code completedLength} > 0 when it ended a response. */
  private void count(int bytes, long completedLength) {
    long total = sent.addAndGet(bytes);
    synchronized (timeline) {
      timeline.add(new long[] {total, System.nanoTime()});
    }
    Threshold latch = sentLatch;
    if (latch != null && total >= latch.bytes()) {
      latch.reached().countDown();
    }
    Threshold sentThreshold = freezeAfterSent;
    if (sentThreshold != null && total >= sentThreshold.bytes()) {
      freezeAfterSent = null;
      freeze.freeze();
      sentThreshold.reached().countDown();
    }
    if (completedLength > 0) {
      long done = completed.addAndGet(completedLength);
      synchronized (completions) {
        completions.notifyAll();
      }
      if (done >= freezeAfterCompleted) {
        freezeAfterCompleted = Long.MAX_VALUE;
        freeze.freeze();
      }
    }
  }
}
