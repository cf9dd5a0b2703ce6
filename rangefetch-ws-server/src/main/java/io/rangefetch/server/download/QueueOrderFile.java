package io.rangefetch.server.download;

import com.fasterxml.jackson.core.type.TypeReference;
import io.rangefetch.server.protocol.Json;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order of the waiting queue across restarts: a small file beside the state file with the
 * ids of the waiting downloads, front first, as a JSON array. It is written when a client moves
 * a download and when the server stops, not on every change: moves are rare, and an order a
 * crash left behind only puts the downloads waiting since the last move after the others.
 * Replaced atomically. Thread-safe (stateless).
 */
final class QueueOrderFile {
  /** The file's name in the download directory; it starts like the state file's. */
  static final String FILE_NAME = ".rangefetch-state.queue.json";
  private static final Logger LOG = LoggerFactory.getLogger(QueueOrderFile.class);

  private final Path file;
  private final Path temp;

  QueueOrderFile(Path downloadDir) {
    this.file = downloadDir.resolve(FILE_NAME);
    this.temp = downloadDir.resolve(FILE_NAME + ".tmp");
  }

  /** @return the ids as last written, front first; empty if there is no file or it is garbled */
  List<String> read() {
    if (!Files.exists(file)) {
      return List.of();
    }
    try {
      return Json.mapper().readValue(file.toFile(), new TypeReference<List<String>>() {});
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read the order of the waiting queue from {} ({}); waiting downloads start"
          + " in the order they were added", file, e.getMessage());
      return List.of();
    }
  }

  /**
   * Writes the ids, front first, or deletes the file when there are none; a failure is logged,
   * and the order is then kept in memory only.
   */
  void write(List<String> ids) {
    try {
      if (ids.isEmpty()) {
        Files.deleteIfExists(file);
        return;
      }
      Files.write(temp, Json.mapper().writeValueAsBytes(ids));
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.warn("cannot write the order of the waiting queue to {} ({}); a restart starts the"
          + " waiting downloads in the order they were added", file, e.getMessage());
    }
  }
}
