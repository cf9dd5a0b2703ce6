package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The one queue behind the listener events, the live record, the checkpoints and the server's
 * background writes and pushes.
 */
class SerialDrainTest {
  private static final Duration AN_HOUR = Duration.ofHours(1);

  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);

  @AfterEach
  void stop() {
    pool.shutdownNow();
    timer.shutdownNow();
  }

  @Test
  void asksFromManyThreadsNeverRunTheTaskTwiceAtOnceAndTheLastAskIsServed() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger asked = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    int threads = 4;
    int asksEach = 2000;
    CountDownLatch lastAskServed = new CountDownLatch(1);
    SerialDrain drain = SerialDrain.immediate("test", pool, () -> {
      if (running.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
      served.set(asked.get()); // takes every ask made before it started
      running.decrementAndGet();
      if (served.get() == threads * asksEach) {
        lastAskServed.countDown();
      }
    });
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      new Thread(() -> {
        for (int i = 0; i < asksEach; i++) {
          asked.incrementAndGet();
          drain.request();
        }
        done.countDown();
      }).start();
    }
    assertTrue(done.await(30, TimeUnit.SECONDS));

    assertTrue(lastAskServed.await(30, TimeUnit.SECONDS),
        "the last ask got a run that saw it: served " + served.get());
    assertEquals(0, overlaps.get(), "two runs at once");
  }

  @Test
  void aPacedDrainWaitsOneGapBeforeItsFirstRunAndAsksMeanwhileJoinIt() {
    AtomicInteger runs = new AtomicInteger();
    SerialDrain drain = SerialDrain.paced("test", Runnable::run, timer, AN_HOUR,
        runs::incrementAndGet);

    drain.request();
    drain.request();
    drain.request();

    assertEquals(0, runs.get(), "nothing runs before the gap");
    assertEquals(1, timer.getQueue().size(), "one run is due for the three asks");
    long delay = ((java.util.concurrent.Delayed) timer.getQueue().peek())
        .getDelay(TimeUnit.NANOSECONDS);
    assertTrue(delay > AN_HOUR.toNanos() - Duration.ofMinutes(1).toNanos(),
        "due one gap after the first ask, not before: " + delay);
  }

  @Test
  void ranNowDropsTheDueRunAndCloseTakesNoMoreAsks() {
    timer.setRemoveOnCancelPolicy(true);
    AtomicInteger runs = new AtomicInteger();
    SerialDrain drain = SerialDrain.paced("test", Runnable::run, timer, AN_HOUR,
        runs::incrementAndGet);
    drain.request();

    drain.ranNow();
    assertEquals(0, timer.getQueue().size(), "the due run is dropped");

    drain.request();
    assertEquals(1, timer.getQueue().size(), "a new ask is due again");
    drain.close();
    drain.request();
    assertEquals(0, timer.getQueue().size(), "closed: nothing is due");
    assertEquals(0, runs.get());
  }

  @Test
  void anAskWhileTheTaskRunsGetsOneMoreRun() throws Exception {
    CountDownLatch inFirstRun = new CountDownLatch(1);
    CountDownLatch finishFirstRun = new CountDownLatch(1);
    List<Integer> runs = new ArrayList<>();
    CountDownLatch twoRuns = new CountDownLatch(2);
    SerialDrain drain = SerialDrain.immediate("test", pool, () -> {
      synchronized (runs) {
        runs.add(runs.size() + 1);
      }
      inFirstRun.countDown();
      twoRuns.countDown();
      try {
        finishFirstRun.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    drain.request();
    assertTrue(inFirstRun.await(30, TimeUnit.SECONDS));

    drain.request();
    drain.request();
    finishFirstRun.countDown();

    assertTrue(twoRuns.await(30, TimeUnit.SECONDS),
        "one more run for the asks made during the first");
    pool.shutdown();
    assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
    assertEquals(List.of(1, 2), runs, "two asks during a run make one run, not two");
  }

  @Test
  void aDelayedDrainWaitsOneGapAfterEachAskThatQueuesARun() {
    AtomicInteger runs = new AtomicInteger();
    SerialDrain drain = SerialDrain.delayed("test", Runnable::run, timer, AN_HOUR,
        runs::incrementAndGet);
    drain.request();
    drain.request();
    assertEquals(1, timer.getQueue().size(), "one run for both asks");

    // when its time comes (run by hand: the timer's task hands it over to the executor)
    Runnable due = timer.getQueue().peek();
    assertTrue(timer.remove(due));
    due.run();
    assertEquals(1, runs.get());

    // then the next ask waits one gap again
    drain.request();
    assertEquals(1, timer.getQueue().size());
    long delay = ((java.util.concurrent.Delayed) timer.getQueue().peek())
        .getDelay(TimeUnit.NANOSECONDS);
    assertTrue(delay > AN_HOUR.toNanos() - Duration.ofMinutes(1).toNanos(), "due in " + delay);
  }

  @Test
  void aTaskThatThrowsDoesNotStopTheNextAsk() {
    AtomicInteger runs = new AtomicInteger();
    SerialDrain drain = SerialDrain.immediate("test", Runnable::run, () -> {
      if (runs.incrementAndGet() == 1) {
        throw new IllegalStateException("the owner's bug");
      }
    });

    drain.request();
    drain.request();

    assertEquals(2, runs.get());
  }
}
