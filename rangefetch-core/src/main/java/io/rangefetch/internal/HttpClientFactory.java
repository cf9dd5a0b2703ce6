package io.rangefetch.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SchemePortResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionOperator;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;

/** Builds the one pooled HttpClient 5 of a downloader; the only place its settings live. */
final class HttpClientFactory {
  /**
   * Size of each connection's input buffer. HttpClient's default of 8 KiB costs a system call
   * per 8 KiB; 64 KiB lets a loopback transfer run at memory speed.
   */
  static final int SESSION_BUFFER_BYTES = 64 * 1024;
  /** Response headers beyond these limits are hostile, not HTTP: fail instead of buffering. */
  private static final int MAX_HEADER_COUNT = 256;
  private static final int MAX_LINE_LENGTH = 16 * 1024;

  private HttpClientFactory() {}

  /**
   * Builds a client whose connections go through {@code proxy}, or directly when it is null.
   * The address filter applies to the names resolved here: the target's without a proxy or
   * with {@code socks5}; an HTTP or {@code socks5h} proxy resolves the target itself, and the
   * proxy's own address, chosen by whoever configured it, is not filtered.
   */
  static CloseableHttpClient create(EngineSettings settings, @Nullable ProxyAddress proxy) {
    Timeout connect = Timeout.of(settings.connectTimeout());
    Timeout read = Timeout.of(settings.readTimeout());
    Http1Config http1 = Http1Config.custom()
        .setBufferSize(SESSION_BUFFER_BYTES)
        .setMaxHeaderCount(MAX_HEADER_COUNT)
        .setMaxLineLength(MAX_LINE_LENGTH)
        .build();
    int connections = settings.limits().maxThreads() * settings.limits().maxConcurrentDownloads()
        + settings.limits().maxConcurrentDownloads() + 4;
    DnsResolver dns = proxy == null || proxy.kind() == ProxyAddress.Kind.SOCKS5
        ? new FilteringDnsResolver(settings.addressFilter())
        : proxy.kind() == ProxyAddress.Kind.SOCKS5H ? new ProxyResolvesNames()
        : SystemDefaultDnsResolver.INSTANCE;
    PoolingHttpClientConnectionManager pool = poolBuilder(proxy)
        .setConnectionFactory(ManagedHttpClientConnectionFactory.builder().http1Config(http1).build())
        .setDnsResolver(dns)
        .setTlsSocketStrategy(new LazyTlsStrategy(settings.sslContext()))
        .setMaxConnTotal(connections)
        .setMaxConnPerRoute(connections)
        .setDefaultSocketConfig(SocketConfig.custom().setSoTimeout(read).setTcpNoDelay(true).build())
        .setDefaultConnectionConfig(ConnectionConfig.custom()
            .setConnectTimeout(connect)
            .setSocketTimeout(read)
            .setValidateAfterInactivity(TimeValue.ofSeconds(2))
            .build())
        .build();
    HttpClientBuilder client = HttpClients.custom();
    if (proxy != null && proxy.kind() == ProxyAddress.Kind.HTTP) {
      HttpHost proxyHost = new HttpHost("http", proxy.host(), proxy.port());
      client.setProxy(proxyHost);
      if (proxy.hasCredentials()) {
        // For CONNECT tunnels, answered after the proxy's 407; plain http requests carry the
        // header from the start (Requests), as curl sends it.
        BasicCredentialsProvider credentials = new BasicCredentialsProvider();
        credentials.setCredentials(new AuthScope(proxyHost),
            new UsernamePasswordCredentials(proxy.user(), proxy.password().toCharArray()));
        client.setDefaultCredentialsProvider(credentials);
      }
    }
    return client
        .setConnectionManager(pool)
        // Range requests on one connection are pipelined by ConnectionSession.
        .setRequestExecutor(new PipeliningRequestExecutor())
        .setUserAgent(settings.userAgent())
        // Redirects are followed by Redirects, which checks every hop's scheme and address.
        .disableRedirectHandling()
        // Retries are ours: they resume from the last byte written.
        .disableAutomaticRetries()
        // Bytes on disk must be the bytes of the ranges, not a decoded body.
        .disableContentCompression()
        // One client serves every download, of every user of a server: a cookie jar would carry
        // one download's cookies into another's requests. Cookies are headers the caller adds,
        // as with curl and aria2c (and one request less to process per exchange).
        .disableCookieManagement()
        .setDefaultRequestConfig(RequestConfig.custom()
            .setResponseTimeout(read)
            .setConnectionRequestTimeout(Timeout.ofMinutes(5))
            .build())
        .build();
  }

