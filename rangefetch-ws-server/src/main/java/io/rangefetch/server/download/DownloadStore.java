package io.rangefetch.server.download;

import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.protocol.StateFile;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON state file in the download directory that keeps the list of downloads across restarts.
 * Written atomically: a temporary file beside it, then a rename, so a crash leaves the old or the
 * new list, never half of one. Thread-safe.
 */
final class DownloadStore {
  /** The name of the state file inside the download directory. */
  static final String FILE_NAME = ".rangefetch-state.json";
  private static final Logger LOG = LoggerFactory.getLogger(DownloadStore.class);

  private final Path file;
  private final Path temp;

  DownloadStore(Path downloadDir) {
    this.file = downloadDir.resolve(FILE_NAME);
    this.temp = downloadDir.resolve(FILE_NAME + ".tmp");
  }

  /**
   * Reads the state file.
   *
   * @return its content, or an empty list if there is none; an unreadable file is kept aside
   *     under a {@code .broken-<time>} name and an empty list returned, so the server still starts
   */
  synchronized StateFile load() {
    if (!Files.exists(file)) {
      return new StateFile(StateFile.VERSION, 1, List.of());
    }
    try {
      return Json.mapper().readValue(file.toFile(), StateFile.class);
    } catch (IOException | RuntimeException e) {
      Path aside = file.resolveSibling(FILE_NAME + ".broken-" + Instant.now().toEpochMilli());
      LOG.error("cannot read the download list {} ({}); moved it to {} and starting with an empty"
          + " list", file, e.getMessage(), aside);
      try {
        Files.move(file, aside);
      } catch (IOException moveFailed) {
        LOG.error("cannot move {} aside: {}", file, moveFailed.getMessage());
      }
      return new StateFile(StateFile.VERSION, 1, List.of());
    }
  }

  /**
   * Writes the state file. Takes the snapshot under the store's lock, so two writers cannot put
   * an older list over a newer one.
   *
   * @param snapshot builds the content to write
   */
  synchronized void save(Supplier<StateFile> snapshot) {
    try {
      Files.write(temp, Json.mapper().writerWithDefaultPrettyPrinter()
          .writeValueAsBytes(snapshot.get()));
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // Downloads go on; only the memory of them across a restart is at risk.
      LOG.error("cannot write the download list to {}: {}; downloads go on, but a restart will "
          + "not remember the latest changes; check free space and permissions", file,
          e.getMessage());
    }
  }
}
