package io.rangefetch.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The server's meters: downloads by state, bytes downloaded, active threads, chunk retries and
 * open WebSocket sessions. As a {@link DownloadListener} of the downloader it counts bytes and
 * retries. Thread-safe.
 */
public final class DownloadMetrics implements DownloadListener {
  private final MeterRegistry registry;
  private final Counter bytes;
  private final Counter retries;
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

  @Override
  public void progress(DownloadHandle download, DownloadStatus status) {
    count(download, status.bytesDone());
  }

  @Override
  public void downloadContinued(DownloadHandle download, long bytesOnDisk) {
    // Those bytes were fetched by an earlier run, not now: they are not downloaded again.
    counted.put(download.id(), bytesOnDisk);
  }

  @Override
  public void chunkFailed(DownloadHandle download, ByteRange range, IOException cause,
      boolean willRetry) {
    if (willRetry) {
      retries.increment();
    }
  }

  @Override
  public void downloadEnd(DownloadHandle download, DownloadResult result) {
    count(download, result.size());
    counted.remove(download.id());
  }

  @Override
  public void downloadFailed(DownloadHandle download, DownloadException cause) {
    counted.remove(download.id());
  }

  @Override
  public void downloadCancelled(DownloadHandle download) {
    counted.remove(download.id());
  }

  private void count(DownloadHandle download, long bytesDone) {
    long before = counted.getOrDefault(download.id(), 0L);
    if (bytesDone > before) {
      bytes.increment(bytesDone - before);
      counted.put(download.id(), bytesDone);
    }
  }
}
