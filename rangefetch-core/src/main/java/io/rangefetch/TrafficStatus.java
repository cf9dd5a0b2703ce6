package io.rangefetch;

/**
 * The traffic limits of a {@link RangeDownloader} now, and how its hosts have been treating it.
 * Immutable.
 *
 * @param limitBytesPerSecond the rate limit over all downloads, 0 for none
 *     ({@link RangeDownloader#limitRate(long)})
 * @param maxConnectionsPerHost the per-host connection cap in force
 *     ({@link RangeDownloader#limitConnectionsPerHost(int)})
 * @param hostsBelowCap hosts whose connection allowance is cut below that cap now, because they
 *     answered {@code 429} or {@code 503} lately
 * @param overloadAnswers {@code 429} and {@code 503} answers received since the downloader was
 *     built, each one a back-off for its host
 */
public record TrafficStatus(long limitBytesPerSecond, int maxConnectionsPerHost,
    int hostsBelowCap, long overloadAnswers) {

  /**
   * Creates the snapshot and checks it.
   *
   * @param limitBytesPerSecond the rate limit, 0 for none
   * @param maxConnectionsPerHost the per-host cap, at least 1
   * @param hostsBelowCap hosts below the cap
   * @param overloadAnswers 429 and 503 answers so far
   * @throws IllegalArgumentException if a value is out of range
   */
  public TrafficStatus {
    if (limitBytesPerSecond < 0 || maxConnectionsPerHost < 1 || hostsBelowCap < 0
        || overloadAnswers < 0) {
      throw new IllegalArgumentException("inconsistent traffic status: limitBytesPerSecond="
          + limitBytesPerSecond + ", maxConnectionsPerHost=" + maxConnectionsPerHost
          + ", hostsBelowCap=" + hostsBelowCap + ", overloadAnswers=" + overloadAnswers);
    }
  }
}
