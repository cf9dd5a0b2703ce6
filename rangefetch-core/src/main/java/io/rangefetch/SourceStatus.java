package io.rangefetch;

import java.net.URI;
import java.util.Objects;

/**
 * One source of a download as a {@link DownloadStatus} shows it: the URL given first, or a
 * mirror of the same file. Immutable.
 *
 * <p>A mirror's bytes are used only once it is shown to serve the same file as the first URL
 * (same length; the same {@code ETag} and {@code Last-Modified} where both give them). A source
 * that fails again and again, answers with an error status, or lies (another length, other
 * validators, a {@code Content-Range} that was not asked for) is dropped, with a note that says
 * why; its work goes to the others.
 *
 * @param uri the source's URL, without credentials
 * @param state whether the download uses it
 * @param bytes bytes of the file this source delivered in this process
 * @param bytesPerSecond its recent rate, 0 when it delivers nothing now
 * @param note why the source is in its state, for a person (a drop, a refreshed or replaced
 *     URL, a download that started over); "" when there is nothing to say
 */
public record SourceStatus(URI uri, State state, long bytes, long bytesPerSecond, String note) {

  /** Whether the download uses a source. */
  public enum State {
    /** Shown to serve the same file: connections may fetch from it. */
    ACTIVE,
    /** Not (yet) used: not checked yet, or being checked. */
    UNUSED,
    /** No longer used: it failed or served something else; {@link #note()} says what. */
    DROPPED
  }

  /**
   * Creates a source status and checks it.
   *
   * @param uri the source's URL
   * @param state its state
   * @param bytes bytes delivered
   * @param bytesPerSecond recent rate
   * @param note why, or ""
   * @throws IllegalArgumentException if a count is negative
   */
  public SourceStatus {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(note, "note");
    if (bytes < 0 || bytesPerSecond < 0) {
      throw new IllegalArgumentException("inconsistent source status: bytes=" + bytes
          + ", bytesPerSecond=" + bytesPerSecond);
    }
  }
}
