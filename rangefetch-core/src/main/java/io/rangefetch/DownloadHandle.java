package io.rangefetch;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A started download. Thread-safe; every method returns at once.
 *
 * <pre>{@code
 * DownloadHandle download = downloader.start(request);
 * DownloadStatus paused = download.pause().join();   // PAUSED, or ended meanwhile
 * download.resume();
 * DownloadResult result = download.result().join();
 * }</pre>
 */
public interface DownloadHandle {

  /**
   * Returns the id of this download, unique within its {@link RangeDownloader}.
   *
   * @return a short id such as {@code "7"}
   */
  String id();

  /**
   * Returns the request that started this download.
   *
   * @return the request
   */
  DownloadRequest request();

  /**
   * Returns the file this download writes, once its name is known: at once when the request
   * named a file, after the probe when it named a directory.
   *
   * @return the absolute path of the final file, or empty while the name is not chosen
   */
  Optional<Path> file();

  /**
   * Returns the URI as requested, without credentials.
   *
   * @return the URI
   */
  URI uri();

  /**
   * Returns the latest snapshot.
   *
   * @return the status now
   */
  DownloadStatus status();

  /**
   * Returns the outcome. It completes normally with the verified file, exceptionally with a
   * {@link DownloadException}, or is cancelled by {@link #cancel()}. Each call returns a new
   * future: completing or cancelling it does nothing to the download (use {@link #cancel()}).
   *
   * @return the future result
   */
  CompletableFuture<DownloadResult> result();

  /**
   * Stops the workers, closes their connections and keeps what was written. Pausing a paused
   * or queued download is allowed and does nothing more.
   *
   * <p>The pause takes effect within moments (the connections are aborted, not drained). The
   * future completes once it has: with the status then, {@link DownloadState#PAUSED} (after the
   * listeners heard {@link DownloadListener#downloadPaused}); or, if the download ended first
   * (it completed before the pause reached it, say), with its final status. A {@link #resume()}
   * that comes before the pause took effect completes it too, with the status of the running
   * download: check the state.
   *
   * @return a future of the status once the pause holds
   * @throws IllegalStateException if the download is completed, failed or cancelled
   */
  CompletableFuture<DownloadStatus> pause();

  /**
   * Goes on from the bytes already written: only what is missing is fetched. A server without
   * ranges is asked for the whole file again. Resuming a running download does nothing.
   *
   * <p>The future completes once the download runs again (queued for a worker, after the
   * listeners heard {@link DownloadListener#downloadResumed}), at once if it was running, or
   * with its final status if it ended first.
   *
   * @return a future of the status once the download runs again
   * @throws IllegalStateException if the download is completed, failed or cancelled
   */
  CompletableFuture<DownloadStatus> resume();

  /**
   * Changes this download's own rate limit, at once for the reads that follow. The
   * downloader's limit ({@link RangeDownloader#limitRate(long)}) applies as well: the lower
   * wins. {@link DownloadStatus#limitBytesPerSecond()} shows the limit in force.
   *
   * @param bytesPerSecond 0 to lift this download's own limit, or at least 1024
   * @throws IllegalArgumentException if {@code bytesPerSecond} is negative or below 1024
   */
  void limitRate(long bytesPerSecond);

  /**
   * Stops the download for good and deletes its partial file. Idempotent; cancelling a
   * finished download does nothing.
   */
  void cancel();
}
