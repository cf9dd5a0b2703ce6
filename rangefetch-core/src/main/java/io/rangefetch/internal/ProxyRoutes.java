package io.rangefetch.internal;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.io.CloseMode;
import org.jspecify.annotations.Nullable;

/**
 * The HttpClients of one downloader: its own (direct, or through the downloader's proxy), and
 * one per other proxy that a download asks for, built on first use and kept until the
 * downloader closes. A client per proxy rather than a route per request: a SOCKS proxy is a
 * property of the sockets, which a connection pool shares across requests. Thread-safe.
 */
final class ProxyRoutes implements AutoCloseable {
  /** A client, and the proxy its connections go through (null: direct). */
  record Route(CloseableHttpClient client, @Nullable ProxyAddress proxy) {
    /**
     * Whether a request to {@code target} goes to an HTTP proxy as an absolute URL, without a
     * tunnel: then the proxy reads it, and pipelining through it is not to be trusted.
     */
    boolean viaHttpProxy(URI target) {
      return proxy != null && proxy.kind() == ProxyAddress.Kind.HTTP
          && "http".equals(target.getScheme().toLowerCase(Locale.ROOT));
    }
  }

  private final EngineSettings settings;
  private final Route main;
  private final Map<ProxyAddress, Route> others = new ConcurrentHashMap<>();

  ProxyRoutes(EngineSettings settings) {
    this.settings = settings;
    ProxyAddress proxy = settings.proxy() == null ? null : ProxyAddress.parse(settings.proxy());
    this.main = new Route(HttpClientFactory.create(settings, proxy), proxy);
  }

  /** The downloader's own route. */
  Route main() {
    return main;
  }

  /** The route of a download: through {@code proxy} when it gives one, else the downloader's. */
  Route of(@Nullable URI proxy) {
    if (proxy == null) {
      return main;
    }
    ProxyAddress address = ProxyAddress.parse(proxy);
    if (address.equals(main.proxy())) {
      return main;
    }
    return others.computeIfAbsent(address,
        a -> new Route(HttpClientFactory.create(settings, a), a));
  }

  @Override
  public void close() {
    main.client().close(CloseMode.IMMEDIATE);
    others.values().forEach(route -> route.client().close(CloseMode.IMMEDIATE));
  }
}
