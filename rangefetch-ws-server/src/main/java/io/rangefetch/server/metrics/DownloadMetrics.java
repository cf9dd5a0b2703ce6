package io.rangefetch.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.TrafficStatus;
import io.rangefetch.TransferStats;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The server's meters: downloads by state, bytes downloaded, active threads, chunk retries,
 * what the chunk scheduler did (requests, pipelined, steals, races, reconnects, short answers)
 * open WebSocket sessions, and the traffic limits with the hosts' back-offs. As a {@link DownloadListener} of the downloader it counts bytes and
 * retries. Thread-safe.
 */
public final class DownloadMetrics implements DownloadListener {
  private final MeterRegistry registry;
  private final Counter bytes;
  private final Counter retries;
  private final Map<String, Counter> transfer = new java.util.LinkedHashMap<>();
  // transfer counts already counted per core download id; calls for one download never overlap
  private final Map<String, TransferStats> transferCounted = new ConcurrentHashMap<>();
  // bytes already counted per core download id; calls for one download never overlap
  private final Map<String, Long> counted = new ConcurrentHashMap<>();

  /**
   * Creates the counters in {@code registry}.
   *
   * @param registry where the meters go
   */
  public DownloadMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.bytes = Counter.builder("rangefetch.download.bytes")
        .description("Bytes written to downloaded files").baseUnit("bytes").register(registry);
    this.retries = Counter.builder("rangefetch.chunk.retries")
        .description("Chunk requests that failed and were tried again").register(registry);
    for (String event : List.of("request", "pipelined", "steal", "race", "reconnect",
        "short_response")) {
      transfer.put(event, Counter.builder("rangefetch.transfer.events")
          .description("What the scheduler did: range requests sent, sent ahead on a busy"
              + " connection, tails taken over from slow connections, races on last bytes,"
              + " slow connections replaced, shorter 206 answers")
          .tag("event", event).register(registry));
    }
  }

  /**
   * Registers the gauges that read the server's state.
   *
   * @param byState counts downloads by state
   * @param activeThreads counts the workers fetching right now
   * @param sessions counts the open WebSocket sessions
   */
  public void watch(Supplier<Map<DownloadState, Integer>> byState, IntSupplier activeThreads,
      IntSupplier sessions) {
    for (DownloadState state : DownloadState.values()) {
      Gauge.builder("rangefetch.downloads", () -> byState.get().get(state))
          .description("Downloads the server knows, by state")
          .tag("state", state.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
    Gauge.builder("rangefetch.threads.active", activeThreads::getAsInt)
        .description("Workers fetching chunks right now, over all downloads").register(registry);
    Gauge.builder("rangefetch.websocket.sessions", sessions::getAsInt)
        .description("Open WebSocket sessions").register(registry);
  }

  /**
   * Registers the meters of the traffic limits: the rate limit over all downloads, the per-host
   * connection cap, the hosts whose allowance is cut below it, and the 429/503 back-offs.
   *
   * @param traffic reads the downloader's traffic limits now
   */
  public void watchTraffic(Supplier<TrafficStatus> traffic) {
    Gauge.builder("rangefetch.traffic.rate.limit", () -> traffic.get().limitBytesPerSecond())
        .description("The rate limit over all downloads in bytes per second; 0 when there is"
            + " none").baseUnit("bytes").register(registry);
    Gauge.builder("rangefetch.traffic.host.connections.cap",
            () -> traffic.get().maxConnectionsPerHost())
        .description("The most connections to one host at once, over all downloads")
        .register(registry);
    Gauge.builder("rangefetch.traffic.hosts.throttled", () -> traffic.get().hostsBelowCap())
        .description("Hosts whose connection allowance is cut below the cap now, as they"
            + " answered 429 or 503 lately").register(registry);
    FunctionCounter.builder("rangefetch.traffic.backoffs", traffic,
            t -> t.get().overloadAnswers())
        .description("429 and 503 answers, each of which cut its host's allowance or held"
            + " requests to it until its Retry-After").register(registry);
  }

  @Override
  public void progress(DownloadHandle download, DownloadStatus status) {
    count(download, status.bytesDone());
    countTransfer(download, status.transfer());
  }

  /** Adds what the scheduler did since the last status of {@code download}. */
  private void countTransfer(DownloadHandle download, TransferStats now) {
    TransferStats before = transferCounted.getOrDefault(download.id(), TransferStats.NONE);
    increment("request", now.requests() - before.requests());
    increment("pipelined", now.pipelined() - before.pipelined());
    increment("steal", now.steals() - before.steals());
    increment("race", now.races() - before.races());
    increment("reconnect", now.reconnects() - before.reconnects());
    increment("short_response", now.shortResponses() - before.shortResponses());
    transferCounted.put(download.id(), now);
  }

  private void increment(String event, long by) {
    if (by > 0) {
      Objects.requireNonNull(transfer.get(event), event).increment(by);
    }
  }

  @Override
  public void downloadContinued(DownloadHandle download, long bytesOnDisk) {
    // Those bytes were fetched by an earlier run, not now: they are not downloaded again.
    counted.put(download.id(), bytesOnDisk);
  }

  @Override
  public void chunkFailed(DownloadHandle download, ByteRange range, DownloadException cause,
      boolean willRetry) {
    if (willRetry) {
      retries.increment();
    }
  }

  @Override
  public void downloadEnd(DownloadHandle download, DownloadResult result) {
    count(download, result.size());
    countTransfer(download, download.status().transfer());
    counted.remove(download.id());
    transferCounted.remove(download.id());
  }

  @Override
  public void downloadFailed(DownloadHandle download, DownloadException cause) {
    counted.remove(download.id());
    transferCounted.remove(download.id());
  }

  @Override
  public void downloadCancelled(DownloadHandle download) {
    counted.remove(download.id());
    transferCounted.remove(download.id());
  }

  private void count(DownloadHandle download, long bytesDone) {
    long before = counted.getOrDefault(download.id(), 0L);
    if (bytesDone > before) {
      bytes.increment(bytesDone - before);
      counted.put(download.id(), bytesDone);
    }
  }
}
