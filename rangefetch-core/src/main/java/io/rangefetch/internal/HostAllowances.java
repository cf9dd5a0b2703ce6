package io.rangefetch.internal;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * How many connections each host may have from one downloader, across all its downloads: at
 * most the cap, and less for a while after the host answered 429 or 503. Such an answer halves
 * the host's allowance (to at least one) and, with {@code Retry-After}, holds every new request
 * to the host until then; the allowance then grows back by one connection per successful answer,
 * at most one a second (additive increase, multiplicative decrease). A host nobody is connected
 * to grows back by one a second, as no answer can tell. A worker holds a {@link Permit} for as
 * long as it keeps its connection. Thread-safe: one lock, held briefly; it reads the clock it
 * was given.
 */
final class HostAllowances {
  /** The allowance grows by at most one connection per this long without a 429 or 503. */
  static final long GROW_NANOS = 1_000_000_000L;
  /** Answers within this long of a cut are the same congestion: they cut once. */
  static final long CUT_HOLD_NANOS = 500_000_000L;
  /** How long a worker waits before it asks again for a permit that was refused. */
  static final long RETRY_NANOS = 50_000_000L;

  private final LongSupplier clock;
  // Guarded by this: the cap now, changed by setCap.
  private int cap;
  // Guarded by this: 429 and 503 answers so far, over all hosts.
  private long overloads;
  // Guarded by this: hosts with a connection, a cut allowance or a wait; others are dropped.
  private final Map<String, Host> hosts = new HashMap<>();

  /** Each host gets at most {@code cap} connections; {@code clock} in nanoseconds. */
  HostAllowances(int cap, LongSupplier clock) {
    this.cap = cap;
    this.clock = clock;
  }

