package io.rangefetch.internal;

import io.rangefetch.TransferStats;
import java.util.concurrent.atomic.AtomicLong;

/** What the scheduler and the workers of one download did, counted. Thread-safe. */
final class TransferCounters {
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong pipelined = new AtomicLong();
  private final AtomicLong steals = new AtomicLong();
  private final AtomicLong races = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong shortResponses = new AtomicLong();

  void request() {
    requests.incrementAndGet();
  }

  void pipelined() {
    pipelined.incrementAndGet();
  }

  void steal() {
    steals.incrementAndGet();
  }

  void race() {
    races.incrementAndGet();
  }

  void reconnect() {
    reconnects.incrementAndGet();
  }

  long reconnects() {
    return reconnects.get();
  }

  void shortResponse() {
    shortResponses.incrementAndGet();
  }

  TransferStats snapshot() {
    return new TransferStats(requests.get(), pipelined.get(), steals.get(), races.get(),
        reconnects.get(), shortResponses.get());
  }
}
