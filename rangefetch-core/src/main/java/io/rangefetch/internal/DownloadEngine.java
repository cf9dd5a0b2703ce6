package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadRequest;
import io.rangefetch.Probe;
import io.rangefetch.TrafficStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The worker behind {@link io.rangefetch.RangeDownloader}: owns the HTTP client, the threads,
 * the scheduler and the downloads. Thread-safe.
 */
public final class DownloadEngine implements AutoCloseable {
  /** The version of rangefetch, for the User-Agent: the pom's, from a filtered resource. */
  public static final String VERSION = readVersion();

  private final EngineSettings settings;
  private final ProxyRoutes routes;
  private final ExecutorService workers = Executors.newCachedThreadPool(DaemonThreads.numbered("rangefetch-worker-"));
  // Samples progress and starts checkpoints; the checkpoints themselves run on the workers.
  private final ScheduledThreadPoolExecutor timer =
      new ScheduledThreadPoolExecutor(1, DaemonThreads.numbered("rangefetch-timer-"));
  private final @Nullable ExecutorService ownCallbacks;
  private final Executor callbacks;
  private final DownloadScheduler scheduler;
  private final TargetReservations targets = new TargetReservations();
  private final RetryPolicy retryPolicy;
  private final Prober prober;
  // The downloader's rate limit, drawn from by every download, and its per-host allowances.
  private final TokenBucket bandwidth;
  private final HostAllowances hosts;
  private final AtomicLong ids = new AtomicLong();
  // Downloads that have not ended, by id.
  private final Map<String, DownloadTask> active = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * Creates the engine of one downloader.
   *
   * @param settings the checked settings of the downloader's builder
   */
  public DownloadEngine(EngineSettings settings) {
    this.settings = settings;
    // A checkpoint due in an hour is cancelled when its download ends: drop it from the queue
    // at once rather than hold the download's objects until then.
    timer.setRemoveOnCancelPolicy(true);
    this.routes = new ProxyRoutes(settings);
    if (settings.callbackExecutor() == null) {
      this.ownCallbacks = Executors.newCachedThreadPool(DaemonThreads.numbered("rangefetch-callback-"));
      this.callbacks = ownCallbacks;
    } else {
      this.ownCallbacks = null;
      this.callbacks = settings.callbackExecutor();
    }
    this.scheduler = new DownloadScheduler(settings.limits().maxConcurrentDownloads(), workers);
    this.retryPolicy = new RetryPolicy(settings.maxAttemptsPerChunk(), settings.retryBackoff(),
        settings.maxRetryBackoff());
    this.prober = new Prober(settings.maxRedirects());
    this.bandwidth = new TokenBucket(settings.limits().maxBytesPerSecond(), System::nanoTime);
    this.hosts = new HostAllowances(settings.limits().maxConnectionsPerHost(), System::nanoTime);
  }

  /** See {@link io.rangefetch.RangeDownloader#limitRate}. */
  public void limitRate(long bytesPerSecond) {
    bandwidth.setRate(bytesPerSecond);
  }

  /** See {@link io.rangefetch.RangeDownloader#rateLimit}. */
  public long rateLimit() {
    return bandwidth.rate();
  }

  /** See {@link io.rangefetch.RangeDownloader#limitConnectionsPerHost}. */
  public void limitConnectionsPerHost(int max) {
    hosts.setCap(max);
  }

  /** See {@link io.rangefetch.RangeDownloader#traffic}. */
  public TrafficStatus traffic() {
    return new TrafficStatus(bandwidth.rate(), hosts.cap(), hosts.hostsBelowCap(),
        hosts.overloads());
  }

  /** Returns the settings this engine was built with. */
  public EngineSettings settings() {
    return settings;
  }

  /** See {@link io.rangefetch.RangeDownloader#probe}. */
  public CompletableFuture<Probe> probe(URI uri) {
    // The request builder holds the one check of what a download URI may be.
    return probe(DownloadRequest.newBuilder(uri, Path.of(".")).build());
  }

