package io.rangefetch.examples.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses the proxy of a URL from the environment, as curl does: {@code http_proxy} for http
 * URLs (lower case only: {@code HTTP_PROXY} can be set by a web server's CGI from a request's
 * {@code Proxy:} header), {@code https_proxy} or {@code HTTPS_PROXY} for https URLs, else
 * {@code all_proxy} or {@code ALL_PROXY}; none for a host that {@code no_proxy} or
 * {@code NO_PROXY} lists. The lower-case name wins when both are set. A value without a scheme
 * is an HTTP proxy. Immutable and thread-safe.
 */
final class ProxyEnvironment {
  private final Map<String, String> environment;

  ProxyEnvironment(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /**
   * The proxy for {@code url}: {@code option} (the {@code --proxy} value) when given, where ""
   * means none, else {@link #proxyFor}.
   */
  Optional<Choice> choose(Optional<String> option, URI url) {
    if (option.isEmpty()) {
      return proxyFor(url);
    }
    String text = option.get().strip();
    return text.isEmpty() ? Optional.empty() : Optional.of(new Choice(parse(text, "--proxy"),
        "--proxy"));
  }

  /**
   * The proxy for {@code url}, with the variable it came from.
   *
   * @return empty for a direct connection
   */
  Optional<Choice> proxyFor(URI url) {
    String scheme = url.getScheme().toLowerCase(Locale.ROOT);
    Optional<Choice> chosen = scheme.equals("http") ? variable("http_proxy")
        : variable("https_proxy").or(() -> variable("HTTPS_PROXY"));
    chosen = chosen.or(() -> variable("all_proxy")).or(() -> variable("ALL_PROXY"));
    if (chosen.isEmpty() || excluded(url.getHost())) {
      return Optional.empty();
    }
    return chosen;
  }

  /** A proxy URL and the option or environment variable that named it. */
  record Choice(URI proxy, String variable) {
    /** The proxy without its credentials, for a message. */
    String describe() {
      return proxy.getScheme() + "://" + proxy.getHost()
          + (proxy.getPort() < 0 ? "" : ":" + proxy.getPort());
    }
  }

  private Optional<Choice> variable(String name) {
    String value = environment.getOrDefault(name, "").strip();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Choice(parse(value, "the environment variable " + name), name));
  }

  /** Reads a proxy URL; one without a scheme is an HTTP proxy, as in curl. */
  private static URI parse(String text, String from) {
    String url = text.contains("://") ? text : "http://" + text;
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(from + " is not a proxy URL: " + e.getReason()
          + "; write it as http://host:port or socks5h://host:port", e);
    }
  }

  /** Whether {@code no_proxy} (else {@code NO_PROXY}) lists {@code host}, curl's way. */
  private boolean excluded(String host) {
    String list = environment.getOrDefault("no_proxy", "");
    if (list.isBlank()) {
      list = environment.getOrDefault("NO_PROXY", "");
    }
    String name = stripBrackets(host.toLowerCase(Locale.ROOT));
    for (String entry : list.split(",")) {
      String pattern = stripBrackets(entry.strip().toLowerCase(Locale.ROOT));
      if (pattern.equals("*")) {
        return true;
      }
      if (pattern.startsWith(".")) {
        pattern = pattern.substring(1);
      }
      if (!pattern.isEmpty() && (name.equals(pattern) || name.endsWith("." + pattern))) {
        return true;
      }
    }
    return false;
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1)
        : host;
  }
}
