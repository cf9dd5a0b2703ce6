package io.rangefetch.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One download as the state file keeps it across restarts. Immutable and thread-safe.
 *
 * @param url the URL as added, credentials included, so that it can be fetched again
 * @param threads the threads asked for, or null
 * @param chunkBytes the request size asked for, or null
 * @param fileName the file name asked for, or null
 * @param expectedSha256 the digest asked for, or null
 * @param status the last status, as the protocol shows it
 * @param headers the extra request headers asked for; empty for none (and in state files written
 *     before headers were kept)
 * @param dir the directory inside the download directory asked for ({@code AddCommand#dir}),
 *     or null for the download directory itself
 * @param limitBps the download's own rate limit, as added or last updated; null for none
 * @param mirrors the mirrors asked for; empty for none (and in state files written before
 *     mirrors were kept)
 * @param formerUrl the URL before the last {@code update} gave a new one, credentials included,
 *     whose part file the next run continues when the new URL serves the same file; null when
 *     the URL was never changed
 */
public record StoredDownload(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
    @Nullable String fileName, @Nullable String expectedSha256, StatusJson status,
    // Left out when empty or null: the state file of a download without them stays as it was.
    @JsonInclude(JsonInclude.Include.NON_EMPTY) @Nullable Map<String, String> headers,
    @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String dir,
    @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Long limitBps,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) @Nullable List<String> mirrors,
    @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String formerUrl) {

  /** An absent {@code headers} or {@code mirrors} (an older state file) is none. */
  public StoredDownload {
    headers = headers == null ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
  }

  /**
   * Returns a download kept in the download directory itself, without a rate limit or mirrors.
   *
   * @param url the URL as added
   * @param threads the threads asked for, or null
   * @param chunkBytes the request size asked for, or null
   * @param fileName the file name asked for, or null
   * @param expectedSha256 the digest asked for, or null
   * @param status the last status
   * @param headers the extra request headers asked for
   */
  public StoredDownload(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
      @Nullable String fileName, @Nullable String expectedSha256, StatusJson status,
      @Nullable Map<String, String> headers) {
    this(url, threads, chunkBytes, fileName, expectedSha256, status, headers, null, null,
        List.of(), null);
  }

  /**
   * Returns this download with another last status, everything asked for kept.
   *
   * @param changed the new status
   * @return the record
   */
  public StoredDownload withStatus(StatusJson changed) {
    return new StoredDownload(url, threads, chunkBytes, fileName, expectedSha256, changed,
        headers, dir, limitBps, mirrors, formerUrl);
  }

  /**
   * Returns a download kept without extra headers.
   *
   * @param url the URL as added
   * @param threads the threads asked for, or null
   * @param chunkBytes the request size asked for, or null
   * @param fileName the file name asked for, or null
   * @param expectedSha256 the digest asked for, or null
   * @param status the last status
   */
  public StoredDownload(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
      @Nullable String fileName, @Nullable String expectedSha256, StatusJson status) {
    this(url, threads, chunkBytes, fileName, expectedSha256, status, Map.of());
  }
}
