package io.rangefetch.internal;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.jspecify.annotations.Nullable;

/**
 * A digest of the whole file that the server sent with its first response, to check the
 * finished file against: {@code Repr-Digest} (RFC 9530), {@code Digest} (RFC 3230) or, on a
 * {@code 200}, {@code Content-MD5}. Immutable and thread-safe.
 *
 * <p>{@code Repr-Digest} and {@code Digest} cover the selected representation, the whole file,
 * even on a {@code 206}. {@code Content-MD5} covers the body of the message it comes with, so
 * on a {@code 206} only that part: it is used on a {@code 200} only. Of several, one is checked:
 * SHA-256 first (often computed anyway), then SHA-512, then MD5; other algorithms are ignored.
 *
 * @param algorithm the {@link java.security.MessageDigest} name: SHA-256, SHA-512 or MD5
 * @param expected the digest's bytes
 * @param header the header it came from, for messages
 */
record ServerDigest(String algorithm, byte[] expected, String header) {
  private static final List<String> PREFERRED = List.of("SHA-256", "SHA-512", "MD5");

  /** Reads the digest to check from a download's first response. */
  static @Nullable ServerDigest of(FirstResponse first) {
    return of(first.open().response, first.kind() == FirstResponse.Kind.WHOLE);
  }

  /**
   * Reads the digest to check from a first response.
   *
   * @param wholeBody whether the body is the whole file (a {@code 200}), so that
   *     {@code Content-MD5} describes the file
   * @return the digest, or null when the response carries none that rangefetch checks
   */
  static @Nullable ServerDigest of(ClassicHttpResponse response, boolean wholeBody) {
    for (String algorithm : PREFERRED) {
      ServerDigest found = find(response, "Repr-Digest", algorithm, true);
      if (found == null) {
        found = find(response, "Digest", algorithm, false);
      }
      if (found == null && wholeBody && algorithm.equals("MD5")) {
        found = decoded(response.getFirstHeader("Content-MD5"), "MD5", "Content-MD5");
      }
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /**
   * Finds {@code algorithm} in a list such as {@code sha-256=:AbC=:, sha-512=:..:} (RFC 9530,
   * byte sequences between colons) or {@code SHA-256=AbC=,MD5=..} (RFC 3230).
   */
  private static @Nullable ServerDigest find(ClassicHttpResponse response, String name,
      String algorithm, boolean structured) {
    for (Header header : response.getHeaders(name)) {
      for (String member : header.getValue().split(",")) {
        int eq = member.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String key = member.substring(0, eq).strip().toUpperCase(Locale.ROOT);
        if (!key.equals(algorithm)) {
          continue;
        }
        String value = member.substring(eq + 1).strip();
        if (structured) {
          int params = value.indexOf(';');
          value = params < 0 ? value : value.substring(0, params).strip();
          if (value.length() < 2 || !value.startsWith(":") || !value.endsWith(":")) {
            continue;
          }
          value = value.substring(1, value.length() - 1);
        }
        ServerDigest digest = decode(value, algorithm, name);
        if (digest != null) {
          return digest;
        }
      }
    }
    return null;
  }

  private static @Nullable ServerDigest decoded(@Nullable Header header, String algorithm,
      String name) {
    return header == null || header.getValue() == null ? null
        : decode(header.getValue().strip(), algorithm, name);
  }

  /** Null for a value that is not base64 of the algorithm's length: a broken header is ignored. */
  private static @Nullable ServerDigest decode(String base64, String algorithm, String name) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int length = switch (algorithm) {
      case "SHA-256" -> 32;
      case "SHA-512" -> 64;
      default -> 16;
    };
    return bytes.length == length ? new ServerDigest(algorithm, bytes, name) : null;
  }

  /** The expected digest in hex, for messages. */
  String expectedHex() {
    return HexFormat.of().formatHex(expected);
  }
}
