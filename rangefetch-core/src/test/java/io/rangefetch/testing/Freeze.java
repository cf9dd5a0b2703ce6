package io.rangefetch.testing;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Stops every body of an origin between two slices while frozen, so that what the origin has
 * sent holds still while a test looks at it. Thread-safe.
 */
final class Freeze {
  private boolean frozen; // guarded by this
  private int writing; // guarded by this: slices being written now

  /** Freezes, and returns once no slice is being written. */
  synchronized void freezeAndWait() throws InterruptedException {
    frozen = true;
    while (writing > 0) {
      wait();
    }
  }

  /** Freezes without waiting: called from inside a slice, which ends as usual. */
  synchronized void freeze() {
    frozen = true;
  }

  synchronized void thaw() {
    frozen = false;
    notifyAll();
  }

  /** Waits while frozen, then counts a slice as being written. */
  synchronized void enterSlice() throws IOException {
    try {
      while (frozen) {
        wait();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while frozen");
    }
    writing++;
  }

  synchronized void exitSlice() {
    writing--;
    notifyAll();
  }
}
