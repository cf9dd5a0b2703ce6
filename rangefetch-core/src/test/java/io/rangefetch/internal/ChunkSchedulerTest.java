package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException.Reason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The scheduler's decisions, on a clock that moves only when the test says so. */
class ChunkSchedulerTest {
  private static final long MIB = 1 << 20;
  private static final long MS = 1_000_000L;

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final TransferCounters counters = new TransferCounters();
  private final List<String> seen = new ArrayList<>();
  private final ChunkScheduler.Observer observer = new ChunkScheduler.Observer() {
    @Override
    public void split(ByteRange range, ByteRange moved) {
      seen.add("split " + range + " moved " + moved);
    }

    @Override
    public void raced(ByteRange range) {
      seen.add("raced " + range);
    }
  };

  private ChunkScheduler scheduler(long chunk, int attempts) {
    return new ChunkScheduler(chunk, 4,
        new RetryPolicy(attempts, Duration.ofMillis(10), Duration.ofMillis(50)), clock::get,
        counters, observer);
  }

  /** {@code slot} reads {@code lease} at {@code bytesPerSecond} for {@code millis}, in 50 ms steps. */
  private void read(ConnectionSlot slot, Lease lease, long bytesPerSecond, long millis) {
    for (long t = 0; t < millis; t += 50) {
      clock.addAndGet(50 * MS);
      int n = (int) (bytesPerSecond / 20);
      Lease.Claim claim = lease.claim(lease.claimed(), n);
      if (claim.length() > 0) {
        slot.recordBytes(claim.length(), clock.get());
        lease.written(claim.length());
      }
    }
  }

  private static ByteRange range(long first, long last) {
    return new ByteRange(first, last);
  }

  @Test
  void chunksNotStartedGoFirstInFileOrder() {
    ChunkScheduler s = scheduler(MIB, 3);
    s.plan(List.of(range(0, 3 * MIB - 1)));
    ConnectionSlot a = s.join();
    ConnectionSlot b = s.join();

    Lease first = s.next(a).lease();
    Lease second = s.next(b).lease();

    assertNotNull(first);
    assertNotNull(second);
    assertEquals(range(0, MIB - 1), first.range());
    assertEquals(range(MIB, 2 * MIB - 1), second.range());
    assertEquals(1, s.pendingCount());
  }

  @Test
  void freeConnectionTakesOverMostOfTheTailOfASlowOne() {
    // given a fast and a slow connection, each with a chunk
    ChunkScheduler s = scheduler(4 * MIB, 3);
    s.plan(List.of(range(0, 8 * MIB - 1)));
    ConnectionSlot fast = s.join();
    ConnectionSlot slow = s.join();
    Lease quick = s.next(fast).lease();
    Lease stuck = s.next(slow).lease();
    assertNotNull(quick);
    assertNotNull(stuck);

    // when the fast one finishes (10 MB/s) while the slow one did 200 KB/s, and asks again
    for (int i = 0; i < 10; i++) {
      read(fast, quick, 10_000_000, 50);
      read(slow, stuck, 200_000, 50);
    }
    assertTrue(quick.complete());
    s.finished(fast, quick);
    long claimedBySlow = stuck.claimed();
    Lease taken = s.next(fast).lease();

    // then it takes the tail of the slow chunk, the bigger part, and the slow one is cut there
    assertNotNull(taken);
    assertEquals(stuck.end(), taken.first, "the slow lease now ends where the stolen part starts");
    assertEquals(8 * MIB, taken.end());
    long kept = stuck.end() - claimedBySlow;
    long moved = taken.end() - taken.first;
    assertTrue(moved > 10 * kept, () -> "moved " + moved + ", kept " + kept);
    assertEquals(1, counters.snapshot().steals());
    assertEquals(List.of("split " + range(4 * MIB, 8 * MIB - 1) + " moved "
        + range(taken.first, 8 * MIB - 1)), seen);
  }