  /** A pool builder whose sockets go through a SOCKS5 proxy, or the default one. */
  private static PoolingHttpClientConnectionManagerBuilder poolBuilder(
      @Nullable ProxyAddress proxy) {
    if (proxy == null || proxy.kind() == ProxyAddress.Kind.HTTP) {
      return PoolingHttpClientConnectionManagerBuilder.create();
    }
    return new PoolingHttpClientConnectionManagerBuilder() {
      @Override
      protected HttpClientConnectionOperator createConnectionOperator(
          SchemePortResolver ports, DnsResolver dns, TlsSocketStrategy tls) {
        return new DefaultHttpClientConnectionOperator(socks -> new Socks5Socket(proxy), ports,
            dns, RegistryBuilder.<TlsSocketStrategy>create().register("https", tls).build());
      }
    };
  }

  /**
   * For {@code socks5h}: leaves each name unresolved, so that {@link Socks5Socket} sends it to
   * the proxy, which resolves it.
   */
  private static final class ProxyResolvesNames implements DnsResolver {
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      throw new UnknownHostException(host + " is resolved by the socks5h proxy, not here");
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) {
      return List.of(InetSocketAddress.createUnresolved(host, port));
    }

    @Override
    public String resolveCanonicalHostname(String host) {
      return host;
    }
  }

  /**
   * Creates the TLS context on the first https connection, not when the downloader is built:
   * loading the trust store costs a noticeable part of a command-line run's start-up, and a
   * plain-http download never needs it.
   */
  private static final class LazyTlsStrategy implements TlsSocketStrategy {
    private final @Nullable SSLContext sslContext;
    private volatile @Nullable TlsSocketStrategy delegate;

    /** @param sslContext the caller's TLS context, or null for the system default */
    LazyTlsStrategy(@Nullable SSLContext sslContext) {
      this.sslContext = sslContext;
    }

    @Override
    public SSLSocket upgrade(Socket socket, String target, int port, Object attachment,
        HttpContext context) throws IOException {
      TlsSocketStrategy tls = delegate;
      if (tls == null) {
        synchronized (this) {
          tls = delegate;
          if (tls == null) {
            tls = sslContext == null ? DefaultClientTlsStrategy.createSystemDefault()
                : new DefaultClientTlsStrategy(sslContext);
            delegate = tls;
          }
        }
      }
      return tls.upgrade(socket, target, port, attachment, context);
    }
  }

  /** Refuses addresses that the downloader's address filter rejects, on every connection. */
  private static final class FilteringDnsResolver implements DnsResolver {
    private final Predicate<InetAddress> filter;

    FilteringDnsResolver(Predicate<InetAddress> filter) {
      this.filter = filter;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      InetAddress[] all = SystemDefaultDnsResolver.INSTANCE.resolve(host);
      List<InetAddress> allowed = new ArrayList<>();
      for (InetAddress address : all) {
        if (filter.test(address)) {
          allowed.add(address);
        }
      }
      if (allowed.isEmpty()) {
        throw new AddressRefusedException(host, all);
      }
      return allowed.toArray(new InetAddress[0]);
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
      List<InetSocketAddress> result = new ArrayList<>();
      for (InetAddress address : resolve(host)) {
        result.add(new InetSocketAddress(address, port));
      }
      return result;
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
      return SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
    }
  }

  /** Thrown when every address of a host is refused by the address filter. */
  static final class AddressRefusedException extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    AddressRefusedException(String host, InetAddress[] addresses) {
      super(host + " resolves to " + describe(addresses)
          + ", which this downloader's address filter refuses");
    }

    private static String describe(InetAddress[] addresses) {
      List<String> names = new ArrayList<>();
      for (InetAddress address : addresses) {
        names.add(address.getHostAddress());
      }
      return String.join(", ", names);
    }
  }
}
