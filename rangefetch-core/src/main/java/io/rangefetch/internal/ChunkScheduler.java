package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Decides which bytes each connection of one ranged download fetches next: chunks not started
 * yet first, then the tail of the slowest request in flight (work stealing), then, for the last
 * bytes, a race of two connections. It also decides when a chunk that failed is tried again,
 * when a connection far slower than the others is replaced, and which chunk a connection may
 * ask for ahead of time. Every decision reads the clock it was given, so the decisions are
 * tested on a fake one. Thread-safe: one lock, held briefly.
 *
 * <p>The caps hold whatever it decides: there are never more slots than the download's
 * threads, and no lease is longer than a chunk.
 */
final class ChunkScheduler {
  /** A steal must leave the thief at least this much, or it is not worth a request. */
  static final long MIN_STEAL_BYTES = 64 * 1024;
  /** A steal or a race must save at least this much time. */
  static final long MIN_GAIN_NANOS = 300_000_000L;
  /** How long a connection is watched before it counts as slow. */
  static final long SLOW_WINDOW_NANOS = 3_000_000_000L;
  /** A connection slower than the median divided by this, for a whole window, is replaced. */
  static final int SLOW_FACTOR = 4;
  /** The request latency assumed before one was measured. */
  static final long DEFAULT_LATENCY_NANOS = 50_000_000L;
  /** How long an idle worker waits before it looks again for a tail to take over. */
  static final long END_GAME_POLL_NANOS = 100_000_000L;
  private static final long RATE_WINDOW_NANOS = 2_000_000_000L;
  private static final long RECONNECT_CHECK_NANOS = 500_000_000L;

  /** What a worker does next: fetch a lease, wait, or stop because nothing is left. */
  record Work(@Nullable Lease lease, long waitNanos) {
    static final Work DONE = new Work(null, 0);

    boolean done() {
      return lease == null && waitNanos == 0;
    }
  }

  /** A range waiting for a connection. */
  private record Pending(long first, long end, int attempt, long notBefore) {}

  /** What the scheduler did, for the listener: a tail moved, or a race started. */
  interface Observer {
    Observer NONE = new Observer() {};

    /** {@code moved} left the request for {@code range}: a faster connection takes it over. */
    default void split(ByteRange range, ByteRange moved) {}

    /** A second connection races the rest of {@code range}. */
    default void raced(ByteRange range) {}
  }

  private final long chunkBytes;
  private final RetryPolicy retries;
  private final LongSupplier clock;
  private final TransferCounters counters;
  private final Observer observer;
  private final int maxReconnects;

  // All guarded by this.
  private final Deque<Pending> pending = new ArrayDeque<>();
  private final List<Lease> active = new ArrayList<>();
  private final List<ConnectionSlot> slots = new ArrayList<>();
  private final List<ByteRange> givenUp = new ArrayList<>();
  private int nextSlotId;

  ChunkScheduler(long chunkBytes, int maxSlots, RetryPolicy retries, LongSupplier clock,
      TransferCounters counters, Observer observer) {
    this.chunkBytes = chunkBytes;
    this.retries = retries;
    this.clock = clock;
    this.counters = counters;
    this.observer = observer;
    this.maxReconnects = 2 * maxSlots;
  }

  /** Queues {@code gaps}, cut into chunks. */
  synchronized void plan(List<ByteRange> gaps) {
    for (ByteRange gap : gaps) {
      for (long first = gap.first(); first <= gap.last(); first += chunkBytes) {
        pending.add(new Pending(first, Math.min(gap.last() + 1, first + chunkBytes), 1, 0));
      }
    }
  }

  /** A new worker joins; its slot is its identity in every later call. */
  synchronized ConnectionSlot join() {
    ConnectionSlot slot = new ConnectionSlot(++nextSlotId, clock.getAsLong());
    slots.add(slot);
    return slot;
  }

  /** A worker leaves for good. */
  synchronized void leave(ConnectionSlot slot) {
    slots.remove(slot);
  }

