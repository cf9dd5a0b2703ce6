package io.rangefetch.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A point where responses wait until the test releases them, so that a download stays running
 * while the test pauses, cancels or restarts it. Thread-safe.
 */
final class Hold {
  // A test that forgets to release does not hang the origin for ever.
  private static final long MAX_WAIT_SECONDS = 60;

  private final CountDownLatch reached = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  /** Opens when the first response arrives here. */
  CountDownLatch reached() {
    return reached;
  }

  /** Lets every response waiting here, and every later one, go on. */
  void release() {
    released.countDown();
  }

  /** Called by a response: notes that it arrived, then waits for the release. */
  void await() throws InterruptedException {
    reached.countDown();
    released.await(MAX_WAIT_SECONDS, TimeUnit.SECONDS);
  }
}
