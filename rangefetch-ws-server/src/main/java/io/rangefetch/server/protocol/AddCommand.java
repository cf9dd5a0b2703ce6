package io.rangefetch.server.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * @param headers extra request headers, name to value, in order; empty for none. Checked by
 *     {@code DownloadRequest.Builder#header} when the download starts.
 * @param mirrors other URLs of the same file, as sent, in order; empty for none
 */
public record AddCommand(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
    @Nullable String fileName, @Nullable String sha256, Map<String, String> headers,
    List<String> mirrors) {

  /** Copies {@code headers}, keeping their order, and {@code mirrors}. */
  public AddCommand {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    mirrors = List.copyOf(mirrors);
  }

  /**
   * Returns an add without mirrors.
   *
   * @param url the URL as sent
   * @param threads the threads asked for, or null
   * @param chunkBytes the request size asked for, or null
   * @param fileName the file name asked for, or null
   * @param sha256 the expected digest, or null
   * @param headers extra request headers
   */
  public AddCommand(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
      @Nullable String fileName, @Nullable String sha256, Map<String, String> headers) {
    this(url, threads, chunkBytes, fileName, sha256, headers, List.of());
  }

  /**
   * Returns this add with another URL and other mirrors: the sources an {@code update} gave.
   *
   * @param newUrl the URL
   * @param newMirrors the mirrors
   * @return the changed add
   */
  public AddCommand withSources(String newUrl, List<String> newMirrors) {
    return new AddCommand(newUrl, threads, chunkBytes, fileName, sha256, headers, newMirrors);
  }

  /**
   * Returns an add without extra headers.
   *
   * @param url the URL as sent
   * @param threads the threads asked for, or null
   * @param chunkBytes the request size asked for, or null
   * @param fileName the file name asked for, or null
   * @param sha256 the expected digest, or null
   */
  public AddCommand(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
      @Nullable String fileName, @Nullable String sha256) {
    this(url, threads, chunkBytes, fileName, sha256, Map.of());
  }

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