  /** See {@link io.rangefetch.RangeDownloader#probe(DownloadRequest)}. */
  public CompletableFuture<Probe> probe(DownloadRequest request) {
    URI uri = request.uri();
    checkOpen();
    CompletableFuture<Probe> future = new CompletableFuture<>();
    workers.execute(() -> {
      InFlight inFlight = new InFlight();
      Requests requests = new Requests(uri, request.headers(),
          routes.of(request.proxy().orElse(null)));
      try {
        FirstResponse first = prober.open(uri, new ByteRange(0, 0), requests, inFlight);
        if (first.kind() == FirstResponse.Kind.UNRELIABLE) {
          close(first);
          first = prober.open(uri, null, requests, inFlight);
        }
        close(first);
        future.complete(first.probe());
      } catch (FetchFailure f) {
        future.completeExceptionally(f.toDownloadException(uri, null));
      } catch (RuntimeException e) {
        future.completeExceptionally(e);
      }
    });
    return future;
  }

  private static void close(FirstResponse response) {
    response.open().abort();
    response.open().close();
  }

  /** See {@link io.rangefetch.RangeDownloader#start}. */
  public DownloadHandle start(DownloadRequest request) {
    checkOpen();
    DownloadTask task = new DownloadTask(Long.toString(ids.incrementAndGet()), request, this);
    active.put(task.id(), task);
    task.queued();
    scheduler.submit(task);
    return task;
  }

  /** See {@link io.rangefetch.RangeDownloader#reorderQueue}. */
  public void reorderQueue(List<DownloadHandle> first) {
    List<DownloadTask> tasks = new ArrayList<>(first.size());
    for (DownloadHandle handle : first) {
      // Only this engine's tasks can wait in its queue; any other handle is skipped.
      if (handle instanceof DownloadTask task && active.get(task.id()) == task) {
        tasks.add(task);
      }
    }
    scheduler.reorder(tasks);
  }

  /** See {@link io.rangefetch.RangeDownloader#active}. */
  public List<DownloadHandle> active() {
    List<DownloadTask> tasks = new ArrayList<>(active.values());
    tasks.sort((a, b) -> Long.compare(Long.parseLong(a.id()), Long.parseLong(b.id())));
    return List.copyOf(tasks);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<DownloadTask> running = new ArrayList<>(active.values());
    for (DownloadTask task : running) {
      task.abandon();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (DownloadTask task : running) {
      try {
        task.result().handle((r, e) -> null)
            .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
        break;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    workers.shutdownNow();
    timer.shutdownNow();
    if (ownCallbacks != null) {
      ownCallbacks.shutdown();
    }
    routes.close();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this RangeDownloader is closed; build a new one");
    }
  }

  // ---- For DownloadTask ----

  ProxyRoutes routes() {
    return routes;
  }

  ExecutorService workers() {
    return workers;
  }

  ScheduledExecutorService timer() {
    return timer;
  }

  Executor callbackExecutor() {
    return callbacks;
  }

  DownloadScheduler scheduler() {
    return scheduler;
  }

  /** See {@link io.rangefetch.RangeDownloader#discardPartial}. */
  public boolean discardPartial(Path target) throws IOException {
    return targets.discardPartial(target);
  }

  TargetReservations targets() {
    return targets;
  }

  RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  Prober prober() {
    return prober;
  }

  /** The traffic limits of a new download limited to {@code bytesPerSecond} (0: none). */
  DownloadTraffic traffic(long bytesPerSecond) {
    return new DownloadTraffic(bytesPerSecond, bandwidth, hosts, System::nanoTime);
  }

  /** Forgets a download that reached a final state, and frees its file name. */
  void ended(DownloadTask task, @Nullable Path file) {
    active.remove(task.id());
    if (file != null) {
      targets.release(file);
    }
  }

  private static String readVersion() {
    try (InputStream in =
        DownloadEngine.class.getResourceAsStream("/io/rangefetch/version.properties")) {
      if (in != null) {
        Properties properties = new Properties();
        properties.load(in);
        String version = properties.getProperty("version", "").trim();
        if (!version.isEmpty() && !version.startsWith("$")) {
          return version;
        }
      }
    } catch (IOException e) {
      // a jar without its version file: the User-Agent says so below
    }
    return "unknown";
  }
}
