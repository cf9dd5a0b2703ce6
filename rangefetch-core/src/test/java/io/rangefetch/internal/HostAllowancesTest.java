package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Per-host connection allowances (AIMD), on a clock that moves only when the test says so. */
class HostAllowancesTest {
  private static final long SECOND = 1_000_000_000L;
  private static final String HOST = "example.org:443";

  private final AtomicLong clock = new AtomicLong(7 * SECOND);
  private final HostAllowances hosts = new HostAllowances(4, clock::get);

  private List<HostAllowances.Permit> takeAll(String key) {
    List<HostAllowances.Permit> taken = new ArrayList<>();
    for (HostAllowances.Permit p = hosts.tryAcquire(key); p != null; p = hosts.tryAcquire(key)) {
      taken.add(p);
    }
    return taken;
  }

  @Test
  void aHostGetsAtMostTheCapAndAReleasedPermitMakesRoom() {
    List<HostAllowances.Permit> taken = takeAll(HOST);
    assertEquals(4, taken.size());

    taken.get(0).close();
    taken.get(0).close(); // idempotent: frees one connection, not two

    assertNotNull(hosts.tryAcquire(HOST));
    assertNull(hosts.tryAcquire(HOST));
  }

  @Test
  void hostsAreCountedApart() {
    takeAll(HOST);

    assertNotNull(hosts.tryAcquire("example.org:80"));
    assertEquals("example.org:443", HostAllowances.keyOf(URI.create("https://EXAMPLE.org/a")));
    assertEquals("example.org:8080", HostAllowances.keyOf(URI.create("http://example.org:8080/")));
  }

  @Test
  void a503HalvesTheAllowanceFromTheConnectionsInUseAndSuccessesGrowItBackOneASecond() {
    List<HostAllowances.Permit> taken = takeAll(HOST);
    taken.get(3).close(); // three in use when the answer comes

    hosts.overloaded(HOST, null);

    assertEquals(1, hosts.allowance(HOST));
    assertFalse(taken.get(0).stillAllowed(), "three connections, one allowed: let go");
    taken.get(0).close();
    taken.get(1).close();
    assertTrue(taken.get(2).stillAllowed());
    assertNull(hosts.tryAcquire(HOST));
    clock.addAndGet(SECOND);
    assertEquals(1, hosts.allowance(HOST), "time alone does not grow a host in use");
    hosts.succeeded(HOST);
    assertEquals(2, hosts.allowance(HOST));
    hosts.succeeded(HOST);
    assertEquals(2, hosts.allowance(HOST), "at most one more a second");
    assertNotNull(hosts.tryAcquire(HOST));
    clock.addAndGet(SECOND);
    hosts.succeeded(HOST);
    clock.addAndGet(SECOND);
    hosts.succeeded(HOST);
    assertEquals(-1, hosts.allowance(HOST), "back at the cap: nothing to show");
  }

  @Test
  void aHostNobodyIsConnectedToGrowsBackOneASecond() {
    List<HostAllowances.Permit> taken = takeAll(HOST);
    hosts.overloaded(HOST, null);
    taken.forEach(HostAllowances.Permit::close);
    assertEquals(2, hosts.allowance(HOST));

    clock.addAndGet(SECOND);

    assertEquals(3, hosts.allowance(HOST));
    assertEquals(1, hosts.hostsBelowCap());
    clock.addAndGet(SECOND);
    assertEquals(0, hosts.hostsBelowCap());
  }

  @Test
  void onlyTheConnectionsAboveACutAllowanceLetGo() {
    List<HostAllowances.Permit> taken = takeAll(HOST);

    hosts.overloaded(HOST, null); // four in use: two allowed

    long kept = taken.stream().filter(HostAllowances.Permit::keep).count();
    assertEquals(2, kept, "two let go, two keep their connections");
    assertEquals(2, hosts.inUse(HOST));
    assertEquals(1, hosts.overloads());
  }

  @Test
  void aLoweredCapLetsTheConnectionsAboveItGoAndARaisedOneLetsMoreIn() {
    List<HostAllowances.Permit> taken = takeAll(HOST);

    hosts.setCap(1);

    assertEquals(1, taken.stream().filter(HostAllowances.Permit::keep).count());
    assertNull(hosts.tryAcquire(HOST));
    assertEquals(-1, hosts.allowance(HOST), "at the new cap: not cut");
    hosts.setCap(3);
    assertNotNull(hosts.tryAcquire(HOST));
    assertNotNull(hosts.tryAcquire(HOST));
    assertNull(hosts.tryAcquire(HOST));
  }

  @Test
  void answersOfOneCongestionCutOnce() {
    takeAll(HOST);

    hosts.overloaded(HOST, null);
    hosts.overloaded(HOST, null);

    assertEquals(2, hosts.allowance(HOST));
  }

  @Test
  void retryAfterHoldsEveryNewConnectionToTheHostUntilItPasses() {
    HostAllowances.Permit held = hosts.tryAcquire(HOST);
    assertNotNull(held);

    hosts.overloaded(HOST, Duration.ofSeconds(3));

    assertNull(hosts.tryAcquire(HOST));
    assertFalse(held.stillAllowed(), "no further request on a kept connection either");
    assertTrue(hosts.waitNanos(HOST) > 0);
    held.close();
    clock.addAndGet(3 * SECOND - 1);
    assertNull(hosts.tryAcquire(HOST));
    clock.addAndGet(1);
    assertNotNull(hosts.tryAcquire(HOST));
    assertNull(hosts.tryAcquire(HOST), "the allowance was cut to one; it grows after the wait");
    clock.addAndGet(SECOND);
    hosts.succeeded(HOST);
    assertNotNull(hosts.tryAcquire(HOST));
  }
}
