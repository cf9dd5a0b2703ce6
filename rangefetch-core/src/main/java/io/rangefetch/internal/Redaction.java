package io.rangefetch.internal;

import java.net.URI;

/** Removes credentials from URIs before they reach a message, a log or a status. */
public final class Redaction {
  private Redaction() {}

  /**
   * Returns {@code uri} without its user-info part ({@code user:pass@}).
   *
   * @param uri any URI
   * @return the same URI, minus credentials
   */
  public static URI redact(URI uri) {
    if (uri.getRawUserInfo() == null || uri.getHost() == null) {
      return uri;
    }
    StringBuilder s = new StringBuilder().append(uri.getScheme()).append("://").append(uri.getHost());
    if (uri.getPort() != -1) {
      s.append(':').append(uri.getPort());
    }
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
}
