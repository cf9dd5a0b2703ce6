package io.rangefetch.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rangefetch.RangeDownloader;
import io.rangefetch.internal.DaemonThreads;
import io.rangefetch.server.cluster.PostgresStore;
import io.rangefetch.server.download.SharedStore;
import io.rangefetch.server.download.DownloadService;
import io.rangefetch.server.download.UrlPolicy;
import io.rangefetch.server.http.DashboardHandler;
import io.rangefetch.server.http.FilesHandler;
import io.rangefetch.server.http.HealthHandler;
import io.rangefetch.server.http.HttpRoutes;
import io.rangefetch.server.http.LoopbackHostGuard;
import io.rangefetch.server.http.MetricsHandler;
import io.rangefetch.server.http.PlainErrorHandler;
import io.rangefetch.server.http.TokenCheck;
import io.rangefetch.server.jsonrpc.JsonRpc;
import io.rangefetch.server.metrics.DownloadMetrics;
import io.rangefetch.server.protocol.Replies;
import io.rangefetch.server.ws.CommandHandler;
import io.rangefetch.server.ws.OpenSessions;
import io.rangefetch.server.ws.PushHub;
import io.rangefetch.server.ws.UpgradeGuard;
import io.rangefetch.server.ws.WebSocketRoutes;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rangefetch server, embedded: the WebSocket API on {@code /ws}, the console on {@code /},
 * aria2's JSON-RPC on {@code /jsonrpc}, the dashboard, {@code /healthz}, {@code /metrics} and
 * {@code /files/{id}}, over one shared {@link RangeDownloader}. Thread-safe.
 *
 * <pre>{@code
 * try (RangefetchServer server = RangefetchServer.create(
 *     ServerConfig.newBuilder().port(0).downloadDir(Path.of("downloads")).build())) {
 *   server.start();
 *   System.out.println(server.uri());   // http://127.0.0.1:PORT/
 *   server.join();
 * }
 * }</pre>
 */
