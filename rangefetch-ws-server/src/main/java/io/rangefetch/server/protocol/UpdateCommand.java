package io.rangefetch.server.protocol;

import org.jspecify.annotations.Nullable;

/**
 * The fields of an {@code update}, checked for type and range; each is null when the message
 * leaves it out, and the download keeps what it has. Immutable and thread-safe.
 *
 * @param limitBps the download's own rate limit in bytes per second: at least 1, or 0 to lift it
 *     ({@code "limitBps":null} in the message); null when not given
 */
public record UpdateCommand(@Nullable Long limitBps) {

  /**
   * Returns an update of the download's own rate limit only.
   *
   * @param limitBps bytes per second, at least 1, or 0 to lift the limit
   * @return the command
   */
  public static UpdateCommand limit(long limitBps) {
    return new UpdateCommand(limitBps);
  }
}
