package io.rangefetch;

import io.rangefetch.internal.Rates;
import java.util.Objects;

/**
 * Upper bounds on the work of a {@link RangeDownloader}. Immutable and thread-safe.
 *
 * <p>A request may ask for fewer threads or smaller chunks than these caps, never more: a
 * request above a cap gets the cap, and {@link DownloadStatus} reports the values in force.
 *
 * <pre>{@code
 * Limits limits = Limits.newBuilder()
 *     .maxThreads(4)
 *     .maxBytesPerThread(8 * 1024 * 1024)
 *     .build();
 * }</pre>
 */
public final class Limits {
  /** The largest value accepted by {@link Builder#maxThreads(int)}. */
  public static final int MAX_THREADS_CEILING = 64;

  private static final Limits DEFAULTS = newBuilder().build();

  private final int maxThreads;
  private final long maxBytesPerThread;
  private final int maxConcurrentDownloads;
  private final long maxFileBytes;
  private final long maxBytesPerSecond;
  private final int maxConnectionsPerHost;

  private Limits(Builder builder) {
    this.maxThreads = builder.maxThreads;
    this.maxBytesPerThread = builder.maxBytesPerThread;
    this.maxConcurrentDownloads = builder.maxConcurrentDownloads;
    this.maxFileBytes = builder.maxFileBytes;
    this.maxBytesPerSecond = builder.maxBytesPerSecond;
    this.maxConnectionsPerHost = builder.maxConnectionsPerHost;
  }

  /**
   * Returns the default limits: 8 threads, 4 MiB per request, 4 concurrent downloads, files
   * up to 1 TiB, no rate limit, 16 connections per host.
   *
   * @return the default limits
   */
  public static Limits defaults() {
    return DEFAULTS;
  }

  /**
   * Returns a builder that starts from the defaults.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns a builder that starts from these limits.
   *
   * @return a new builder holding these values
   */
  public Builder toBuilder() {
    return new Builder()
        .maxThreads(maxThreads)
        .maxBytesPerThread(maxBytesPerThread)
        .maxConcurrentDownloads(maxConcurrentDownloads)
        .maxFileBytes(maxFileBytes)
        .maxBytesPerSecond(maxBytesPerSecond)
        .maxConnectionsPerHost(maxConnectionsPerHost);
  }

  /**
   * Returns the most range requests one download has in flight at once.
   *
   * @return the thread cap per download
   * @see Builder#maxThreads(int)
   */
  public int maxThreads() {
    return maxThreads;
  }

  /**
   * Returns the most bytes one request may ask for: the largest chunk.
   *
   * @return the chunk size cap, in bytes
   * @see Builder#maxBytesPerThread(long)
   */
  public long maxBytesPerThread() {
    return maxBytesPerThread;
  }

  /**
   * Returns how many downloads run at once; more wait in {@link DownloadState#QUEUED}.
   *
   * @return the concurrent download cap
   * @see Builder#maxConcurrentDownloads(int)
   */
  public int maxConcurrentDownloads() {
    return maxConcurrentDownloads;
  }

  /**
   * Returns the largest file a download may write; a larger one is refused before any byte
   * is written.
   *
   * @return the file size ceiling, in bytes
   * @see Builder#maxFileBytes(long)
   */
  public long maxFileBytes() {
    return maxFileBytes;
  }

  /**
   * Returns the rate limit over all downloads of the downloader at the start; it can be
   * changed later with {@link RangeDownloader#limitRate(long)}.
   *
   * @return bytes per second, or 0 for no limit
   * @see Builder#maxBytesPerSecond(long)
   */
  public long maxBytesPerSecond() {
    return maxBytesPerSecond;
  }

