package io.rangefetch.server.protocol;

import java.util.List;

/**
 * The content of the server's state file. Immutable and thread-safe.
 *
 * @param version the format version, 1
 * @param nextId the id the next download gets
 * @param downloads oldest first
 */
public record StateFile(int version, long nextId, List<StoredDownload> downloads) {
  /** The format version written now. */
  public static final int VERSION = 1;

  /**
   * Copies the list.
   */
  public StateFile {
    downloads = List.copyOf(downloads);
  }
}
