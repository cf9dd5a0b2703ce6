package io.rangefetch.internal;

import java.net.URI;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * One download's share of the downloader's traffic limits: the bytes its workers may read (its
 * own rate limit and the downloader's, drawn from before each read so that TCP back-pressure
 * slows the server) and the connections it may open to a host. Its workers take turns at the
 * downloader's bucket, one draw in flight per download, so downloads share a global limit
 * evenly whatever their thread counts. Thread-safe.
 */
final class DownloadTraffic {
  /** The smallest piece a limited read asks for, so that a low rate is not all overhead. */
  static final int MIN_PIECE = 4096;
  /** A limited read asks for at most this share of a second of the rate: smooth pacing. */
  static final int PIECES_PER_SECOND = 16;

  /** The paced connections of a download share receive buffers of this share of a second... */
  static final int BUFFER_PER_SECOND = 16;
  /** ...within these bounds. */
  static final int MIN_BUFFER = 32 * 1024;
  static final int MAX_BUFFER = 256 * 1024;

  /** Waits unless the download stops; false if it stopped. */
  interface Waiter {
    boolean await(long nanos);
  }

  private final TokenBucket own;
  private final TokenBucket shared;
  private final HostAllowances hosts;
  // One draw at a time per download: turns at the shared bucket go round the downloads.
  private final ReentrantLock turn = new ReentrantLock(true);

  DownloadTraffic(long bytesPerSecond, TokenBucket shared, HostAllowances hosts,
      LongSupplier clock) {
    this.own = new TokenBucket(bytesPerSecond, clock);
    this.shared = shared;
    this.hosts = hosts;
  }

  /** Changes this download's own limit; 0 lifts it. Takes effect at the next read. */
  void limit(long bytesPerSecond) {
    own.setRate(bytesPerSecond);
  }

  /** The limit in force on this download: the lower of its own and the downloader's; 0 none. */
  long limitInForce() {
    long a = own.rate();
    long b = shared.rate();
    if (a <= 0 || b <= 0) {
      return Math.max(a, b);
    }
    return Math.min(a, b);
  }

  /**
   * Waits until this download may read more, and says how much.
   *
   * @param wanted the bytes the reader would read without a limit, at least 1
   * @return the bytes it may read now, between 1 and {@code wanted}; or -1 if the download
   *     stopped while waiting
   */
  int admit(int wanted, Waiter waiter) {
    long limit = limitInForce();
    if (limit <= 0) {
      return wanted;
    }
    int piece = (int) Math.min(wanted, Math.max(MIN_PIECE, limit / PIECES_PER_SECOND));
    turn.lock();
    try {
      long wait = Math.max(own.draw(piece), shared.draw(piece));
      if (wait > 0 && !waiter.await(wait)) {
        own.refund(piece);
        shared.refund(piece);
        return -1;
      }
      return piece;
    } finally {
      turn.unlock();
    }
  }

  /**
   * The receive buffer of one of {@code connections} connections of a download limited to
   * {@code limit} bytes/s: together they hold about a sixteenth of a second of the limit, so
   * that filling them at the start is no burst of a second's worth (eight connections of a
   * quarter MiB each made the first second at 4 MiB/s take 7.6 MiB).
   */
  static int receiveBuffer(long limit, int connections) {
    return (int) Math.max(MIN_BUFFER,
        Math.min(MAX_BUFFER, limit / BUFFER_PER_SECOND / Math.max(1, connections)));
  }

  /** The receive buffer of this download's probe connection now: small when limited, else 0. */
  int probeReceiveBuffer() {
    long limit = limitInForce();
    return limit > 0 ? receiveBuffer(limit, 1) : 0;
  }

  /** Gives back {@code bytes} admitted but not read: the body ended first. */
  void unused(int bytes) {
    if (bytes > 0) {
      own.refund(bytes);
      shared.refund(bytes);
    }
  }

  /** Whether {@code uri}'s host would give a new connection now. */
  boolean hasRoom(URI uri) {
    return hosts.hasRoom(HostAllowances.keyOf(uri));
  }

  /** A connection to {@code uri}'s host if its allowance has room now, else null. */
  HostAllowances.@Nullable Permit tryConnection(URI uri) {
    return hosts.tryAcquire(HostAllowances.keyOf(uri));
  }

  /**
   * A connection to {@code uri}'s host, once its allowance has room and it asks no wait.
   *
   * @return the permit, or null if the download stopped while waiting
   */
  HostAllowances.@Nullable Permit awaitConnection(URI uri, Waiter waiter) {
    String key = HostAllowances.keyOf(uri);
    while (true) {
      HostAllowances.Permit permit = hosts.tryAcquire(key);
      if (permit != null) {
        return permit;
      }
      if (!waiter.await(hosts.waitNanos(key))) {
        return null;
      }
    }
  }

  /** {@code uri}'s host answered {@code failure}: a 429 or 503 cuts its allowance. */
  void answered(URI uri, FetchFailure failure) {
    int code = failure.statusCode();
    if (code == 429 || code == 503) {
      hosts.overloaded(HostAllowances.keyOf(uri), failure.retryAfter());
    }
  }

  /** {@code uri}'s host answered a range request as asked: a cut allowance may grow. */
  void served(URI uri) {
    hosts.succeeded(HostAllowances.keyOf(uri));
  }

  /** {@code uri}'s host's connection allowance when cut below the cap, or -1. */
  int hostAllowance(URI uri) {
    return hosts.allowance(HostAllowances.keyOf(uri));
  }
}
