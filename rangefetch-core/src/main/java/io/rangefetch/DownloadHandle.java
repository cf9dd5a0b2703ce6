package io.rangefetch;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
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
   * Replaces the URL this download fetches from with {@code uri}, a new URL of the same file
   * (a signed link issued anew, a file that moved). On a running download it applies to the
   * next requests; on a paused or queued one when it runs. The new URL is asked for the first
   * byte first: when it serves the same file (same length; the same {@code ETag} and
   * {@code Last-Modified} where both give them) the bytes already fetched are kept; otherwise
   * the download starts over from the new URL, and the first of
   * {@link DownloadStatus#sources()} says why in its note ({@link DownloadListener#sourceChanged}
   * tells a listener). Mirrors stay as they are. A failed download has ended and takes no new
   * URL.
   *
   * @param uri absolute {@code http} or {@code https} URI
   * @throws IllegalArgumentException if {@code uri} is not an absolute http(s) URI with a host
   * @throws IllegalStateException if the download is completed, failed or cancelled
   */
  void replaceUri(URI uri);

  /**
   * Replaces the mirrors of this download ({@link DownloadRequest.Builder#mirror(URI)}): those
   * it has already stay as they are, new ones are checked before their bytes are used (at once
   * on a running download, else when it runs), and those not named any more are no longer used
   * after their current requests.
   *
   * @param mirrors the mirrors, each once; empty for none
   * @throws IllegalArgumentException if a mirror is not an absolute http(s) URI with a host,
   *     or is given twice
   * @throws IllegalStateException if the download is completed, failed or cancelled
   */
  void replaceMirrors(List<URI> mirrors);

  /**
   * Stops the download for good and deletes its partial file. Idempotent; cancelling a
   * finished download does nothing.
   */
  void cancel();
}
