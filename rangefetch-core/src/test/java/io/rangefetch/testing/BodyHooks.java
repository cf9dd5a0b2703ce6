package io.rangefetch.testing;

import java.io.IOException;

/**
 * What a test does at each step of the file responses a {@link RangeDispatcher} writes: it may
 * hold a response before its headers, cut a body's slices shorter, stop a body between two
 * slices, and count what was written. Calls run on the thread that serves the response and may
 * block it. Status answers (redirects, faults, 401) pass none of these steps.
 */
public interface BodyHooks {
  /** Hooks that do nothing: every body is written as planned. */
  BodyHooks NONE = new BodyHooks() {};

  /** Before the headers of a file response are written. */
  default void beforeHeaders() throws InterruptedException {}

  /**
   * How many bytes the next slice writes, {@code offset} bytes into the body, when the dispatcher
   * plans {@code planned}: at most {@code planned}, at least 1.
   */
  default int slice(long offset, int planned) {
    return planned;
  }

  /** Before a slice is written. */
  default void beforeSlice() throws IOException {}

  /**
   * After a slice: {@code bytes} of it were handed to the connection (0 when the write failed),
   * {@code written} bytes of the body's {@code length} in all.
   */
  default void afterSlice(int bytes, long written, long length) throws IOException {}
}
