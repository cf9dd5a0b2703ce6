package io.rangefetch;

import java.net.URI;
import java.util.Objects;

/**
 * What a server said about a URL before any byte was written. Immutable.
 *
 * <p>Ranges are judged from a real ranged {@code GET}, never from {@code Accept-Ranges}: a
 * server supports them when it answers {@code 206} with the {@code Content-Range} asked for.
 *
 * @param finalUri the URI after redirects, without credentials
 * @param statusCode the status of the ranged GET at {@code finalUri}
 * @param ranges whether byte ranges work: never {@link RangeSupport#UNKNOWN} here
 * @param size the total size in bytes, or {@code -1} when the server gave none
 * @param etag the {@code ETag} as sent, quotes included, or {@code ""} when none
 * @param lastModified the {@code Last-Modified} as sent, or {@code ""} when none
 * @param fileName a safe plain file name from {@code Content-Disposition} or the URL path;
 *     {@code "download"} when neither gives one
 */
public record Probe(URI finalUri, int statusCode, RangeSupport ranges, long size, String etag,
    String lastModified, String fileName) {

  /**
   * Creates a probe result and checks it.
   *
   * @param finalUri the URI after redirects
   * @param statusCode the status of the ranged GET
   * @param ranges whether byte ranges work
   * @param size the total size, or {@code -1}
   * @param etag the ETag, or {@code ""}
   * @param lastModified the Last-Modified, or {@code ""}
   * @param fileName a safe plain file name
   * @throws IllegalArgumentException if {@code size < -1}, {@code ranges} is UNKNOWN or {@code fileName} is blank
   */
  public Probe {
    Objects.requireNonNull(finalUri, "finalUri");
    Objects.requireNonNull(ranges, "ranges");
    Objects.requireNonNull(etag, "etag");
    Objects.requireNonNull(lastModified, "lastModified");
    Objects.requireNonNull(fileName, "fileName");
    if (size < -1) {
      throw new IllegalArgumentException("size must be -1 (unknown) or >= 0, was " + size);
    }
    if (ranges == RangeSupport.UNKNOWN) {
      throw new IllegalArgumentException("a probe knows whether ranges work");
    }
    if (fileName.isBlank()) {
      throw new IllegalArgumentException("fileName must not be blank");
    }
  }

  /**
   * Returns whether the file can be fetched with parallel range requests.
   *
   * @return {@code ranges() == SUPPORTED}
   */
  public boolean rangesSupported() {
    return ranges == RangeSupport.SUPPORTED;
  }
}