  /** Hands {@code slot} the bytes a response it already has will carry (the probe's). */
  synchronized Lease assign(ConnectionSlot slot, ByteRange range) {
    Lease lease = new Lease(range.first(), range.last() + 1, 1);
    hand(slot, lease);
    return lease;
  }

  /** Chunks waiting for a connection, ready or not. */
  synchronized int pendingCount() {
    return pending.size();
  }

  /** Whether chunks are still waiting for a connection, ready or not. */
  synchronized boolean hasPending() {
    return !pending.isEmpty();
  }

  /**
   * Decides what {@code slot} fetches next. Its previous lease, if any, must have been
   * finished, failed or released.
   */
  synchronized Work next(ConnectionSlot slot) {
    long now = clock.getAsLong();
    Lease queued = takeReady(now);
    if (queued != null) {
      hand(slot, queued);
      return new Work(queued, 0);
    }
    Lease stolen = stealOrRace(slot, now);
    if (stolen != null) {
      return new Work(stolen, 0);
    }
    if (pending.isEmpty() && active.isEmpty()) {
      return Work.DONE;
    }
    long wait = END_GAME_POLL_NANOS;
    for (Pending p : pending) {
      wait = Math.min(wait, Math.max(1, p.notBefore() - now));
    }
    return new Work(null, wait);
  }

  /**
   * A chunk that {@code slot} may ask for ahead, while its current response is still being
   * read, or null. Only chunks not started yet, only while there are at least as many of them
   * as connections, and only for a connection that is not slow: the end of a transfer is left
   * to the connections that are free, and to work stealing.
   */
  synchronized @Nullable Lease ahead(ConnectionSlot slot) {
    if (slot.ahead != null) {
      return null;
    }
    if (pending.size() < slots.size()) {
      // The last chunks go to whichever connection is free first, not to one that is still
      // busy: handed out ahead, they would leave others idle at the end.
      return null;
    }
    long now = clock.getAsLong();
    long rate = slot.bytesPerSecond(now, RATE_WINDOW_NANOS);
    long median = medianRate(now);
    if (rate >= 0 && median > 0 && rate < median / 2) {
      return null;
    }
    Lease lease = takeReady(now);
    if (lease != null) {
      lease.hold();
      active.add(lease);
      slot.ahead = lease;
      counters.pipelined();
    }
    return lease;
  }

  /** The response for {@code slot}'s lease asked for ahead begins: it becomes the current one. */
  synchronized void aheadStarted(ConnectionSlot slot) {
    slot.current = slot.ahead;
    slot.ahead = null;
  }

  /** {@code slot} stops reading {@code lease}: it is written, or others wrote the rest. */
  synchronized void finished(ConnectionSlot slot, Lease lease) {
    detach(slot, lease);
    if (lease.drop() == 0) {
      active.remove(lease);
      requeueRest(lease, lease.attempt, 0);
    }
  }

  /**
   * {@code slot}'s request for {@code lease} failed with {@code failure}. The bytes it did not
   * write wait for another attempt, after the policy's back-off.
   *
   * @return true if they will be tried again; false if the download must give up
   */
  synchronized boolean failed(ConnectionSlot slot, Lease lease, FetchFailure failure) {
    detach(slot, lease);
    if (lease.drop() > 0) {
      return true; // the other request of a race goes on
    }
    active.remove(lease);
    if (lease.remaining() <= 0) {
      return true;
    }
    if (!retries.shouldRetry(failure, lease.attempt)) {
      // What is missing stays missing, out of the queue: no other worker asks for it again.
      if (lease.remaining() > 0) {
        givenUp.add(new ByteRange(lease.claimed(), lease.end() - 1));
      }
      return false;
    }
    Duration delay = retries.delay(failure, lease.attempt);
    requeueRest(lease, lease.attempt + 1, clock.getAsLong() + delay.toNanos());
    return true;
  }

  /**
   * {@code slot} gives {@code lease} back without a failure: the download stops, or the
   * connection is being replaced. The rest waits at the head of the queue, same attempt.
   */
  synchronized void released(ConnectionSlot slot, Lease lease) {
    detach(slot, lease);
    if (lease.drop() == 0) {
      active.remove(lease);
      requeueRest(lease, lease.attempt, 0);
    }
  }

