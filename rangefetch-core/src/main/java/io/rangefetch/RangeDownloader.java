package io.rangefetch;

import io.rangefetch.internal.DownloadEngine;
import io.rangefetch.internal.EngineSettings;
import io.rangefetch.internal.PartFileNames;
import io.rangefetch.internal.ProxyAddress;
import io.rangefetch.internal.Rates;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Downloads URLs with parallel HTTP byte-range requests. Thread-safe: build one, share it, and
 * close it when done. It owns a pool of keep-alive connections and the worker threads.
 *
 * <p>For each download it sends one ranged {@code GET} for the first chunk. That request is
 * the probe: a {@code 206} with the {@code Content-Range} asked for proves that ranges work,
 * gives the size, and its body is the first chunk. The other workers start as soon as its
 * headers arrive and pull the remaining chunks, each at most
 * {@link Limits#maxBytesPerThread()} bytes, from one shared queue. A server that ignores ranges
 * is read as one stream from that same response. All workers write at their offsets into one
 * {@code .part} file, which is renamed to its final name once complete and verified.
 *
 * <pre>{@code
 * try (RangeDownloader downloader = RangeDownloader.newBuilder()
 *     .limits(Limits.newBuilder().maxThreads(8).build())
 *     .build()) {
 *   DownloadResult result = downloader
 *       .start(DownloadRequest.intoDirectory(URI.create("https://example.org/a.iso"),
 *           Path.of("downloads")).build())
 *       .result()
 *       .join();
 *   System.out.println(result.file() + " " + result.sha256());
 * }
 * }</pre>
 */
public final class RangeDownloader implements AutoCloseable {
  private final DownloadEngine engine;

  private RangeDownloader(Builder builder) {
    this.engine = new DownloadEngine(new EngineSettings(builder.limits, builder.connectTimeout,
        builder.readTimeout, builder.maxAttemptsPerChunk, builder.retryBackoff,
        builder.maxRetryBackoff, builder.maxRedirects, builder.userAgent,
        List.of(builder.listener), builder.callbackExecutor, builder.progressInterval,
        builder.addressFilter, builder.checkpointInterval, builder.proxy, builder.sslContext));
  }

  /**
   * Returns a downloader with every default: see {@link Builder}.
   *
   * @return a new downloader; close it when done
   */
  public static RangeDownloader create() {
    return newBuilder().build();
  }

  /** {@return a new builder holding the defaults} */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** {@return the caps in force, as given to the builder} */
  public Limits limits() {
    return engine.settings().limits();
  }

  /**
   * Asks the server about {@code uri} and writes nothing: one ranged {@code GET} of the first
   * byte, following redirects, closed as soon as the headers arrive.
   *
   * @param uri absolute http or https URI
   * @return the answer; it completes exceptionally with a {@link DownloadException} if the
   *     server cannot be reached or answers with an error
   * @throws IllegalArgumentException if {@code uri} is not an absolute http(s) URI
   * @throws IllegalStateException if this downloader is closed
   */
  public CompletableFuture<Probe> probe(URI uri) {
    Objects.requireNonNull(uri, "uri");
    return engine.probe(uri);
  }

  /**
   * Asks the server about the file of {@code request} as its download would: with its headers
   * (cookies, tokens) and through its proxy. Writes nothing; the request's target and other
   * settings are not used.
   *
   * @param request the download to ask about
   * @return the answer; it completes exceptionally with a {@link DownloadException} if the
   *     server cannot be reached or answers with an error
   * @throws IllegalStateException if this downloader is closed
   */
  public CompletableFuture<Probe> probe(DownloadRequest request) {
    Objects.requireNonNull(request, "request");
    return engine.probe(request);
  }

  /**
   * Starts a download and returns at once. The download runs when a slot is free: at most
   * {@link Limits#maxConcurrentDownloads()} run at once, the others wait in
   * {@link DownloadState#QUEUED}.
   *
   * @param request what to download, where
   * @return the handle to watch and control the download
   * @throws IllegalStateException if this downloader is closed
   */
  public DownloadHandle start(DownloadRequest request) {
    Objects.requireNonNull(request, "request");
    return engine.start(request);
  }

  /**
   * Changes the rate limit over all downloads of this downloader, at once for the reads that
   * follow: running downloads slow down or speed up within a fraction of a second.
   *
   * @param bytesPerSecond 0 to lift the limit, or at least 1024
   * @throws IllegalArgumentException if {@code bytesPerSecond} is negative or below 1024
   * @see Limits.Builder#maxBytesPerSecond(long)
   */
  public void limitRate(long bytesPerSecond) {
    engine.limitRate(Rates.check("limitRate", bytesPerSecond));
  }

  /** {@return the rate limit over all downloads now, in bytes per second; 0 for none} */
  public long rateLimit() {
    return engine.rateLimit();
  }

  /**
   * Returns whether a partial download of {@code target} is on disk: a download to that file
   * was paused when its process ended, was interrupted, or failed with
   * {@link DownloadException#partFileKept()}. Starting a request for the same URL and target
   * continues it from the bytes its record lists, when the file on the server is still the
   * same.
   *
   * @param target the file the download writes once complete
   * @return whether its part file is there
   */
  public static boolean hasPartial(Path target) {
    return PartFileNames.partExists(Objects.requireNonNull(target, "target"));
  }

  /**
   * Deletes a partial download of {@code target}: its part file, control file and live record,
   * as {@link DownloadHandle#cancel()} does for a running one. For a download that no process
   * runs any more (paused before a restart, or failed with its part file kept).
   *
   * @param target the file the download writes once complete
   * @return whether anything was deleted
   * @throws IllegalStateException if a download of this downloader is writing {@code target}:
   *     cancel it instead
   * @throws IOException if a file is there but cannot be deleted
   */
  public boolean discardPartial(Path target) throws IOException {
    return engine.discardPartial(Objects.requireNonNull(target, "target"));
  }

  /**
   * Changes the order in which queued downloads start: those of {@code first} that wait for a
   * slot ({@link DownloadState#QUEUED}, not yet running) start first, in the order given; the
   * other waiting downloads keep their order behind them. Downloads of {@code first} that do not
   * wait (running, paused, ended, or started by another downloader) are skipped. Without a call,
   * downloads start in the order they were started or resumed.
   *
   * <pre>{@code
   * downloader.reorderQueue(List.of(urgent)); // starts before every other waiting download
   * }</pre>
   *
   * @param first the downloads to start first, the first to start first
   */
  public void reorderQueue(List<DownloadHandle> first) {
    Objects.requireNonNull(first, "first");
    engine.reorderQueue(List.copyOf(first));
  }

  /**
   * Changes the most connections to one host at once, over all downloads, within the cap the
   * downloader was built with. Workers above a lowered cap finish their current request and let
   * go one by one; a raised cap lets waiting workers connect at once.
   *
   * @param max between 1 and {@link Limits#maxConnectionsPerHost()}
   * @throws IllegalArgumentException if {@code max} is out of that range
   */
  public void limitConnectionsPerHost(int max) {
    int ceiling = limits().maxConnectionsPerHost();
    if (max < 1 || max > ceiling) {
      throw new IllegalArgumentException("maxConnectionsPerHost must be between 1 and " + ceiling
          + " (the downloader's Limits.maxConnectionsPerHost), was " + max
          + "; build the downloader with a higher cap to allow more");
    }
    engine.limitConnectionsPerHost(max);
  }

  /** {@return a snapshot of the traffic limits in force and of how the hosts have answered} */
  public TrafficStatus traffic() {
    return engine.traffic();
  }

  /** {@return the downloads started by this downloader that have not ended, oldest first} */
  public List<DownloadHandle> active() {
    return engine.active();
  }

  /**
   * Stops every running, queued and paused download, waits up to a few seconds for the workers
   * to stop, and releases the connections and threads. Idempotent.
   *
   * <p>The downloads end as {@link DownloadState#CANCELLED}, but unlike
   * {@link DownloadHandle#cancel()} their part files stay, with a control file, when ranges work:
   * starting the same request on a new downloader continues them. A closed downloader is no
   * worse than a crashed process.
   */
  @Override
  public void close() {
    engine.close();
  }

  /** Builds a {@link RangeDownloader}. Not thread-safe. */
  public static final class Builder {
    private Limits limits = Limits.defaults();
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofSeconds(30);
    private int maxAttemptsPerChunk = 5;
    private Duration retryBackoff = Duration.ofMillis(250);
    private Duration maxRetryBackoff = Duration.ofSeconds(10);
    private int maxRedirects = 10;
    private String userAgent = "rangefetch/" + DownloadEngine.VERSION;
    private DownloadListener listener = DownloadListener.NONE;
    private @Nullable Executor callbackExecutor;
    private Duration progressInterval = Duration.ofMillis(100);
    private Predicate<InetAddress> addressFilter = address -> true;
    private Duration checkpointInterval = Duration.ofSeconds(30);
    private @Nullable URI proxy;
    private @Nullable SSLContext sslContext;

    private Builder() {}

    /**
     * Sets the caps on threads, chunk size, concurrent downloads and file size.
     *
     * @param limits the caps. Default: {@link Limits#defaults()}.
     * @return this builder
     */
    public Builder limits(Limits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Sets how long to wait for a TCP (and TLS) connection.
     *
     * @param timeout positive. Default: 10 seconds.
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Sets how long a response may stay silent, between any two bytes, before the request is
     * abandoned and retried.
     *
     * @param timeout positive. Default: 30 seconds.
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * Sets how many times one chunk is tried before the download fails. A retry after a broken
     * connection asks only for the bytes still missing.
     *
     * @param attempts between 1 and 100. Default: 5.
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxAttemptsPerChunk(int attempts) {
      if (attempts < 1 || attempts > 100) {
        throw new IllegalArgumentException(
            "maxAttemptsPerChunk must be between 1 and 100, was " + attempts);
      }
      this.maxAttemptsPerChunk = attempts;
      return this;
    }

    /**
     * Sets the back-off between attempts: it starts at {@code initial}, doubles each time, is
     * capped at {@code max}, and each wait is drawn at random between half the current bound
     * and the bound ("equal jitter": never a retry at once, and no two workers in step). A {@code Retry-After} from the server is honoured instead, up to two minutes.
     *
     * @param initial positive. Default: 250 ms.
     * @param max at least {@code initial}. Default: 10 seconds.
     * @return this builder
     * @throws IllegalArgumentException if not positive or {@code max < initial}
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      positive(initial, "initial");
      positive(max, "max");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "retryBackoff max (" + max + ") must not be below initial (" + initial + ")");
      }
      this.retryBackoff = initial;
      this.maxRetryBackoff = max;
      return this;
    }

    /**
     * Sets how many redirects one request may follow. Only http and https hops are followed; a
     * loop is an error.
     *
     * @param max between 0 and 50. Default: 10.
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxRedirects(int max) {
      if (max < 0 || max > 50) {
        throw new IllegalArgumentException("maxRedirects must be between 0 and 50, was " + max);
      }
      this.maxRedirects = max;
      return this;
    }

    /**
     * Sets the {@code User-Agent} header.
     *
     * @param userAgent not blank. Default: {@code rangefetch/<version>}.
     * @return this builder
     * @throws IllegalArgumentException if blank or containing a line break
     */
    public Builder userAgent(String userAgent) {
      Objects.requireNonNull(userAgent, "userAgent");
      if (userAgent.isBlank() || userAgent.contains("\r") || userAgent.contains("\n")) {
        throw new IllegalArgumentException("userAgent must be one non-blank line");
      }
      this.userAgent = userAgent;
      return this;
    }

    /**
     * Sets a listener that receives the events of every download of this downloader, before the
     * request's own listener.
     *
     * @param listener the listener. Default: {@link DownloadListener#NONE}.
     * @return this builder
     */
    public Builder listener(DownloadListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Sets where listener methods run. Calls for one download stay serial whatever the
     * executor.
     *
     * @param executor the executor. Default: a shared pool of daemon threads named
     *     {@code rangefetch-callback-N}.
     * @return this builder
     */
    public Builder callbackExecutor(Executor executor) {
      this.callbackExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Sets the least time between two {@link DownloadListener#progress} calls of one download.
     *
     * @param interval between 10 ms and 1 minute. Default: 100 ms.
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder progressInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.toMillis() < 10 || interval.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "progressInterval must be between 10 ms and 1 minute, was " + interval);
      }
      this.progressInterval = interval;
      return this;
    }

    /**
     * Sets which resolved addresses may be connected to, checked on every connection of every
     * redirect hop. A server shared by many users refuses loopback and private addresses here.
     *
     * @param filter returns {@code true} for an address that may be used. Default: every
     *     address.
     * @return this builder
     */
    public Builder addressFilter(Predicate<InetAddress> filter) {
      this.addressFilter = Objects.requireNonNull(filter, "filter");
      return this;
    }

    /**
     * Sets how often a download records its progress durably, for continuing after a power
     * loss or a kernel crash. A checkpoint forces the part file to disk and then replaces its
     * control file. The first comes one interval after the first chunk finishes, the next ones
     * at most once per interval, so a download that ends within one interval never forces its
     * part file.
     *
     * <p>The interval bounds only what a power loss or a kernel crash may fetch again (at most
     * what arrived in one interval, plus the chunks in flight). When only the process dies
     * (killed, crashed), a run in the same boot of the machine loses just the chunks in flight:
     * each finished chunk is listed at once, without a disk sync, in a live record beside the
     * control file (on Linux, which tells boots apart). Disk syncs cost time and CPU on a fast
     * link. A pause, {@link RangeDownloader#close()}, and a failure that keeps the part file
     * record what is on disk durably at once, whatever the interval.
     *
     * @param interval zero or more; {@link Duration#ZERO} records durably as soon as a chunk
     *     finishes (one checkpoint at a time; chunks that finish meanwhile go into the next).
     *     Default: 30 seconds.
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder checkpointInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("checkpointInterval must not be negative, was "
            + interval + "; use Duration.ZERO to record each chunk as soon as it finishes");
      }
      this.checkpointInterval = interval;
      return this;
    }

    /**
     * Sends every download that names no proxy of its own
     * ({@link DownloadRequest.Builder#proxy(URI)}) through this proxy.
     *
     * <ul>
     *   <li>{@code http://host:port}: an HTTP proxy; https URLs go through a {@code CONNECT}
     *       tunnel, http URLs to the proxy as absolute URLs.
     *   <li>{@code socks5://host:port}: SOCKS5; target names are resolved here, and the
     *       {@link #addressFilter} checks their addresses.
     *   <li>{@code socks5h://host:port}: SOCKS5; the proxy resolves target names.
     * </ul>
     *
     * <p>{@code user:password@} before the host (percent-encoded) logs in to the proxy (HTTP
     * Basic, or SOCKS5 user name and password). The credentials are never logged, and never
     * sent to the origin server. The port defaults to 1080, as in curl. With an HTTP or
     * {@code socks5h} proxy the target's name is resolved by the proxy, so the address filter
     * cannot check it; the proxy's own address is not filtered.
     *
     * @param proxy the proxy URL. Default: none, direct connections.
     * @return this builder
     * @throws IllegalArgumentException if it is not such a proxy URL
     */
    public Builder proxy(URI proxy) {
      ProxyAddress.parse(Objects.requireNonNull(proxy, "proxy"));
      this.proxy = proxy;
      return this;
    }

    /**
     * Sets the TLS context of https connections: its trust managers decide which servers are
     * trusted (a company's own certificate authority, for example), its key managers which
     * client certificate is offered. Host names are verified either way.
     *
     * @param context an initialised context. Default: the JVM's default trust store, loaded on
     *     the first https connection.
     * @return this builder
     */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
      return this;
    }

    /**
     * Returns the downloader. It starts no thread until the first download.
     *
     * @return a new downloader
     */
    public RangeDownloader build() {
      return new RangeDownloader(this);
    }

    private static Duration positive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
