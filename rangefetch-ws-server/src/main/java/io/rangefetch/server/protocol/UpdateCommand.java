package io.rangefetch.server.protocol;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The fields of an {@code update}, checked for type but not yet against the URL policy; a
 * field left out (null) is not changed. Immutable and thread-safe.
 *
 * @param url a new URL for the same file, as sent, or null
 * @param mirrors the mirrors that replace the download's, as sent (empty for none), or null
 */
public record UpdateCommand(@Nullable String url, @Nullable List<String> mirrors) {

  /** Copies {@code mirrors}. */
  public UpdateCommand {
    mirrors = mirrors == null ? null : List.copyOf(mirrors);
  }
}