  @Test
  void nothingIsTakenOverWhenTheRestIsQuick() {
    // given two connections at the same good rate
    ChunkScheduler s = scheduler(4 * MIB, 3);
    s.plan(List.of(range(0, 8 * MIB - 1)));
    ConnectionSlot a = s.join();
    ConnectionSlot b = s.join();
    Lease la = s.next(a).lease();
    Lease lb = s.next(b).lease();
    for (int i = 0; i < 10; i++) {
      read(a, la, 10_000_000, 50);
      read(b, lb, 7_000_000, 50);
    }
    s.finished(a, la);

    // when a asks while b has less than 0.1 s left
    ChunkScheduler.Work work = s.next(a);

    // then it waits: a new request would not save the time it costs
    assertNull(work.lease());
    assertFalse(work.done());
    assertEquals(0, counters.snapshot().steals());

    // and once b is done too, there is nothing left
    read(b, lb, 7_000_000, 200);
    s.finished(b, lb);
    assertTrue(s.next(a).done());
  }

  @Test
  void lastSmallRestOfASlowChunkIsRacedAndEachByteWrittenOnce() {
    // given a slow connection with less than a steal's worth left
    ChunkScheduler s = scheduler(128 * 1024, 3);
    s.plan(List.of(range(0, 256 * 1024 - 1)));
    ConnectionSlot fast = s.join();
    ConnectionSlot slow = s.join();
    Lease quick = s.next(fast).lease();
    Lease stuck = s.next(slow).lease();
    for (int i = 0; i < 14; i++) {
      read(fast, quick, 8_000_000, 50);
      read(slow, stuck, 100_000, 50);
    }
    s.finished(fast, quick);
    long raceStart = stuck.claimed();

    // when the fast one asks
    Lease raced = s.next(fast).lease();

    // then it races the same lease from where the slow one is
    assertSame(stuck, raced);
    assertEquals(1, counters.snapshot().races());
    assertEquals(2, stuck.holders());
    // the fast request claims the rest; the slow one finds its next bytes already written
    Lease.Claim fastClaim = stuck.claim(raceStart, (int) (stuck.end() - raceStart));
    assertEquals(raceStart, fastClaim.from());
    assertEquals(stuck.end(), fastClaim.to());
    Lease.Claim slowClaim = stuck.claim(raceStart, 2000);
    assertEquals(0, slowClaim.length());
    assertTrue(stuck.fullyClaimed());
  }

  @Test
  void stalledRequestIsLeftToItsTimeoutNotStolen() {
    ChunkScheduler s = scheduler(4 * MIB, 3);
    s.plan(List.of(range(0, 8 * MIB - 1)));
    ConnectionSlot fast = s.join();
    ConnectionSlot stalled = s.join();
    Lease quick = s.next(fast).lease();
    Lease stuck = s.next(stalled).lease();
    read(stalled, stuck, 100_000, 100);
    for (int i = 0; i < 10; i++) {
      read(fast, quick, 10_000_000, 50);
      clock.addAndGet(200 * MS); // the stalled one sends nothing for two seconds
    }
    s.finished(fast, quick);

    assertNull(s.next(fast).lease());
    assertEquals(0, counters.snapshot().steals() + counters.snapshot().races());
  }

  @Test
  void failedChunkWaitsForRetryAfterAndComesBackAsTheNextAttempt() {
    ChunkScheduler s = scheduler(MIB, 3);
    s.plan(List.of(range(0, MIB - 1)));
    ConnectionSlot a = s.join();
    Lease lease = s.next(a).lease();
    assertNotNull(lease);
    lease.claim(0, 1000);
    lease.written(1000);

    // when the request fails after 1000 bytes with Retry-After: 2
    FetchFailure busy = new FetchFailure(Reason.HTTP_STATUS, true, "503", null,
        Duration.ofSeconds(2), 503);
    assertTrue(s.failed(a, lease, busy));

    // then the rest waits two seconds, and comes back as attempt 2
    ChunkScheduler.Work early = s.next(a);
    assertNull(early.lease());
    assertTrue(early.waitNanos() > 0 && early.waitNanos() <= 100 * MS, () -> "" + early);
    clock.addAndGet(2000 * MS);
    Lease again = s.next(a).lease();
    assertNotNull(again);
    assertEquals(range(1000, MIB - 1), again.range());
    assertEquals(2, again.attempt);
  }

