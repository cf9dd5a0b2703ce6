package io.rangefetch.server.protocol;

import java.util.List;

/**
 * The content of the server's state file: the list of downloads as of the last compaction. The
 * journal beside it holds the changes since. Immutable and thread-safe.
 *
 * @param version the format version, 1
 * @param nextId the id the next download gets
 * @param journalSeq the sequence number of the last journal entry this list includes; entries
 *     up to it are already in the list and are skipped when the journal is replayed (0 in files
 *     written before the journal existed)
 * @param downloads oldest first
 */
public record StateFile(int version, long nextId, long journalSeq,
    List<StoredDownload> downloads) {
  /** The format version written now. */
  public static final int VERSION = 1;

  /**
   * Copies the list.
   */
  public StateFile {
    downloads = List.copyOf(downloads);
  }

  /**
   * Returns the state of a server that has never run.
   *
   * @return no downloads, next id 1
   */
  public static StateFile empty() {
    return new StateFile(VERSION, 1, 0, List.of());
  }
}
