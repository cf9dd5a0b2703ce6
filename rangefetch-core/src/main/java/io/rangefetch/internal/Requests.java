package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadUrls;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.HttpHeaders;
import org.jspecify.annotations.Nullable;

/**
 * Builds the GET requests of one download: its headers, its credentials, and for chunks the
 * {@code Range} and {@code If-Range} that keep two versions of a file apart.
 */
final class Requests {
  private static final java.util.Set<String> CREDENTIAL_HEADERS =
      java.util.Set.of("authorization", "cookie", "proxy-authorization");
  private final URI origin;
  private final @Nullable String basicAuthorization;
  private final Map<String, String> headers;
  private final ProxyRoutes.Route route;

  /**
   * @param requested the URI as the caller gave it; credentials in it become Basic
   *     authentication, sent only to its own host
   */
  Requests(URI requested, Map<String, String> headers, ProxyRoutes.Route route) {
    this.origin = requested;
    this.headers = headers;
    this.route = route;
    String userInfo = requested.getRawUserInfo();
    this.basicAuthorization = userInfo == null ? null : "Basic " + Base64.getEncoder()
        .encodeToString(java.net.URLDecoder.decode(userInfo.replace("+", "%2B"),
            StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
  }

  /** A ranged GET of {@code range} at {@code uri}; {@code ifRange} may be null. */
  HttpGet ranged(URI uri, ByteRange range, @Nullable String ifRange) {
    HttpGet get = plain(uri);
    get.setHeader(HttpHeaders.RANGE, "bytes=" + range.first() + "-" + range.last());
    if (ifRange != null) {
      get.setHeader(HttpHeaders.IF_RANGE, ifRange);
    }
    return get;
  }

  /** A GET of the whole resource at {@code uri}. */
  HttpGet plain(URI uri) {
    HttpGet get = new HttpGet(DownloadUrls.redact(uri));
    get.setHeader(HttpHeaders.ACCEPT_ENCODING, "identity");
    boolean sameOrigin = sameOrigin(uri);
    headers.forEach((name, value) -> {
      // As curl and browsers do: credentials do not follow a redirect to another origin.
      if (sameOrigin || !CREDENTIAL_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        get.setHeader(name, value);
      }
    });
    if (basicAuthorization != null && sameOrigin) {
      get.setHeader(HttpHeaders.AUTHORIZATION, basicAuthorization);
    }
    ProxyAddress proxy = route.proxy();
    if (proxy != null && proxy.hasCredentials() && route.viaHttpProxy(uri)) {
      // Only on requests the proxy reads: inside a CONNECT tunnel it would reach the origin.
      get.setHeader(HttpHeaders.PROXY_AUTHORIZATION, proxy.basicAuthorization());
    }
    return get;
  }

  /** The client that sends these requests, routed through the download's proxy if any. */
  CloseableHttpClient client() {
    return route.client();
  }

  /** Whether requests to {@code uri} may be pipelined: not when an HTTP proxy reads them. */
  boolean pipelinable(URI uri) {
    return !route.viaHttpProxy(uri);
  }

  private boolean sameOrigin(URI uri) {
    return Objects.equals(lower(uri.getHost()), lower(origin.getHost()))
        && port(uri) == port(origin)
        && Objects.equals(lower(uri.getScheme()), lower(origin.getScheme()));
  }

  private static @Nullable String lower(@Nullable String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  private static int port(URI uri) {
    if (uri.getPort() != -1) {
      return uri.getPort();
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  /** Describes a request for messages, without credentials: {@code GET https://h/a bytes=0-9}. */
  static String describe(URI uri, @Nullable ByteRange range) {
    return "GET " + DownloadUrls.redact(uri) + (range == null ? "" : " bytes=" + range);
  }
}
