package io.rangefetch.server.ws;

import io.rangefetch.server.download.DownloadService;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Supplier;
import org.eclipse.jetty.http.pathmap.ServletPathSpec;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

/**
 * Maps the WebSocket paths: {@code /ws} to the JSON API and exactly {@code /} to the console,
 * each behind the {@link UpgradeGuard}, and sets the frame limits. Immutable and thread-safe.
 */
public final class WebSocketRoutes {
  private static final String PER_MESSAGE_DEFLATE = "permessage-deflate";

  private final UpgradeGuard guard;
  private final OpenSessions sessions;
  private final CommandHandler commands;
  private final DownloadService downloads;
  private final Supplier<String> hello;
  private final int maxMessageBytes;

  /**
   * Creates the routes.
   *
   * @param guard the checks on upgrade
   * @param sessions the open sessions
   * @param commands runs JSON commands
   * @param downloads the downloads, for the console
   * @param hello makes the first frame of a session, with the limits in force then
   * @param maxMessageBytes the largest text message accepted
   */
  public WebSocketRoutes(UpgradeGuard guard, OpenSessions sessions, CommandHandler commands,
      DownloadService downloads, Supplier<String> hello, int maxMessageBytes) {
    this.guard = Objects.requireNonNull(guard, "guard");
    this.sessions = Objects.requireNonNull(sessions, "sessions");
    this.commands = Objects.requireNonNull(commands, "commands");
    this.downloads = Objects.requireNonNull(downloads, "downloads");
    this.hello = Objects.requireNonNull(hello, "hello");
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * Adds the mappings and limits to Jetty's container.
   *
   * @param container the container of the upgrade handler
   */
  public void configure(ServerWebSocketContainer container) {
    // Jetty closes with 1009 above this; up to it, the endpoint replies with a limit error first.
    container.setMaxTextMessageSize(2L * maxMessageBytes);
    container.setMaxFrameSize(2L * maxMessageBytes);
    container.setMaxBinaryMessageSize(1024);
    // One frame of ours is in flight at a time; the rest are pings. More means a stuck client.
    container.setMaxOutgoingFrames(64);
    container.addMapping("/ws", (request, response, callback) -> admit(request, response,
        callback) ? new ApiEndpoint(sessions, maxMessageBytes, hello.get(), commands) : null);
    // "" is the servlet path spec of exactly "/": the console must not catch /healthz upgrades.
    container.addMapping(new ServletPathSpec(""), (request, response, callback) ->
        admit(request, response, callback)
            ? new ConsoleEndpoint(sessions, maxMessageBytes, hello.get(), commands, downloads) : null);
  }

  private boolean admit(ServerUpgradeRequest request, ServerUpgradeResponse response,
      Callback callback) {
    if (!guard.admit(request, response, callback)) {
      return false;
    }
    if (isLoopback(request)) {
      // Compression saves bytes on a network; over loopback it only costs both ends CPU, per
      // frame, and a client adding many downloads gets several frames per download.
      response.setExtensions(response.getExtensions().stream()
          .filter(extension -> !PER_MESSAGE_DEFLATE.equals(extension.getName())).toList());
    }
    return true;
  }

  private static boolean isLoopback(ServerUpgradeRequest request) {
    return request.getConnectionMetaData().getRemoteSocketAddress()
        instanceof InetSocketAddress remote
        && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
  }
}