public final class RangefetchServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RangefetchServer.class);

  private final ServerConfig config;
  private final Object lock = new Object();
  // guarded by lock: null before start and after close
  private @Nullable Running running;
  // guarded by lock
  private boolean closed;
  // opens when close() has stopped everything, so join() does not return while it still runs
  private final CountDownLatch stopped = new CountDownLatch(1);

  private RangefetchServer(ServerConfig config) {
    this.config = config;
  }

  /**
   * Creates a server that is not started yet.
   *
   * @param config the settings
   * @return the server; call {@link #start()}
   */
  public static RangefetchServer create(ServerConfig config) {
    return new RangefetchServer(Objects.requireNonNull(config, "config"));
  }

  /**
   * Returns the version of the server, as the {@code hello} message reports it.
   *
   * @return for example {@code 0.1.0-SNAPSHOT}
   */
  public static String version() {
    try (InputStream in = RangefetchServer.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /**
   * Creates the download directory, restores the downloads of the last run and starts listening.
   * Returns once connections are accepted.
   *
   * @throws IOException if the port cannot be bound or the download directory not created
   * @throws IllegalStateException if already started or closed
   */
  public void start() throws IOException {
    synchronized (lock) {
      if (running != null || closed) {
        throw new IllegalStateException("the server is already " + (closed ? "closed" : "started")
            + "; create a new one to start again");
      }
      // aria2.shutdown, when allowed: closed on its own thread, as close() waits for Jetty's.
      Running r = new Running(config,
          () -> new Thread(this::close, "rangefetch-rpc-shutdown").start());
      try {
        r.start();
      } catch (IOException | RuntimeException e) {
        r.stop();
        throw e;
      }
      running = r;
    }
  }

  /**
   * Returns the port the server listens on: the configured one, or the one picked when 0 was
   * configured.
   *
   * @return the port
   * @throws IllegalStateException if not started
   */
  public int port() {
    return require().connector.getLocalPort();
  }

  /**
   * Returns the address of the dashboard, the line printed at start-up.
   *
   * @return {@code http://HOST:PORT/}
   * @throws IllegalStateException if not started
   */
  public URI uri() {
    String host = config.host().contains(":") && !config.host().startsWith("[")
        ? "[" + config.host() + "]" : config.host();
    return URI.create("http://" + host + ":" + port() + "/");
  }

  /**
   * Returns the settings.
   *
   * @return the settings given to {@link #create(ServerConfig)}
   */
  public ServerConfig config() {
    return config;
  }

  /**
   * Waits until the server is closed.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void join() throws InterruptedException {
    synchronized (lock) {
      if (running == null && !closed) {
        return; // never started
      }
    }
    stopped.await();
  }

  /**
   * Stops the server: sessions are closed with 1001, downloads stop (their part files stay, and
   * the list keeps them to continue at the next start; nothing is left under a final name), the
   * port is released. Idempotent.
   */
  @Override
  public void close() {
    Running r;
    synchronized (lock) {
      closed = true;
      r = running;
      running = null;
    }
    try {
      if (r != null) {
        r.stop();
      }
    } finally {
      stopped.countDown();
    }
  }

  private Running require() {
    synchronized (lock) {
      if (running == null) {
        throw new IllegalStateException("the server is not running; call start() first");
      }
      return running;
    }
  }

  /** Everything that lives from start to close. */
  private static final class Running {
    private final Server server;
    private final ServerConnector connector;
    private final OpenSessions sessions = new OpenSessions();
    private final DownloadService downloads;
    private final @Nullable SharedStore shared;
    private final ScheduledExecutorService heartbeat;
    private final Duration pingEvery;

    Running(ServerConfig config, Runnable shutdown) {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      DownloadMetrics metrics = new DownloadMetrics(registry);
      UrlPolicy urlPolicy = new UrlPolicy(config.blockPrivateNetworks());
      RangeDownloader.Builder downloaderBuilder = RangeDownloader.newBuilder()
          .limits(config.limits())
          .listener(metrics)
          .addressFilter(urlPolicy.addressFilter())
          .progressInterval(Duration.ofMillis(100));
      config.proxy().ifPresent(downloaderBuilder::proxy);
      RangeDownloader downloader = downloaderBuilder.build();
      connector = new ServerConnector(server(config));
      shared = config.cluster().map(cluster -> (SharedStore) new PostgresStore(cluster,
          config.limits().maxConcurrentDownloads(), config.maxFinished(), config.host(),
          connector::getLocalPort)).orElse(null);
      downloads = new DownloadService(downloader, config.downloadDir(), config.maxDownloads(),
          config.maxFinished(), urlPolicy, shared);
      downloads.addListener(new PushHub(sessions));
      metrics.watch(downloads::countByState, downloads::activeThreads, sessions::count);
      metrics.watchTraffic(downloader::traffic);

      server = connector.getServer();
      connector.setHost(config.host());
      connector.setPort(config.port());
      server.addConnector(connector);

      String version = version();
      TokenCheck token = new TokenCheck(config.token());
      UpgradeGuard guard = new UpgradeGuard(token, config.allowedOrigins(), sessions,
          config.maxSessions());
      JsonRpc rpc = new JsonRpc(config, downloads, guard, sessions, version, shutdown);
      downloads.addListener(rpc.notifier());
      HttpRoutes routes = new HttpRoutes(new DashboardHandler(),
          shared == null
              ? new HealthHandler(version, () -> downloads.list().size(), sessions::count)
              : new HealthHandler(version, () -> downloads.list().size(), sessions::count,
                  shared::healthy),
          new MetricsHandler(registry), new FilesHandler(downloads, token));
      ContextHandler context = new ContextHandler("/");
      context.setErrorHandler(new PlainErrorHandler());
      WebSocketRoutes ws = new WebSocketRoutes(
          guard, sessions, new CommandHandler(downloads), downloads,
          () -> Replies.hello(version, config.limits(), downloader.traffic()),
          config.maxMessageBytes());
      WebSocketUpgradeHandler upgrade = WebSocketUpgradeHandler.from(server, context, container -> {
        container.setIdleTimeout(config.idleTimeout());
        ws.configure(container);
        rpc.configure(container);
      });
      upgrade.setHandler(rpc.httpHandler(routes));
      context.setHandler(upgrade);
      Handler root = config.isLoopback() ? new LoopbackHostGuard(context) : context;
      server.setHandler(root);

      pingEvery = config.idleTimeout().dividedBy(3);
      heartbeat = Executors.newSingleThreadScheduledExecutor(
          DaemonThreads.named("rangefetch-heartbeat"));
    }

    private static Server server(ServerConfig config) {
      QueuedThreadPool threads = new QueuedThreadPool(64, 4);
      threads.setName("rangefetch-http");
      Server server = new Server(threads);
      server.setStopTimeout(5_000);
      server.setErrorHandler(new PlainErrorHandler());
      return server;
    }

    void start() throws IOException {
      if (shared != null) {
        // Bound first: a node's default id and its files' URL name its port.
        connector.open();
      }
      downloads.start();
      try {
        server.start();
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException("cannot start the HTTP server: " + e.getMessage(), e);
      }
      heartbeat.scheduleAtFixedRate(sessions::pingAll, pingEvery.toMillis(),
          pingEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop() {
      heartbeat.shutdownNow();
      sessions.closeAll(StatusCode.SHUTDOWN, "server shutting down");
      downloads.close();
      try {
        server.stop();
      } catch (Exception e) {
        LOG.warn("the HTTP server did not stop cleanly: {}", e.toString());
      }
    }
  }
}