  @Test
  void givingUpKeepsTheRestMissingAndHandsItToNobody() {
    ChunkScheduler s = scheduler(MIB, 2);
    s.plan(List.of(range(0, MIB - 1)));
    ConnectionSlot a = s.join();
    Lease lease = s.next(a).lease();
    FetchFailure gone = FetchFailure.fatal(Reason.HTTP_STATUS, "404");

    assertFalse(s.failed(a, lease, gone));

    assertTrue(s.next(a).done());
    assertEquals(List.of(range(0, MIB - 1)), s.missing());
  }

  @Test
  void shorterResponseQueuesTheRestFirst() {
    ChunkScheduler s = scheduler(MIB, 3);
    s.plan(List.of(range(0, 2 * MIB - 1)));
    ConnectionSlot a = s.join();
    Lease lease = s.next(a).lease();

    s.shortened(lease, 300_000);

    assertEquals(range(0, 299_999), lease.range());
    Lease rest = s.next(s.join()).lease();
    assertEquals(range(300_000, MIB - 1), rest.range());
    assertEquals(1, counters.snapshot().shortResponses());
  }

  @Test
  void connectionFarSlowerThanTheOthersForAWindowIsReplaced() {
    ChunkScheduler s = scheduler(64 * MIB, 3);
    s.plan(List.of(range(0, 256 * MIB - 1)));
    List<ConnectionSlot> slots = new ArrayList<>();
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ConnectionSlot slot = s.join();
      slots.add(slot);
      leases.add(s.next(slot).lease());
    }
    // three at 5 MB/s, one at 200 kB/s, for 3.5 s
    for (int t = 0; t < 70; t++) {
      for (int i = 0; i < 4; i++) {
        long rate = i == 1 ? 200_000 : 5_000_000;
        Lease.Claim c = leases.get(i).claim(leases.get(i).claimed(), (int) (rate / 20 / 4));
        slots.get(i).recordBytes(c.length(), clock.get());
        leases.get(i).written(c.length());
      }
      clock.addAndGet(50 * MS);
    }

    assertTrue(s.shouldReconnect(slots.get(1)));
    assertFalse(s.shouldReconnect(slots.get(0)));
    s.reconnected(slots.get(1));
    assertFalse(s.shouldReconnect(slots.get(1)), "a new connection is watched afresh");
  }

  @Test
  void slowConnectionIsNotGivenAChunkAhead() {
    ChunkScheduler s = scheduler(MIB, 3);
    s.plan(List.of(range(0, 8 * MIB - 1)));
    ConnectionSlot fast = s.join();
    ConnectionSlot slow = s.join();
    Lease lf = s.next(fast).lease();
    Lease ls = s.next(slow).lease();
    for (int i = 0; i < 10; i++) {
      read(fast, lf, 1_000_000, 50);
      read(slow, ls, 100_000, 50);
    }

    assertNull(s.ahead(slow));
    Lease ahead = s.ahead(fast);
    assertNotNull(ahead);
    assertEquals(range(2 * MIB, 3 * MIB - 1), ahead.range());
    assertNull(s.ahead(fast), "one request ahead at most");
    assertEquals(1, counters.snapshot().pipelined());
  }

  @Test
  void lastChunksAreNotHandedOutAhead() {
    // given two connections reading and one chunk left to start
    ChunkScheduler s = scheduler(MIB, 3);
    s.plan(List.of(range(0, 3 * MIB - 1)));
    ConnectionSlot a = s.join();
    ConnectionSlot b = s.join();
    s.next(a);
    s.next(b);

    // then it waits for whichever connection is free first
    assertNull(s.ahead(a));
    assertEquals(range(2 * MIB, 3 * MIB - 1), s.next(b).lease().range());
  }

  @Test
  void keepForVictimSplitsSoBothFinishTogether() {
    // victim 1 MB/s, thief 3 MB/s, no latency: keep a quarter
    assertEquals(1_000_000, ChunkScheduler.keepForVictim(4_000_000, 1_000_000, 3_000_000, 0));
    // a stalled victim keeps nothing
    assertEquals(0, ChunkScheduler.keepForVictim(4_000_000, 0, 3_000_000, 0));
    // latency makes the victim keep more
    assertTrue(ChunkScheduler.keepForVictim(4_000_000, 1_000_000, 3_000_000, 500 * MS)
        > 1_000_000);
  }
}
