package io.rangefetch.server.protocol;

import org.jspecify.annotations.Nullable;

/**
 * The fields of an {@code add}, checked for type and range but not yet against the URL policy.
 * Immutable and thread-safe.
 *
 * @param url the URL as sent
 * @param threads the threads asked for, at least 1, or null for the cap
 * @param chunkBytes the request size asked for, at least 1, or null for the cap
 * @param fileName the file name asked for, or null to take the server's
 * @param sha256 the expected digest, 64 lower-case hex digits, or null
 */
public record AddCommand(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
    @Nullable String fileName, @Nullable String sha256) {

  /**
   * Returns an add of {@code url} with every option left to the server.
   *
   * @param url the URL as sent
   * @return the command
   */
  public static AddCommand of(String url) {
    return new AddCommand(url, null, null, null, null);
  }
}
