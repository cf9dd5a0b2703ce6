package io.rangefetch;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A snapshot of one download. Immutable.
 *
 * @param state where the download is
 * @param finalUri the URI after redirects once probed (the request URI before), without
 *     credentials
 * @param size total bytes, or {@code -1} while unknown
 * @param ranges whether ranges work; {@link RangeSupport#UNKNOWN} before the probe
 * @param activeThreads workers fetching right now; 0 when not downloading
 * @param maxThreads the thread count in force: the request's, capped by {@link Limits}
 * @param chunkBytes the largest request in force: the request's, capped by {@link Limits}
 * @param bytesDone bytes written to the file so far
 * @param bytesPerSecond the recent rate, 0 when nothing is moving
 * @param updatedAt when this snapshot was taken
 * @param transfer what the engine did to keep the download fast: requests sent ahead, work
 *     taken over from slow connections, races, reconnects
 * @param limitBytesPerSecond the rate limit in force: the lower of the download's own and the
 *     downloader's; 0 when there is none
 * @param hostAllowance while downloading, the connections the server's host may have now when
 *     that is below {@link Limits#maxConnectionsPerHost()} (it answered 429 or 503 lately);
 *     otherwise -1
 * @param sources the URLs the download fetches from, the request's URI first, then its
 *     mirrors ({@link DownloadRequest.Builder#mirror(URI)}), each with its state, bytes and
 *     rate; empty in snapshots made without them
 */
public record DownloadStatus(DownloadState state, URI finalUri, long size, RangeSupport ranges,
    int activeThreads, int maxThreads, long chunkBytes, long bytesDone, long bytesPerSecond,
    Instant updatedAt, TransferStats transfer, long limitBytesPerSecond, int hostAllowance,
    List<SourceStatus> sources) {

  /**
   * Creates a snapshot and checks it.
   *
   * @param state where the download is
   * @param finalUri the URI after redirects
   * @param size total bytes, or {@code -1}
   * @param ranges whether ranges work
   * @param activeThreads workers fetching now
   * @param maxThreads the thread count in force
   * @param chunkBytes the largest request in force
   * @param bytesDone bytes written so far
   * @param bytesPerSecond the recent rate
   * @param updatedAt when the snapshot was taken
   * @param transfer what the engine did to keep the download fast
   * @param limitBytesPerSecond the rate limit in force, 0 for none
   * @param hostAllowance the host's cut connection allowance, or -1
   * @param sources the sources, the request's URI first
   * @throws IllegalArgumentException if a count is negative or {@code size < -1}
   */
  public DownloadStatus {
    sources = List.copyOf(Objects.requireNonNull(sources, "sources"));
    Objects.requireNonNull(transfer, "transfer");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(finalUri, "finalUri");
    Objects.requireNonNull(ranges, "ranges");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (size < -1 || activeThreads < 0 || maxThreads < 1 || chunkBytes < 1 || bytesDone < 0
        || bytesPerSecond < 0 || limitBytesPerSecond < 0 || hostAllowance < -1
        || hostAllowance == 0) {
      throw new IllegalArgumentException("inconsistent status: size=" + size + ", activeThreads="
          + activeThreads + ", maxThreads=" + maxThreads + ", chunkBytes=" + chunkBytes
          + ", bytesDone=" + bytesDone + ", bytesPerSecond=" + bytesPerSecond
          + ", limitBytesPerSecond=" + limitBytesPerSecond + ", hostAllowance=" + hostAllowance);
    }
  }

  /**
   * Creates a snapshot without sources.
   *
   * @param state where the download is
   * @param finalUri the URI after redirects
   * @param size total bytes, or {@code -1}
   * @param ranges whether ranges work
   * @param activeThreads workers fetching now
   * @param maxThreads the thread count in force
   * @param chunkBytes the largest request in force
   * @param bytesDone bytes written so far
   * @param bytesPerSecond the recent rate
   * @param updatedAt when the snapshot was taken
   * @param transfer what the engine did to keep the download fast
   * @param limitBytesPerSecond the rate limit in force, 0 for none
   * @param hostAllowance the host's cut connection allowance, or -1
   * @throws IllegalArgumentException if a count is negative or {@code size < -1}
   */
  public DownloadStatus(DownloadState state, URI finalUri, long size, RangeSupport ranges,
      int activeThreads, int maxThreads, long chunkBytes, long bytesDone, long bytesPerSecond,
      Instant updatedAt, TransferStats transfer, long limitBytesPerSecond, int hostAllowance) {
    this(state, finalUri, size, ranges, activeThreads, maxThreads, chunkBytes, bytesDone,
        bytesPerSecond, updatedAt, transfer, limitBytesPerSecond, hostAllowance, List.of());
  }

  /**
   * Creates a snapshot without traffic limits: no rate limit, no cut host allowance.
   *
   * @param state where the download is
   * @param finalUri the URI after redirects
   * @param size total bytes, or {@code -1}
   * @param ranges whether ranges work
   * @param activeThreads workers fetching now
   * @param maxThreads the thread count in force
   * @param chunkBytes the largest request in force
   * @param bytesDone bytes written so far
   * @param bytesPerSecond the recent rate
   * @param updatedAt when the snapshot was taken
   * @param transfer what the engine did to keep the download fast
   * @throws IllegalArgumentException if a count is negative or {@code size < -1}
   */
  public DownloadStatus(DownloadState state, URI finalUri, long size, RangeSupport ranges,
      int activeThreads, int maxThreads, long chunkBytes, long bytesDone, long bytesPerSecond,
      Instant updatedAt, TransferStats transfer) {
    this(state, finalUri, size, ranges, activeThreads, maxThreads, chunkBytes, bytesDone,
        bytesPerSecond, updatedAt, transfer, 0, -1);
  }

  /**
   * Creates a snapshot with no transfer counts ({@link TransferStats#NONE}).
   *
   * @param state where the download is
   * @param finalUri the URI after redirects
   * @param size total bytes, or {@code -1}
   * @param ranges whether ranges work
   * @param activeThreads workers fetching now
   * @param maxThreads the thread count in force
   * @param chunkBytes the largest request in force
   * @param bytesDone bytes written so far
   * @param bytesPerSecond the recent rate
   * @param updatedAt when the snapshot was taken
   * @throws IllegalArgumentException if a count is negative or {@code size < -1}
   */
  public DownloadStatus(DownloadState state, URI finalUri, long size, RangeSupport ranges,
      int activeThreads, int maxThreads, long chunkBytes, long bytesDone, long bytesPerSecond,
      Instant updatedAt) {
    this(state, finalUri, size, ranges, activeThreads, maxThreads, chunkBytes, bytesDone,
        bytesPerSecond, updatedAt, TransferStats.NONE);
  }

  /**
   * Returns the fraction done.
   *
   * @return {@code bytesDone / size} in [0, 1], or empty while the size is unknown
   */
  public OptionalDouble progress() {
    if (size < 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(size == 0 ? 1.0 : Math.min(1.0, (double) bytesDone / size));
  }

  /**
   * Returns the time left at the recent rate.
   *
   * @return the estimate, or empty when the size is unknown or nothing is moving
   */
  public Optional<Duration> remaining() {
    if (size < 0 || bytesPerSecond <= 0 || state != DownloadState.DOWNLOADING) {
      return Optional.empty();
    }
    long left = Math.max(0, size - bytesDone);
    return Optional.of(Duration.ofMillis(left * 1000 / bytesPerSecond));
  }
}
