package io.rangefetch.server.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;
import org.jspecify.annotations.Nullable;

/**
 * Checks the token of a request: {@code Authorization: Bearer <token>} or {@code ?token=<token>}.
 * The comparison takes the same time whatever the guess, and the token is never logged.
 * Immutable and thread-safe.
 */
public final class TokenCheck {
  private final byte @Nullable [] expectedDigest;

  /**
   * Creates the check.
   *
   * @param token the configured token, or empty to accept every request
   */
  public TokenCheck(Optional<String> token) {
    this.expectedDigest = token.map(TokenCheck::digest).orElse(null);
  }

  /**
   * Returns whether the request may pass.
   *
   * @param request the HTTP request or WebSocket upgrade
   * @return {@code true} without a configured token, or when the request carries it
   */
  public boolean accepts(Request request) {
    if (expectedDigest == null) {
      return true;
    }
    String presented = presented(request);
    // Comparing digests of equal length hides the token's length as well as its content.
    return presented != null && MessageDigest.isEqual(expectedDigest, digest(presented));
  }

  /**
   * Returns whether a secret presented inside a message (aria2's {@code "token:SECRET"}) is the
   * token. The comparison takes the same time whatever the guess.
   *
   * @param presented the secret sent, or null when none was sent
   * @return {@code true} without a configured token, or when {@code presented} is the token
   */
  public boolean acceptsSecret(@Nullable String presented) {
    if (expectedDigest == null) {
      return true;
    }
    return presented != null && MessageDigest.isEqual(expectedDigest, digest(presented));
  }

  private static @Nullable String presented(Request request) {
    String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).strip();
    }
    Fields query = Request.extractQueryParameters(request);
    Fields.Field token = query.get("token");
    return token == null ? null : token.getValue();
  }

  private static byte[] digest(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
