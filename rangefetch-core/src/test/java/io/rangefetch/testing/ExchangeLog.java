package io.rangefetch.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import mockwebserver3.RecordedRequest;

/**
 * What one {@link RangeDispatcher} was asked and what it served: its exchanges in arrival order,
 * the body bytes written over time, and the responses being written at once, which tests read
 * and wait for. Thread-safe.
 */
final class ExchangeLog {
  private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
  private final AtomicInteger requestCount = new AtomicInteger();
  private final AtomicLong bytesServed = new AtomicLong();
  private final ReentrantLock flightLock = new ReentrantLock();
  private final Condition flightChanged = flightLock.newCondition(); // also: a request came
  private int inFlight; // guarded by flightLock
  private int maxInFlight; // guarded by flightLock
  private final List<long[]> servedTimeline = new ArrayList<>(); // guarded by flightLock
  private volatile FlightGauge sharedGauge;

  /** Also counts the responses in flight on {@code gauge}, which several servers share. */
  void shareFlightGauge(FlightGauge gauge) {
    this.sharedGauge = gauge;
  }

  /** Records a request that has just arrived. */
  Exchange arrived(RecordedRequest request) {
    Exchange exchange = new Exchange(requestCount.incrementAndGet(), request);
    exchanges.add(exchange);
    flightLock.lock();
    try {
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
    return exchange;
  }

  /** A response starts being written: its headers go out. */
  void enterFlight() {
    FlightGauge gauge = sharedGauge;
    if (gauge != null) {
      gauge.enter();
    }
    flightLock.lock();
    try {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
  }

  /** Counts {@code bytes} of the body of {@code exchange} as written, now. */
  void served(Exchange exchange, int bytes) {
    exchange.served(bytes);
    long total = bytesServed.addAndGet(bytes);
    flightLock.lock();
    try {
      servedTimeline.add(new long[] {System.nanoTime(), total});
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
  }

  /** A response is done: its body was written or its connection failed. */
  void exitFlight() {
    FlightGauge gauge = sharedGauge;
    if (gauge != null) {
      gauge.exit();
    }
    flightLock.lock();
    try {
      inFlight--;
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
  }

  List<Exchange> exchanges() {
    return List.copyOf(exchanges);
  }

  List<String> ranges() {
    return exchanges.stream().map(Exchange::range).toList();
  }

  List<Exchange> rangedExchanges() {
    return exchanges.stream().filter(Exchange::hasRange).toList();
  }

  List<Exchange> exchangesTo(String path) {
    return exchanges.stream().filter(e -> e.path().equals(path)).toList();
  }

  long nanosWhenServed(long bytes) {
    flightLock.lock();
    try {
      for (long[] point : servedTimeline) {
        if (point[1] >= bytes) {
          return point[0];
        }
      }
      return -1;
    } finally {
      flightLock.unlock();
    }
  }

  long servedBy(long nanos) {
    flightLock.lock();
    try {
      long total = 0;
      for (long[] point : servedTimeline) {
        if (point[0] > nanos) {
          break;
        }
        total = point[1];
      }
      return total;
    } finally {
      flightLock.unlock();
    }
  }

  boolean awaitServed(long bytes, Duration timeout) throws InterruptedException {
    return awaitLocked(() -> bytesServed.get() >= bytes, timeout);
  }

  long bytesServed() {
    return bytesServed.get();
  }

  int maxInFlight() {
    flightLock.lock();
    try {
      return maxInFlight;
    } finally {
      flightLock.unlock();
    }
  }

  int inFlight() {
    flightLock.lock();
    try {
      return inFlight;
    } finally {
      flightLock.unlock();
    }
  }

  boolean awaitIdle(Duration timeout) throws InterruptedException {
    return awaitLocked(() -> inFlight <= 0, timeout);
  }

  /**
   * Waits until {@code done}, checked under {@code flightLock}, holds.
   *
   * @return whether that happened within {@code timeout}
   */
  private boolean awaitLocked(BooleanSupplier done, Duration timeout)
      throws InterruptedException {
    long left = timeout.toNanos();
    flightLock.lock();
    try {
      while (!done.getAsBoolean()) {
        if (left <= 0) {
          return false;
        }
        left = flightChanged.awaitNanos(left);
      }
      return true;
    } finally {
      flightLock.unlock();
    }
  }

  Exchange awaitRequest(Predicate<Exchange> matching, Duration timeout)
      throws InterruptedException {
    long left = timeout.toNanos();
    flightLock.lock();
    try {
      while (true) {
        for (Exchange e : exchanges) {
          if (matching.test(e)) {
            return e;
          }
        }
        if (left <= 0) {
          return null;
        }
        left = flightChanged.awaitNanos(left);
      }
    } finally {
      flightLock.unlock();
    }
  }
}
