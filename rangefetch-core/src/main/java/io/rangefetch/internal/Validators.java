package io.rangefetch.internal;

import io.rangefetch.Probe;
import org.jspecify.annotations.Nullable;

/**
 * What identifies one version of the remote file: its size and validators from the probe. Every
 * later chunk must come from the same version, or the file would mix two.
 *
 * @param size total bytes
 * @param etag the ETag, or "" when none
 * @param lastModified the Last-Modified, or "" when none
 */
record Validators(long size, String etag, String lastModified) {

  static Validators of(Probe probe) {
    return new Validators(probe.size(), probe.etag(), probe.lastModified());
  }

  /**
   * The {@code If-Range} value: a strong ETag if there is one, else the Last-Modified date. A
   * server then answers 200 instead of 206 when the file changed, and the engine notices.
   */
  @Nullable String ifRange() {
    if (!etag.isEmpty() && !etag.startsWith("W/")) {
      return etag;
    }
    return lastModified.isEmpty() ? null : lastModified;
  }

  /** Whether a response carries at least one validator, and it equals ours. */
  boolean sameVersion(String otherEtag, String otherLastModified) {
    return (!etag.isEmpty() && etag.equals(otherEtag))
        || (!lastModified.isEmpty() && lastModified.equals(otherLastModified));
  }

  /** Describes how {@code etag}/{@code lastModified} of a response differ from these; null if not. */
  @Nullable String change(String otherEtag, String otherLastModified) {
    if (!etag.isEmpty() && !otherEtag.isEmpty() && !etag.equals(otherEtag)) {
      return "ETag " + etag + " -> " + otherEtag;
    }
    if (!lastModified.isEmpty() && !otherLastModified.isEmpty()
        && !lastModified.equals(otherLastModified)) {
      return "Last-Modified " + lastModified + " -> " + otherLastModified;
    }
    return null;
  }
}
