package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import org.jspecify.annotations.Nullable;

import io.rangefetch.Probe;

/**
 * The open response to a download's first request, and what it says about the server.
 *
 * @param open the response, its body not read yet
 * @param kind how to read it
 * @param probe the facts for the caller
 * @param served for {@link Kind#RANGED}, the bytes the body carries: the range asked for, or
 *     its first part when the server sends less; null otherwise
 */
record FirstResponse(InFlight.Open open, Kind kind, Probe probe, @Nullable ByteRange served) {

  /** The bytes of a ranged response. */
  ByteRange servedRange() {
    if (served == null) {
      throw new IllegalStateException("a " + kind + " response carries no range");
    }
    return served;
  }

  enum Kind {
    /** 206 with exactly the range asked for: the body is the first chunk, ranges work. */
    RANGED,
    /** 200: the body is the whole file. */
    WHOLE,
    /** 416 with {@code bytes *&#47;0}: the file is empty. */
    EMPTY,
    /** A 206 or 416 that does not match the request: ranges cannot be trusted. */
    UNRELIABLE
  }
}
