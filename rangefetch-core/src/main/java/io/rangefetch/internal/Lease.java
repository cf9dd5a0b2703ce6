package io.rangefetch.internal;

import io.rangefetch.ByteRange;

/**
 * A byte range handed to one connection (or, in a race, to two), from {@code first} up to an
 * end that may move closer when another connection takes over the tail. Bytes are claimed
 * before they are written, so each byte is written once, by whichever request reaches it first.
 * Thread-safe: its fields are guarded by its own monitor.
 */
final class Lease {
  final long first;
  /** 1 for the first request of these bytes, then 2, 3 ... after failures. */
  final int attempt;

  // Guarded by this.
  private long end; // exclusive
  private long claimed; // next byte nobody has claimed
  private long written; // bytes claimed and written
  private int holders; // requests reading for this lease: 1, or 2 in a race
  private boolean raced;

  Lease(long first, long end, int attempt) {
    if (first < 0 || end <= first) {
      throw new IllegalArgumentException("lease needs 0 <= first < end, was " + first + ", " + end);
    }
    this.first = first;
    this.end = end;
    this.claimed = first;
    this.attempt = attempt;
  }

  /** The bytes as they are now: from {@code first} to the current end. */
  synchronized ByteRange range() {
    return new ByteRange(first, end - 1);
  }

  synchronized long end() {
    return end;
  }

  synchronized long claimed() {
    return claimed;
  }

  /** Bytes not claimed by anyone yet. */
  synchronized long remaining() {
    return end - claimed;
  }

  synchronized boolean raced() {
    return raced;
  }

  synchronized int holders() {
    return holders;
  }

  synchronized void hold() {
    holders++;
  }

  /** One of the requests of this lease stopped reading; returns how many still read. */
  synchronized int drop() {
    holders = Math.max(0, holders - 1);
    return holders;
  }

  synchronized void markRaced() {
    raced = true;
  }

  /**
   * Claims what may be written of the {@code n} bytes that a response holds at
   * {@code position}: the part beyond what others already claimed and before the end.
   *
   * @return the bytes to write, {@code [from, to)}; empty ({@code from == to}) when others
   *     wrote them already or they lie past the end
   */
  synchronized Claim claim(long position, int n) {
    if (position > claimed) {
      // A response never runs ahead of the claims: it starts at or below them.
      throw new IllegalStateException("response at " + position + " is past the claims at "
          + claimed + " of lease " + first + "-" + (end - 1));
    }
    long to = Math.min(position + n, end);
    if (to <= claimed) {
      return new Claim(Math.min(to, claimed), Math.min(to, claimed));
    }
    long from = claimed;
    claimed = to;
    return new Claim(from, to);
  }

  /** Bytes {@code [from, to)} of the file that one request may write. */
  record Claim(long from, long to) {
    int length() {
      return (int) (to - from);
    }
  }

  /**
   * Records that {@code n} claimed bytes are on disk.
   *
   * @return true when this completes the lease: every byte up to the end is written
   */
  synchronized boolean written(long n) {
    written += n;
    return written >= end - first && claimed >= end;
  }

  /** Whether every byte up to the end is claimed: a reader of this lease can stop. */
  synchronized boolean fullyClaimed() {
    return claimed >= end;
  }

  /** Whether every byte up to the end is on disk. */
  synchronized boolean complete() {
    return written >= end - first && claimed >= end;
  }

  /**
   * Moves the end back to {@code at} (at least the claims), so that another request fetches
   * from there on.
   *
   * @return the new end; the bytes from it to the old end are no longer this lease's
   */
  synchronized long cutAt(long at) {
    long cut = Math.max(at, claimed);
    if (cut < end) {
      end = cut;
    }
    return end;
  }

  /** Time left at {@code bytesPerSecond}, in nanoseconds; {@code Long.MAX_VALUE} when stalled. */
  synchronized long nanosLeft(long bytesPerSecond) {
    long left = end - claimed;
    if (left <= 0) {
      return 0;
    }
    if (bytesPerSecond <= 0) {
      return Long.MAX_VALUE;
    }
    return (long) (left * 1e9 / bytesPerSecond);
  }

  @Override
  public synchronized String toString() {
    return first + "-" + (end - 1) + " (claimed to " + claimed + ", attempt " + attempt + ")";
  }
}