  /**
   * The server answered {@code lease} with fewer bytes, up to {@code end} (exclusive): the rest
   * waits for another request.
   */
  synchronized void shortened(Lease lease, long end) {
    ByteRange before = lease.range();
    long oldEnd = lease.end();
    long cut = lease.cutAt(end);
    if (cut < oldEnd) {
      pending.addFirst(new Pending(cut, oldEnd, 1, 0));
      counters.shortResponse();
      observer.split(before, new ByteRange(cut, oldEnd - 1));
    }
  }

  /**
   * Whether {@code slot}'s connection has been far slower than the others for a whole window,
   * so that a new connection (often on another path) should replace it. Cheap to call often.
   */
  boolean shouldReconnect(ConnectionSlot slot) {
    long now = clock.getAsLong();
    // Checked without the lock, which every worker would otherwise take for every read.
    if (now - slot.lastReconnectCheck < RECONNECT_CHECK_NANOS) {
      return false;
    }
    slot.lastReconnectCheck = now;
    return slowerThanOthers(slot, now);
  }

  private synchronized boolean slowerThanOthers(ConnectionSlot slot, long now) {
    if (slots.size() < 3 || counters.reconnects() >= maxReconnects
        || slot.ageNanos(now) < SLOW_WINDOW_NANOS) {
      return false;
    }
    long rate = slot.bytesPerSecond(now, SLOW_WINDOW_NANOS);
    long median = medianRate(now);
    return rate >= 0 && median > 0 && rate < median / SLOW_FACTOR;
  }

  /** {@code slot} replaces its connection: its history starts over. */
  synchronized void reconnected(ConnectionSlot slot) {
    slot.connected(clock.getAsLong());
    counters.reconnect();
  }

  /**
   * What is not on disk: the queue, and what no request has claimed. Exact once every worker
   * has stopped, which is when it is used.
   */
  synchronized List<ByteRange> missing() {
    List<ByteRange> missing = new ArrayList<>(givenUp);
    for (Pending p : pending) {
      missing.add(new ByteRange(p.first(), p.end() - 1));
    }
    for (Lease lease : active) {
      if (lease.remaining() > 0) {
        missing.add(new ByteRange(lease.claimed(), lease.end() - 1));
      }
    }
    return missing;
  }

  /** Requests reading now, for the status. */
  synchronized int activeRequests() {
    int n = 0;
    for (ConnectionSlot slot : slots) {
      if (slot.current != null) {
        n++;
      }
    }
    return n;
  }

  // ---- decisions ----

  private @Nullable Lease takeReady(long now) {
    Iterator<Pending> it = pending.iterator();
    while (it.hasNext()) {
      Pending p = it.next();
      if (p.notBefore() <= now) {
        it.remove();
        return new Lease(p.first(), p.end(), p.attempt());
      }
    }
    return null;
  }