  /** The key of {@code uri}'s host: {@code host:port}, lower case, the port filled in. */
  static String keyOf(URI uri) {
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    int port = uri.getPort();
    if (port < 0) {
      port = "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
    return host + ":" + port;
  }

  /** A connection to {@code key} if its allowance has room and no wait holds it, else null. */
  synchronized @Nullable Permit tryAcquire(String key) {
    long now = clock.getAsLong();
    Host host = hosts.computeIfAbsent(key, k -> new Host(cap, now));
    host.grow(now, cap);
    if (now < host.notBefore || host.inUse >= host.allowance) {
      return null;
    }
    host.inUse++;
    return new Permit(key);
  }

  /** The cap now. */
  synchronized int cap() {
    return cap;
  }

  /**
   * Changes the cap. A host below both caps keeps its allowance; the others get the new cap.
   * Connections above a lowered cap let go one by one ({@link Permit#keep()}).
   */
  synchronized void setCap(int newCap) {
    int old = cap;
    cap = newCap;
    long now = clock.getAsLong();
    hosts.values().removeIf(host -> {
      if (host.allowance >= old || host.allowance > newCap) {
        host.allowance = newCap;
      }
      return host.inUse <= 0 && host.allowance >= newCap && now >= host.notBefore;
    });
  }

  /** How long to wait before asking {@code key} for a permit again. */
  synchronized long waitNanos(String key) {
    Host host = hosts.get(key);
    long now = clock.getAsLong();
    if (host != null && host.notBefore > now) {
      return Math.max(1, Math.min(host.notBefore - now, GROW_NANOS));
    }
    return RETRY_NANOS;
  }

  /**
   * {@code key} answered 429 or 503: its allowance halves, from the connections it has now,
   * and no new request goes to it before {@code retryAfter} has passed.
   */
  synchronized void overloaded(String key, @Nullable Duration retryAfter) {
    long now = clock.getAsLong();
    overloads++;
    Host host = hosts.computeIfAbsent(key, k -> new Host(cap, now));
    host.grow(now, cap);
    if (now - host.cutAt >= CUT_HOLD_NANOS) {
      host.allowance = Math.max(1, Math.min(host.allowance, Math.max(1, host.inUse)) / 2);
      host.cutAt = now;
      host.changedAt = now;
    }
    if (retryAfter != null) {
      host.notBefore = Math.max(host.notBefore, now + retryAfter.toNanos());
      host.changedAt = Math.max(host.changedAt, host.notBefore);
    }
  }

  /**
   * {@code key} answered a request as asked: its allowance, if cut, grows by one connection,
   * unless it grew or was cut less than {@link #GROW_NANOS} ago.
   */
  synchronized void succeeded(String key) {
    Host host = hosts.get(key);
    long now = clock.getAsLong();
    if (host != null && host.allowance < cap && now >= host.notBefore
        && now - host.changedAt >= GROW_NANOS) {
      host.allowance++;
      host.changedAt = now;
    }
  }

  /** The 429 and 503 answers so far, over all hosts. */
  synchronized long overloads() {
    return overloads;
  }

  /** How many hosts have an allowance below the cap now. */
  synchronized int hostsBelowCap() {
    long now = clock.getAsLong();
    int below = 0;
    for (Host host : hosts.values()) {
      host.grow(now, cap);
      if (host.allowance < cap) {
        below++;
      }
    }
    return below;
  }

  /** {@code key}'s allowance when it is below the cap, or -1. */
  synchronized int allowance(String key) {
    Host host = hosts.get(key);
    if (host == null) {
      return -1;
    }
    host.grow(clock.getAsLong(), cap);
    return host.allowance < cap ? host.allowance : -1;
  }

  /** Connections to {@code key} now. */
  synchronized int inUse(String key) {
    Host host = hosts.get(key);
    return host == null ? 0 : host.inUse;
  }

  /** Whether {@code key} would give a new connection now. */
  synchronized boolean hasRoom(String key) {
    Host host = hosts.get(key);
    if (host == null) {
      return true;
    }
    long now = clock.getAsLong();
    host.grow(now, cap);
    return now >= host.notBefore && host.inUse < host.allowance;
  }

  private synchronized boolean allows(String key) {
    Host host = hosts.get(key);
    if (host == null) {
      return true;
    }
    long now = clock.getAsLong();
    host.grow(now, cap);
    return now >= host.notBefore && host.inUse <= host.allowance;
  }

  /**
   * Whether a connection to {@code key} may send another request; if not, it is released at
   * once, so that of the connections above an allowance only as many let go as are above it.
   */
  private synchronized boolean keepOrRelease(String key) {
    Host host = hosts.get(key);
    if (host == null) {
      return true;
    }
    long now = clock.getAsLong();
    host.grow(now, cap);
    if (now >= host.notBefore && host.inUse <= host.allowance) {
      return true;
    }
    release(key);
    return false;
  }

  private synchronized void release(String key) {
    Host host = hosts.get(key);
    if (host == null) {
      return;
    }
    host.inUse--;
    long now = clock.getAsLong();
    host.grow(now, cap);
    if (host.inUse <= 0 && host.allowance >= cap && now >= host.notBefore) {
      hosts.remove(key);
    }
  }

  /** One host's connections and allowance. Guarded by the registry's lock. */
  private static final class Host {
    int inUse;
    int allowance;
    long notBefore;
    long changedAt;
    long cutAt;

    Host(int cap, long now) {
      this.allowance = cap;
      this.changedAt = now;
      this.notBefore = now;
      this.cutAt = now - CUT_HOLD_NANOS;
    }

    /**
     * While no connection is open to the host, adds one connection for each whole
     * {@link #GROW_NANOS} since the last change: no answer can come to grow it.
     */
    void grow(long now, int cap) {
      if (allowance >= cap || now <= changedAt || inUse > 0) {
        return;
      }
      long steps = (now - changedAt) / GROW_NANOS;
      if (steps > 0) {
        allowance = (int) Math.min(cap, allowance + steps);
        changedAt += steps * GROW_NANOS;
      }
    }
  }

  /** One connection to a host, held while a worker keeps it. Confined to that worker. */
  final class Permit implements AutoCloseable {
    private final String key;
    private boolean closed;

    private Permit(String key) {
      this.key = key;
    }

    /**
     * Whether the connection may send another request: false while the host asks to wait, or
     * when its allowance was cut below the connections it has; the worker then lets go.
     */
    boolean stillAllowed() {
      return !closed && allows(key);
    }

    /**
     * Whether the connection may send another request, as {@link #stillAllowed()}; if not, the
     * permit is given back at once. Of the connections above a cut allowance, only as many let
     * go as there are too many, not all of them.
     */
    boolean keep() {
      if (closed) {
        return false;
      }
      if (!keepOrRelease(key)) {
        closed = true;
        return false;
      }
      return true;
    }

    /** Gives the connection back. Idempotent. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        release(key);
      }
    }
  }
}
