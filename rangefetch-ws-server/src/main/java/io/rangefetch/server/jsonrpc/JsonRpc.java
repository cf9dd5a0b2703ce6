package io.rangefetch.server.jsonrpc;

import io.rangefetch.server.ServerConfig;
import io.rangefetch.server.download.DownloadService;
import io.rangefetch.server.download.StatusListener;
import io.rangefetch.server.http.TokenCheck;
import io.rangefetch.server.ws.OpenSessions;
import io.rangefetch.server.ws.UpgradeGuard;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * aria2's JSON-RPC on {@code /jsonrpc}, put together: the methods over the server's downloads,
 * the WebSocket mapping, the HTTP handler and the notifications. Thread-safe.
 *
 * <pre>{@code
 * JsonRpc rpc = new JsonRpc(config, downloads, guard, sessions, version, server::close);
 * downloads.addListener(rpc.notifier());
 * WebSocketUpgradeHandler.from(server, context, container -> rpc.configure(container))
 *     .setHandler(rpc.httpHandler(otherRoutes));
 * }</pre>
 */
public final class JsonRpc {
  private final UpgradeGuard guard;
  private final OpenSessions sessions;
  private final TokenCheck token;
  private final int maxMessageBytes;
  private final Aria2Notifier notifier = new Aria2Notifier();
  private final JsonRpcDispatcher dispatcher;

  /**
   * Creates the JSON-RPC side of a server.
   *
   * @param config the server's settings: download directory, caps, token, message size,
   *     whether clients may shut it down
   * @param downloads the server's one list of downloads
   * @param guard the Origin and session-cap checks of {@code /ws}
   * @param sessions the open sessions, for pings, the cap and shutdown
   * @param version the server's version, for {@code aria2.getVersion}
   * @param shutdown stops the server; run by {@code aria2.shutdown} when allowed, after its reply
   */
  public JsonRpc(ServerConfig config, DownloadService downloads, UpgradeGuard guard,
      OpenSessions sessions, String version, Runnable shutdown) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(downloads, "downloads");
    this.guard = Objects.requireNonNull(guard, "guard");
    this.sessions = Objects.requireNonNull(sessions, "sessions");
    this.token = new TokenCheck(config.token());
    this.maxMessageBytes = config.maxMessageBytes();
    Aria2Status statuses = new Aria2Status(config.downloadDir());
    Aria2Options options = new Aria2Options(config.downloadDir(), config.limits());
    Map<String, RpcMethod> methods = new LinkedHashMap<>();
    new DownloadMethods(downloads, statuses, options).register(methods);
    new ServerMethods(downloads, options, version, config.rpcAllowShutdown(),
        Objects.requireNonNull(shutdown, "shutdown")).register(methods);
    this.dispatcher = new JsonRpcDispatcher(methods, token);
  }

  /**
   * Returns the listener that sends aria2's notifications; add it to the download service.
   *
   * @return the listener
   */
  public StatusListener notifier() {
    return notifier;
  }

  /**
   * Maps {@code /jsonrpc} on Jetty's WebSocket container. The upgrade needs no token (aria2's
   * clients send it with each call), but passes the Origin and session-cap checks of {@code /ws}.
   *
   * @param container the container of the upgrade handler
   */
  public void configure(ServerWebSocketContainer container) {
    container.addMapping(JsonRpcHttpHandler.PATH, (request, response, callback) ->
        guard.admitWithoutToken(request, response, callback)
            ? new JsonRpcEndpoint(sessions, notifier, dispatcher, maxMessageBytes,
                token.accepts(request))
            : null);
  }

  /**
   * Returns the handler of {@code POST /jsonrpc}, which passes every other request to
   * {@code next}.
   *
   * @param next the handler of the other paths
   * @return the handler
   */
  public Handler httpHandler(Handler next) {
    return new JsonRpcHttpHandler(next, dispatcher, guard, maxMessageBytes);
  }
}
