package io.rangefetch.server.download;

import io.rangefetch.DownloadState;
import io.rangefetch.internal.DaemonThreads;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices completed files that were deleted or moved on disk, or put back: every
 * {@link #PERIOD_SECONDS} seconds, and at once when an {@code add} names the URL of a completed
 * download. Thread-safe.
 *
 * <p>Why a sweep, and not a look at every {@code list} or a {@code WatchService}: a look costs
 * one {@code stat} per completed download, and the history keeps a bounded number of them
 * ({@code history.max-finished}, 1000 by default), so a sweep costs a thousand {@code stat}s
 * every few seconds, whatever the clients do; a look per {@code list} would cost that per
 * request of every web UI that polls once a second. A {@code WatchService} needs a watch per
 * directory, is not told of changes made by other machines on network file systems, and
 * misses events when its queue overflows; a sweep sees every case the same way. In a cluster
 * each node sweeps the files it wrote, on its own disk, and the status it records tells the
 * other nodes.
 */
final class FileCheck implements AutoCloseable {
  /** How often the files of completed downloads are looked at. */
  static final long PERIOD_SECONDS = 5;
  private static final Logger LOG = LoggerFactory.getLogger(FileCheck.class);

  private final DownloadRegistry registry;
  private final Consumer<ServerDownload> changed;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      DaemonThreads.named("rangefetch-file-check"));

  /**
   * @param registry the downloads whose files are this server's
   * @param changed told of a download whose file went missing or came back, to record and push
   */
  FileCheck(DownloadRegistry registry, Consumer<ServerDownload> changed) {
    this.registry = registry;
    this.changed = changed;
  }

  /** Starts the sweep. */
  void start() {
    timer.scheduleWithFixedDelay(this::sweep, PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * Looks at one download's file now.
   *
   * @param download the download; nothing happens unless it is completed
   */
  void checkNow(ServerDownload download) {
    if (download.checkFile()) {
      LOG.info("download {}: its file is {}", download.id(),
          download.fileMissing() ? "gone (deleted or moved); an add of its URL fetches it again"
              : "there again");
      changed.accept(download);
    }
  }

  private void sweep() {
    try {
      for (ServerDownload download : registry.oldestFirst()) {
        if (download.state() == DownloadState.COMPLETED) {
          checkNow(download);
        }
      }
    } catch (RuntimeException e) {
      LOG.error("the check of completed files failed; it runs again in {} s", PERIOD_SECONDS, e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
