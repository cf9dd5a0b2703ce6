package io.rangefetch.internal;

import io.rangefetch.DownloadUrls;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;

/**
 * A proxy as a URL names it, as curl reads one: {@code http://user:password@host:3128},
 * {@code socks5://host:1080} (target names resolved here), {@code socks5h://host:1080} (the
 * proxy resolves them). Immutable and thread-safe. Its {@link #toString()} leaves out the
 * credentials.
 *
 * @param kind how requests travel through it
 * @param host the proxy's host name or address
 * @param port the proxy's port
 * @param user the user name, or "" for none
 * @param password the password, or "" for none
 */
public record ProxyAddress(Kind kind, String host, int port, String user, String password) {
  /** curl's default proxy port, for every kind of proxy. */
  private static final int DEFAULT_PORT = 1080;

  /** How requests travel through a proxy. */
  public enum Kind {
    /** An HTTP proxy: plain http requests in absolute form, https through {@code CONNECT}. */
    HTTP("http"),
    /** SOCKS5, with the target's name resolved locally. */
    SOCKS5("socks5"),
    /** SOCKS5, with the target's name sent to the proxy to resolve. */
    SOCKS5H("socks5h");

    private final String scheme;

    Kind(String scheme) {
      this.scheme = scheme;
    }
  }

  /** Checks the components. */
  public ProxyAddress {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
  }

  /**
   * Reads a proxy URL.
   *
   * @param uri {@code http://}, {@code socks5://} or {@code socks5h://}, a host, an optional port
   *     (default 1080, as curl), optional {@code user:password@} (percent-encoded)
   * @return the proxy
   * @throws IllegalArgumentException if the URL is not such a proxy URL; the message says why
   */
  public static ProxyAddress parse(URI uri) {
    Objects.requireNonNull(uri, "uri");
    String shown = describe(uri);
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    Kind kind = switch (scheme) {
      case "http" -> Kind.HTTP;
      case "socks5" -> Kind.SOCKS5;
      case "socks5h" -> Kind.SOCKS5H;
      case "" -> throw new IllegalArgumentException("proxy " + shown + " has no scheme; write it"
          + " as http://host:port, socks5://host:port or socks5h://host:port");
      default -> throw new IllegalArgumentException("proxy " + shown + ": the scheme " + scheme
          + " is not supported; use http://, socks5:// or socks5h:// (https:// to the proxy"
          + " and SOCKS4 are not)");
    };
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("proxy " + shown + " has no host name; write it as "
          + kind.scheme + "://host:port");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!(path.isEmpty() || path.equals("/")) || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("proxy " + shown + " has a path or query; a proxy URL"
          + " is only " + kind.scheme + "://[user:password@]host[:port]");
    }
    String user = "";
    String password = "";
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
    }
    int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
    return new ProxyAddress(kind, uri.getHost(), port, user, password);
  }

  private static String decode(String part) {
    return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The URL without its user-info, for a message about a URL that did not parse. */
  private static String describe(URI uri) {
    return DownloadUrls.redact(uri).toString();
  }

  /** Whether a user name is given: the proxy asks for it. */
  boolean hasCredentials() {
    return !user.isEmpty();
  }

  /** The {@code Proxy-Authorization} value of HTTP Basic authentication. */
  String basicAuthorization() {
    return "Basic " + Base64.getEncoder().encodeToString(
        (user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** Returns {@code scheme://host:port}, without the credentials. */
  @Override
  public String toString() {
    return kind.scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
