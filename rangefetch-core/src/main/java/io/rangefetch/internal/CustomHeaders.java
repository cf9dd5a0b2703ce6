package io.rangefetch.internal;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/** Which headers a caller may add to a download's requests, and in what form. */
public final class CustomHeaders {
  // Headers the engine sets itself: letting a caller override them would break the ranges.
  private static final Set<String> RESERVED = Set.of(
      "range", "if-range", "accept-encoding", "host", "content-length", "transfer-encoding",
      "connection");

  private CustomHeaders() {}

  /**
   * Checks a header a caller adds.
   *
   * @throws IllegalArgumentException if the name is reserved or either part is malformed; the
   *     message names the header and says what to do
   */
  public static void check(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
      throw new IllegalArgumentException("header name is not a valid HTTP token: \"" + name
          + "\"; a name is letters, digits and !#$%&'*+-.^_`|~, without blanks or a colon");
    }
    if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "header " + name + " is set by the downloader itself and cannot be overridden; leave"
              + " it out (refused: Host, Range, If-Range, Accept-Encoding, Content-Length,"
              + " Transfer-Encoding, Connection)");
    }
    if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("header " + name
          + " has a line break in its value; give one header per call, on one line");
    }
  }
}