  private @Nullable Lease stealOrRace(ConnectionSlot thief, long now) {
    long median = medianRate(now);
    Lease victim = null;
    ConnectionSlot victimSlot = null;
    long longest = -1;
    long victimRate = -1;
    for (ConnectionSlot slot : slots) {
      Lease lease = slot.current;
      // A request that has not had its first byte yet is left alone: it is young, or stalled
      // (the read timeout's business), and taking all of it would ask for the same range twice.
      if (slot == thief || lease == null || lease.remaining() <= 0
          || lease.claimed() == lease.first) {
        continue;
      }
      long rate = slot.bytesPerSecond(now, RATE_WINDOW_NANOS);
      if (rate == 0) {
        // Stalled, not slow: another request may stall the same way. The read timeout fails
        // it, and the retry policy counts the attempts.
        continue;
      }
      if (rate < 0) {
        if (median <= 0) {
          continue; // nothing is known yet: no basis for a decision
        }
        rate = median; // a young connection is assumed typical
      }
      long left = lease.nanosLeft(rate);
      if (left > longest) {
        longest = left;
        victim = lease;
        victimSlot = slot;
        victimRate = rate;
      }
    }
    if (victim == null || victimSlot == null || longest < MIN_GAIN_NANOS) {
      return null;
    }
    long latency = latency(thief);
    if (longest < 4 * latency) {
      return null;
    }
    long thiefRate = thief.typicalRate();
    if (thiefRate <= 0) {
      thiefRate = median > 0 ? median : Math.max(victimRate, 1);
    }
    long remaining = victim.remaining();
    long keep = keepForVictim(remaining, victimRate, thiefRate, latency);
    long moved = remaining - keep;
    if (moved >= MIN_STEAL_BYTES) {
      long thiefNanos = latency + (long) (moved * 1e9 / thiefRate);
      long victimNanos = victimRate <= 0 ? 0 : (long) (keep * 1e9 / victimRate);
      if (longest - Math.max(thiefNanos, victimNanos) >= MIN_GAIN_NANOS) {
        return steal(thief, victim, keep);
      }
    }
    if (!victim.raced() && victim.holders() == 1 && remaining < 2 * MIN_STEAL_BYTES
        && longest - (latency + (long) (remaining * 1e9 / thiefRate)) >= MIN_GAIN_NANOS) {
      victim.markRaced();
      hand(thief, victim);
      counters.race();
      observer.raced(victim.range());
      return victim;
    }
    return null;
  }

  /**
   * The bytes the slow request keeps so that both finish together: it goes on at
   * {@code victimRate}; the thief starts after {@code latency} at {@code thiefRate}.
   */
  static long keepForVictim(long remaining, long victimRate, long thiefRate, long latencyNanos) {
    if (victimRate <= 0) {
      return 0;
    }
    // keep / v = latency + (remaining - keep) / t
    double v = victimRate;
    double t = thiefRate;
    double keep = v * (remaining / t + latencyNanos / 1e9) / (1 + v / t);
    return Math.max(0, Math.min(remaining, (long) keep));
  }

  private Lease steal(ConnectionSlot thief, Lease victim, long keep) {
    ByteRange before = victim.range();
    long oldEnd = victim.end();
    long cut = victim.cutAt(victim.claimed() + keep);
    Lease taken = new Lease(cut, oldEnd, 1);
    hand(thief, taken);
    counters.steal();
    observer.split(before, new ByteRange(cut, oldEnd - 1));
    return taken;
  }

  private void hand(ConnectionSlot slot, Lease lease) {
    if (slot.current == null && slot.ahead == null) {
      // A rate is measured while reading: the time a worker waited for work does not count.
      slot.busyAgain(clock.getAsLong());
    }
    lease.hold();
    if (!active.contains(lease)) {
      active.add(lease);
    }
    slot.current = lease;
  }

  private static void detach(ConnectionSlot slot, Lease lease) {
    if (slot.current == lease) {
      slot.current = null;
    }
    if (slot.ahead == lease) {
      slot.ahead = null;
    }
  }

  private void requeueRest(Lease lease, int attempt, long notBefore) {
    long from = lease.claimed();
    long end = lease.end();
    if (from < end) {
      pending.addFirst(new Pending(from, end, attempt, notBefore));
    }
  }

  private long latency(ConnectionSlot thief) {
    long own = thief.latencyNanos();
    if (own >= 0) {
      return own;
    }
    long[] known = slots.stream().mapToLong(ConnectionSlot::latencyNanos).filter(l -> l >= 0)
        .toArray();
    if (known.length == 0) {
      return DEFAULT_LATENCY_NANOS;
    }
    Arrays.sort(known);
    return known[known.length / 2];
  }

  /**
   * The median of the known recent rates of the connections that are reading, or -1 when none
   * is known. An idle worker's rate only says that it waited.
   */
  private long medianRate(long now) {
    long[] rates = slots.stream().filter(s -> s.current != null)
        .mapToLong(s -> s.bytesPerSecond(now, RATE_WINDOW_NANOS))
        .filter(r -> r >= 0).toArray();
    if (rates.length == 0) {
      return -1;
    }
    Arrays.sort(rates);
    return rates[rates.length / 2];
  }
}
