package io.rangefetch;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What rangefetch takes as the URL of a download, and how it shows one. The library, the
 * command-line downloader and the server check URLs here, so that each refuses the same ones
 * with the same message, and none shows a password.
 */
public final class DownloadUrls {
  private static final String HOW = "; write it as https://host/path";
  private static final Pattern USER_INFO = Pattern.compile("//[^/?#]*@");

  private DownloadUrls() {}

  /**
   * Parses a URL as a user typed it (surrounding blanks are ignored) and checks it as
   * {@link #check} does.
   *
   * @param text the URL
   * @return the URI
   * @throws IllegalArgumentException if it is not a URL, or not one rangefetch downloads; the
   *     message says why and what to write instead
   */
  public static URI parse(String text) {
    Objects.requireNonNull(text, "text");
    URI uri;
    try {
      uri = new URI(text.strip());
    } catch (URISyntaxException e) {
      // Not chained: the cause's message quotes the text whole, password included.
      throw new IllegalArgumentException("\"" + withoutUserInfo(text) + "\" is not a URL: "
          + e.getReason() + " at index " + e.getIndex()
          + "; percent-encode spaces and special characters");
    }
    return check(uri);
  }

  /**
   * Checks that {@code uri} is one rangefetch downloads: absolute, {@code http} or
   * {@code https}, with a host name.
   *
   * @param uri the URI
   * @return {@code uri}
   * @throws IllegalArgumentException if it is not; the message names it without credentials
   */
  public static URI check(URI uri) {
    Objects.requireNonNull(uri, "uri");
    if (!isHttp(uri)) {
      throw new IllegalArgumentException("only http and https URLs (absolute, with a host name)"
          + " can be downloaded, was \"" + redact(uri) + "\"" + HOW);
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("\"" + redact(uri) + "\" has no host name" + HOW);
    }
    return uri;
  }

  /**
   * Returns whether {@code uri} is one rangefetch downloads, as {@link #check} decides.
   *
   * @param uri the URI
   * @return {@code true} for an absolute http(s) URI with a host name
   */
  public static boolean isDownloadable(URI uri) {
    return isHttp(uri) && uri.getHost() != null && !uri.getHost().isEmpty();
  }

  /**
   * Checks the mirrors of a download of {@code uri}: each one a URL rangefetch downloads, none
   * given twice nor the download's own.
   *
   * @param uri the download's URL, or null to check the mirrors only among themselves (a
   *     running download whose new URL is not taken yet may keep its old one as a mirror)
   * @param mirrors its mirrors, in order
   * @return the mirrors, in order
   * @throws IllegalArgumentException naming the first one refused
   */
  public static List<URI> checkMirrors(@Nullable URI uri, List<URI> mirrors) {
    List<URI> checked = new ArrayList<>();
    for (URI mirror : Objects.requireNonNull(mirrors, "mirrors")) {
      URI one = check(Objects.requireNonNull(mirror, "mirror"));
      if (one.equals(uri) || checked.contains(one)) {
        throw new IllegalArgumentException("mirror " + redact(one) + " is given twice (or is the"
            + " download's own URL); give each URL of the file once");
      }
      checked.add(one);
    }
    return List.copyOf(checked);
  }

  /**
   * Returns {@code uri} without its user-info part ({@code user:password@}), for a message, a
   * log or a status.
   *
   * @param uri any URI
   * @return the same URI minus credentials
   */
  public static URI redact(URI uri) {
    String authority = uri.getRawAuthority();
    int at = authority == null ? -1 : authority.lastIndexOf('@');
    if (at < 0) {
      return uri;
    }
    StringBuilder s = new StringBuilder();
    if (uri.getScheme() != null) {
      s.append(uri.getScheme()).append(':');
    }
    s.append("//").append(authority, at + 1, authority.length());
    if (uri.getRawPath() != null) {
      s.append(uri.getRawPath());
    }
    if (uri.getRawQuery() != null) {
      s.append('?').append(uri.getRawQuery());
    }
    if (uri.getRawFragment() != null) {
      s.append('#').append(uri.getRawFragment());
    }
    return URI.create(s.toString());
  }

  // For text that does not parse as a URI: whatever stands between "//" and an "@" before the
  // path.
  private static String withoutUserInfo(String text) {
    return USER_INFO.matcher(text).replaceFirst("//");
  }

  private static boolean isHttp(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    return uri.isAbsolute() && (scheme.equals("http") || scheme.equals("https"));
  }
}
