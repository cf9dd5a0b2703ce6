package io.rangefetch.server.jsonrpc;

import io.rangefetch.server.ws.UpgradeGuard;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * {@code POST /jsonrpc}: one JSON-RPC message per request, answered as on the WebSocket (no
 * notifications over HTTP, as in aria2). A browser's {@code Origin} must be the server's own or
 * a configured one (else 403), and such a request gets the CORS headers it needs, including the
 * answer to its preflight {@code OPTIONS}. Other paths go to the next handler. Thread-safe.
 */
final class JsonRpcHttpHandler extends Handler.Wrapper {
  static final String PATH = "/jsonrpc";

  private final JsonRpcDispatcher dispatcher;
  private final UpgradeGuard guard;
  private final int maxMessageBytes;

  JsonRpcHttpHandler(Handler next, JsonRpcDispatcher dispatcher, UpgradeGuard guard,
      int maxMessageBytes) {
    super(next);
    this.dispatcher = dispatcher;
    this.guard = guard;
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!PATH.equals(Request.getPathInContext(request))) {
      return super.handle(request, response, callback);
    }
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null) {
      if (!guard.originAllowed(origin, request)) {
        Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403,
            "Origin refused: a page from another site may not use this server; add its origin"
                + " to security.allowed-origins to allow it");
        return true;
      }
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
      response.getHeaders().put(HttpHeader.VARY, "Origin");
    }
    String method = request.getMethod();
    if (HttpMethod.OPTIONS.is(method)) {
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS");
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type");
      response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, "600");
      response.setStatus(HttpStatus.NO_CONTENT_204);
      callback.succeeded();
      return true;
    }
    if (!HttpMethod.POST.is(method)) {
      response.getHeaders().put(HttpHeader.ALLOW, "POST, OPTIONS");
      Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405,
          method + " is not supported on /jsonrpc; send a JSON-RPC request with POST, or open a"
              + " WebSocket to ws://HOST:PORT/jsonrpc");
      return true;
    }
    String body = readBody(request);
    if (body == null) {
      Response.writeError(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413,
          "the request body has more than " + maxMessageBytes + " bytes, the most accepted"
              + " (security.max-message-bytes); send smaller batches");
      return true;
    }
    JsonRpcDispatcher.Answer answer = dispatcher.handle(body, () -> { });
    response.setStatus(answer.httpStatus());
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json-rpc");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(answer.json().getBytes(StandardCharsets.UTF_8)),
        Callback.from(() -> {
          callback.succeeded();
          answer.afterReply().forEach(Runnable::run);
        }, callback::failed));
    return true;
  }

  /** The body as UTF-8, or null when it is over the limit. */
  private @Nullable String readBody(Request request) throws IOException {
    long declared = request.getLength();
    if (declared > maxMessageBytes) {
      return null;
    }
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] bytes = in.readNBytes(maxMessageBytes + 1);
      return bytes.length > maxMessageBytes ? null : new String(bytes, StandardCharsets.UTF_8);
    }
  }
}