  /**
   * Returns the most connections to one host ({@code host:port}) at once, over all downloads.
   *
   * @return the per-host connection cap
   * @see Builder#maxConnectionsPerHost(int)
   */
  public int maxConnectionsPerHost() {
    return maxConnectionsPerHost;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Limits other
        && maxThreads == other.maxThreads
        && maxBytesPerThread == other.maxBytesPerThread
        && maxConcurrentDownloads == other.maxConcurrentDownloads
        && maxFileBytes == other.maxFileBytes
        && maxBytesPerSecond == other.maxBytesPerSecond
        && maxConnectionsPerHost == other.maxConnectionsPerHost;
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxThreads, maxBytesPerThread, maxConcurrentDownloads, maxFileBytes,
        maxBytesPerSecond, maxConnectionsPerHost);
  }

  @Override
  public String toString() {
    return "Limits{maxThreads=" + maxThreads
        + ", maxBytesPerThread=" + maxBytesPerThread
        + ", maxConcurrentDownloads=" + maxConcurrentDownloads
        + ", maxFileBytes=" + maxFileBytes
        + ", maxBytesPerSecond=" + maxBytesPerSecond
        + ", maxConnectionsPerHost=" + maxConnectionsPerHost + "}";
  }

  /** Builds {@link Limits}. Not thread-safe. */
  public static final class Builder {
    private int maxThreads = 8;
    private long maxBytesPerThread = 4L * 1024 * 1024;
    private int maxConcurrentDownloads = 4;
    private long maxFileBytes = 1L << 40;
    private long maxBytesPerSecond;
    private int maxConnectionsPerHost = 16;

    private Builder() {}

    /**
     * Sets the most range requests one download has in flight at once.
     *
     * @param max between 1 and {@value #MAX_THREADS_CEILING}. Default: 8.
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is out of range
     */
    public Builder maxThreads(int max) {
      if (max < 1 || max > MAX_THREADS_CEILING) {
        throw new IllegalArgumentException("maxThreads must be between 1 and "
            + MAX_THREADS_CEILING + ", was " + max + "; use 1 to download sequentially");
      }
      this.maxThreads = max;
      return this;
    }

    /**
     * Sets the most bytes one range request may ask for. Tiny values are useful in tests;
     * 1 to 16 MiB suits real networks.
     *
     * @param max at least 1. Default: 4 MiB (4194304).
     * @return this builder
     * @throws IllegalArgumentException if {@code max < 1}
     */
    public Builder maxBytesPerThread(long max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxBytesPerThread must be at least 1, was " + max
            + "; 4194304 (4 MiB) suits most networks");
      }
      this.maxBytesPerThread = max;
      return this;
    }

    /**
     * Sets how many downloads run at once; further downloads are queued.
     *
     * @param max between 1 and 1024. Default: 4.
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is out of range
     */
    public Builder maxConcurrentDownloads(int max) {
      if (max < 1 || max > 1024) {
        throw new IllegalArgumentException(
            "maxConcurrentDownloads must be between 1 and 1024, was " + max);
      }
      this.maxConcurrentDownloads = max;
      return this;
    }

    /**
     * Sets the largest file a download may write. A server that announces a larger size is
     * refused before anything is written; a body that grows past it is cut off with an error.
     *
     * @param max at least 0. Default: 1 TiB (1099511627776).
     * @return this builder
     * @throws IllegalArgumentException if {@code max < 0}
     */
    public Builder maxFileBytes(long max) {
      if (max < 0) {
        throw new IllegalArgumentException("maxFileBytes must be at least 0, was " + max);
      }
      this.maxFileBytes = max;
      return this;
    }

    /**
     * Sets the rate limit over all downloads of the downloader: their workers draw from one
     * token bucket before each read, in turns, so downloads share it evenly. Bursts stay
     * below a quarter of a second of the rate.
     *
     * @param bytesPerSecond 0 for no limit, or at least 1024. Default: 0.
     * @return this builder
     * @throws IllegalArgumentException if {@code bytesPerSecond} is negative or below 1024
     */
    public Builder maxBytesPerSecond(long bytesPerSecond) {
      this.maxBytesPerSecond = Rates.check("maxBytesPerSecond", bytesPerSecond);
      return this;
    }

    /**
     * Sets the most connections to one host ({@code host:port}) at once, over all downloads;
     * workers beyond it wait. After a {@code 429} or {@code 503} the host gets half its
     * connections for a while, and one more each second after that.
     *
     * @param max between 1 and 1024. Default: 16.
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is out of range
     */
    public Builder maxConnectionsPerHost(int max) {
      if (max < 1 || max > 1024) {
        throw new IllegalArgumentException("maxConnectionsPerHost must be between 1 and 1024,"
            + " was " + max + "; 16 suits most servers, 2 is polite to a small one");
      }
      this.maxConnectionsPerHost = max;
      return this;
    }

    /**
     * Returns the limits.
     *
     * @return immutable limits holding the values set
     */
    public Limits build() {
      return new Limits(this);
    }
  }
}
