package io.rangefetch.server.download;

import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.protocol.StateFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON state file in the download directory that keeps the list of downloads across restarts.
 * Written atomically and durably: a temporary file beside it, forced to disk, renamed over the old
 * one, then the directory forced, so a crash (even of the machine) leaves the old or the new list,
 * never half of one. Thread-safe.
 */
final class DownloadStore {
  /** The name of the state file inside the download directory. */
  static final String FILE_NAME = ".rangefetch-state.json";
  private static final Logger LOG = LoggerFactory.getLogger(DownloadStore.class);

  private final Path file;
  private final Path temp;
  // guarded by this: set by seal(); no write after it
  private boolean sealed;

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
    if (sealed) {
      return;
    }
    try {
      ByteBuffer bytes = ByteBuffer.wrap(Json.mapper().writeValueAsBytes(snapshot.get()));
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      forceDirectory(file.getParent());
    } catch (IOException e) {
      // Downloads go on; only the memory of them across a restart is at risk.
      LOG.error("cannot write the download list to {}: {}; downloads go on, but a restart will "
          + "not remember the latest changes; check free space and permissions", file,
          e.getMessage());
    }
  }

  /**
   * Stops all writes: waits for a write in progress, and ignores later ones, so that nothing is
   * written into the download directory once the service has closed.
   */
  synchronized void seal() {
    sealed = true;
  }

  /** Makes the rename durable: on Linux a directory can be opened and forced. */
  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory; the rename is still atomic there.
    }
  }
}
