package io.rangefetch;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A complete, verified file. Immutable.
 *
 * @param finalUri the URI the bytes came from, after redirects, without credentials
 * @param file the absolute path of the complete file
 * @param size its size in bytes
 * @param sha256 its SHA-256, 64 lower-case hex digits, or {@code ""} when the request asked for
 *     none ({@link DownloadRequest.Builder#computeSha256(boolean)})
 * @param ranged whether it was fetched with range requests (else as one stream)
 * @param elapsed the time from start to completion, pauses included
 */
public record DownloadResult(URI finalUri, Path file, long size, String sha256, boolean ranged,
    Duration elapsed) {
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");


  /**
   * Creates a result and checks it.
   *
   * @param finalUri the URI the bytes came from
   * @param file the complete file
   * @param size its size in bytes
   * @param sha256 its SHA-256, 64 lower-case hex digits, or {@code ""} when not computed
   * @param ranged whether ranges were used
   * @param elapsed the time from start to completion
   * @throws IllegalArgumentException if {@code size < 0} or {@code sha256} is neither empty nor 64
   *     lower-case hex digits
   */
  public DownloadResult {
    Objects.requireNonNull(finalUri, "finalUri");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(elapsed, "elapsed");
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, was " + size);
    }
    if (!sha256.isEmpty() && !SHA256_HEX.matcher(sha256).matches()) {
      throw new IllegalArgumentException(
          "sha256 must be 64 lower-case hex digits or empty, was " + sha256);
    }
  }
}
