package io.rangefetch.server.ws;

import io.rangefetch.server.http.TokenCheck;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Decides whether a WebSocket upgrade may proceed: the token (else 401), the browser's
 * {@code Origin} against cross-site WebSocket hijacking (else 403), and the session cap (else
 * 503). Immutable and thread-safe.
 */
public final class UpgradeGuard {
  private final TokenCheck token;
  private final List<String> allowedOrigins;
  private final OpenSessions sessions;
  private final int maxSessions;

  /**
   * Creates the guard.
   *
   * @param token the token check
   * @param allowedOrigins origins allowed besides the server's own; {@code *} allows all
   * @param sessions the open sessions
   * @param maxSessions the most sessions open at once
   */
  public UpgradeGuard(TokenCheck token, List<String> allowedOrigins, OpenSessions sessions,
      int maxSessions) {
    this.token = Objects.requireNonNull(token, "token");
    this.allowedOrigins = allowedOrigins.stream().map(UpgradeGuard::normalise).toList();
    this.sessions = Objects.requireNonNull(sessions, "sessions");
    this.maxSessions = maxSessions;
  }

  /**
   * Checks an upgrade request; when refused, writes the error response.
   *
   * @param request the upgrade request
   * @param response its response
   * @param callback completed when the error response is written
   * @return {@code true} if the upgrade may proceed; {@code false} if it was refused
   */
  boolean admit(Request request, Response response, Callback callback) {
    if (!token.accepts(request)) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
      Response.writeError(request, response, callback, HttpStatus.UNAUTHORIZED_401,
          "a token is required: send it as \"Authorization: Bearer <token>\" or ?token=<token>");
      return false;
    }
    return admitWithoutToken(request, response, callback);
  }

  /**
   * Checks an upgrade whose messages carry the token themselves (aria2's JSON-RPC sends
   * {@code "token:SECRET"} with every call): the {@code Origin} (else 403) and the session cap
   * (else 503), not the token.
   *
   * @param request the upgrade request
   * @param response its response
   * @param callback completed when the error response is written
   * @return {@code true} if the upgrade may proceed; {@code false} if it was refused
   */
  public boolean admitWithoutToken(Request request, Response response, Callback callback) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && !originAllowed(origin, request)) {
      Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403,
          "Origin refused: a page from another site may not use this server; add its origin to"
              + " security.allowed-origins to allow it");
      return false;
    }
    if (sessions.count() >= maxSessions) {
      Response.writeError(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503,
          "the server has " + maxSessions + " sessions open, its maximum; try again later");
      return false;
    }
    return true;
  }

  /**
   * Returns whether a browser request's {@code Origin} may use the server: the server's own
   * origin or a configured one.
   *
   * @param origin the {@code Origin} header's value
   * @param request the request
   * @return {@code true} if allowed
   */
  public boolean originAllowed(String origin, Request request) {
    String o = normalise(origin);
    String host = request.getHeaders().get(HttpHeader.HOST);
    String scheme = request.isSecure() ? "https://" : "http://";
    if (host != null && o.equals(scheme + host.toLowerCase(Locale.ROOT))) {
      return true;
    }
    return allowedOrigins.contains("*") || allowedOrigins.contains(o);
  }

  private static String normalise(String origin) {
    String o = origin.strip().toLowerCase(Locale.ROOT);
    return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
  }
}
