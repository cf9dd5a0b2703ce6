package io.rangefetch.server.protocol;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The fields of an {@code update}, checked for type and range but not yet against the URL
 * policy; each is null when the message leaves it out, and the download keeps what it has.
 * Immutable and thread-safe.
 *
 * @param url a new URL for the same file, as sent, or null
 * @param mirrors the mirrors that replace the download's, as sent (empty for none), or null
 * @param limitBps the download's own rate limit in bytes per second: at least 1, or 0 to lift it
 *     ({@code "limitBps":null} in the message); null when not given
 */
public record UpdateCommand(@Nullable String url, @Nullable List<String> mirrors,
    @Nullable Long limitBps) {

  /** Copies {@code mirrors}. */
  public UpdateCommand {
    mirrors = mirrors == null ? null : List.copyOf(mirrors);
  }

  /**
   * Returns an update of the download's sources only.
   *
   * @param url a new URL, or null
   * @param mirrors the new mirrors, or null
   */
  public UpdateCommand(@Nullable String url, @Nullable List<String> mirrors) {
    this(url, mirrors, null);
  }

  /**
   * Returns an update of the download's own rate limit only.
   *
   * @param limitBps bytes per second, at least 1, or 0 to lift the limit
   * @return the command
   */
  public static UpdateCommand limit(long limitBps) {
    return new UpdateCommand(null, null, limitBps);
  }

  /** @return whether it changes the download's sources (its URL or mirrors) */
  public boolean changesSources() {
    return url != null || mirrors != null;
  }
}
