package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ranged part of one run of a download: its scheduler and its workers, from the first
 * response to the last byte or a stop. What the workers share lives here. Thread-safe.
 */
final class ChunkRun {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkRun.class);

  /** What a run needs from its download. Called from the workers' threads. */
  interface Host {
    /** Whether the run must stop: paused, cancelled, failed. */
    boolean stopping();

    /** {@code bytes} bytes reached the file at {@code position}. */
    void written(long position, int bytes);

    /** Every byte of {@code range} is on disk. */
    void chunkWritten(ByteRange range);

    /** The run fails with {@code failure}, first seen on {@code range}. */
    void fail(FetchFailure failure, ByteRange range);

    /**
     * Waits up to {@code nanos} for a change in the run (see {@link #wake}) unless it stops;
     * false if it stopped.
     */
    boolean await(long nanos);

    /** Wakes the workers waiting in {@link #await}: a chunk ended, or bytes came back. */
    void wake();

    /** Waits all of {@code nanos} unless the run stops (a rate limit's wait); false if it stopped. */
    boolean sleep(long nanos);

    /** Posts a listener event. */
    void post(BiConsumer<DownloadListener, DownloadHandle> event);
  }

  final String downloadId;
  final DownloadEngine engine;
  final InFlight inFlight;
  final Sources sources;
  final SourceControl sourceControl;
  final PartFile part;
  final TransferCounters counters;
  final DownloadTraffic traffic;
  final Host host;
  final ChunkScheduler scheduler;
  /** The most connections this run opens at once. */
  final int maxThreads;
  // Cleared for the rest of the run when a server breaks pipelined requests; never set through
  // an HTTP proxy that reads the requests.
  private volatile boolean pipelining;
  // Set once a pipelined response arrived intact on this run.
  private volatile boolean pipeliningProven;

  ChunkRun(String downloadId, DownloadEngine engine, InFlight inFlight,
      SourceControl sourceControl, PartFile part, long chunkBytes, int maxThreads,
      TransferCounters counters, DownloadTraffic traffic, Host host) {
    this.downloadId = downloadId;
    this.engine = engine;
    // Off for the whole run when an HTTP proxy reads the main source's requests (a plain http
    // URL through it); a mirror behind such a proxy is also never sent ahead (ConnectionSession).
    this.pipelining = sourceControl.sources().main().requests()
        .pipelinable(sourceControl.sources().main().uri());
    this.inFlight = inFlight;
    this.sources = sourceControl.sources();
    this.sourceControl = sourceControl;
    this.part = part;
    this.counters = counters;
    this.traffic = traffic;
    this.maxThreads = maxThreads;
    this.host = host;
    this.scheduler = new ChunkScheduler(chunkBytes, maxThreads, engine.retryPolicy(),
        System::nanoTime, counters, new ChunkScheduler.Observer() {
          @Override
          public void split(ByteRange range, ByteRange moved) {
            host.post((l, d) -> l.chunkSplit(d, range, moved));
          }

          @Override
          public void raced(ByteRange range) {
            host.post((l, d) -> l.chunkRaced(d, range));
          }
        });
  }

  /**
   * Runs up to {@code threads} workers until every chunk is written or the run stops. The
   * calling thread is one of them; with {@code first}, it starts by reading the first
   * response's body, which carries {@code firstRange}, on the connection {@code permit} counts.
   */
  void fetch(int threads, InFlight.@Nullable Open first, @Nullable ByteRange firstRange,
      HostAllowances.@Nullable Permit permit) {
    List<Future<?>> others = new ArrayList<>();
    for (int i = 1; i < threads; i++) {
      others.add(engine.workers().submit(() -> new ChunkWorker(this).run(null, null, null)));
    }
    new ChunkWorker(this).run(first, firstRange, permit);
    for (Future<?> other : others) {
      try {
        other.get();
      } catch (ExecutionException e) {
        LOG.error("download {}: worker failed unexpectedly", downloadId, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  boolean pipelining() {
    return pipelining;
  }

  boolean pipeliningProven() {
    return pipeliningProven;
  }

  void pipeliningWorks() {
    pipeliningProven = true;
  }

  /** A server broke a pipelined exchange: the rest of the run asks one request at a time. */
  void pipeliningBroke(Source source, String why) {
    if (pipelining) {
      pipelining = false;
      LOG.info("download {}: {} broke a request sent ahead ({}); sending one request at a time"
          + " on each connection from now on", downloadId, source, why);
    }
  }
}
