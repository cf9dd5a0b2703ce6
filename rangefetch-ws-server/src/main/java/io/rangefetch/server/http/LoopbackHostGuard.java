package io.rangefetch.server.http;

import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Refuses, with 403, a request whose {@code Host} is not {@code 127.0.0.1}, {@code localhost}
 * or {@code [::1]} with the server's port. A server bound to loopback thus ignores pages that
 * reach it through DNS rebinding: their requests carry the attacker's host name. Thread-safe.
 */
public final class LoopbackHostGuard extends Handler.Wrapper {

  /**
   * Creates the guard.
   *
   * @param next the handler of accepted requests
   */
  public LoopbackHostGuard(Handler next) {
    super(next);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String host = request.getHeaders().get(HttpHeader.HOST);
    int port = Request.getLocalPort(request);
    if (!isLoopbackHost(host, port)) {
      Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403,
          "Host header \"" + (host == null ? "" : host.replaceAll("\\p{Cntrl}", "?"))
              + "\" refused: this server answers only to 127.0.0.1:" + port + ", localhost:"
              + port + " or [::1]:" + port);
      return true;
    }
    return super.handle(request, response, callback);
  }

  static boolean isLoopbackHost(@Nullable String host, int port) {
    if (host == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    String suffix = ":" + port;
    return h.equals("127.0.0.1" + suffix) || h.equals("localhost" + suffix)
        || h.equals("[::1]" + suffix);
  }
}
