package io.rangefetch.server.download;

import io.rangefetch.DownloadUrls;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.function.Predicate;

/**
 * Decides which URLs the server downloads: absolute http(s) only, and, when private networks are
 * blocked, no loopback, private, link-local or metadata address. Immutable and thread-safe.
 */
public final class UrlPolicy {
  private static final int MAX_URL_CHARS = 4096;

  private final boolean blockPrivateNetworks;

  /**
   * Creates the policy.
   *
   * @param blockPrivateNetworks whether to refuse private addresses
   */
  public UrlPolicy(boolean blockPrivateNetworks) {
    this.blockPrivateNetworks = blockPrivateNetworks;
  }

  /**
   * Checks a URL sent by a client.
   *
   * @param url the text sent
   * @return the parsed URI
   * @throws CommandException with {@link ErrorCode#BAD_URL} if it is refused
   */
  public URI check(String url) {
    if (url.length() > MAX_URL_CHARS) {
      throw badUrl("the URL has " + url.length() + " characters, more than the "
          + MAX_URL_CHARS + " accepted");
    }
    URI uri;
    try {
      uri = DownloadUrls.parse(url);
    } catch (IllegalArgumentException e) {
      throw badUrl(String.valueOf(e.getMessage()));
    }
    if (blockPrivateNetworks && isLiteralPrivate(uri.getHost())) {
      throw badUrl(uri.getHost() + " is a private or local address, which this server refuses "
          + "(security.block-private-networks=true)");
    }
    return uri;
  }

  /**
   * Returns the filter for {@link io.rangefetch.RangeDownloader.Builder#addressFilter}: the core
   * applies it to every resolved address of every redirect hop.
   *
   * @return a filter that accepts every address, or only public ones when blocking
   */
  public Predicate<InetAddress> addressFilter() {
    if (!blockPrivateNetworks) {
      return address -> true;
    }
    return address -> !isPrivate(address);
  }

  /**
   * Returns whether an address is loopback, private, link-local (metadata services such as
   * {@code 169.254.169.254} live there), unique-local, carrier-grade NAT, multicast or any-local.
   *
   * @param address a resolved address
   * @return {@code true} if a shared server must not connect to it
   */
  static boolean isPrivate(InetAddress address) {
    if (address.isLoopbackAddress() || address.isSiteLocalAddress()
        || address.isLinkLocalAddress() || address.isAnyLocalAddress()
        || address.isMulticastAddress()) {
      return true;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first == 0 || first == 100 && second >= 64 && second <= 127;
    }
    if (address instanceof Inet6Address) {
      // fc00::/7 unique-local, which also holds fd00:ec2::254, a cloud metadata address.
      return (b[0] & 0xfe) == 0xfc;
    }
    return false;
  }

  private static boolean isLiteralPrivate(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1)
        : host;
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false; // a name: the core checks what it resolves to, on every hop
    }
    try {
      return isPrivate(InetAddress.getByName(h));
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * Returns a URI without its user-info, for statuses and messages.
   *
   * @param uri any URI
   * @return the text of the URI minus {@code user:pass@}
   */
  public static String redact(URI uri) {
    return DownloadUrls.redact(uri).toString();
  }

  private static CommandException badUrl(String message) {
    return new CommandException(ErrorCode.BAD_URL, message);
  }
}
