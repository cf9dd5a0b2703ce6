package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.ws.OpenSessions;
import io.rangefetch.server.ws.SessionSender;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code ws://HOST:PORT/jsonrpc} session: each text frame is a JSON-RPC message answered in a
 * text frame; notifications follow once the session has presented the secret. Like the
 * {@code /ws} endpoints it has one {@link SessionSender}, a size limit and no binary frames.
 * Public only because Jetty looks the listener methods up with a public lookup; Jetty calls one
 * session's listener one event at a time.
 */
public final class JsonRpcEndpoint implements Session.Listener.AutoDemanding,
    JsonRpcDispatcher.Caller {
  private static final Logger LOG = LoggerFactory.getLogger(JsonRpcEndpoint.class);

  private final OpenSessions sessions;
  private final Aria2Notifier notifier;
  private final JsonRpcDispatcher dispatcher;
  private final int maxMessageBytes;
  // set on open by Jetty's thread; read by later events and by the notifier
  private volatile @Nullable SessionSender sender;
  // set by a call with the right secret (or a token on the upgrade); read by the notifier
  private volatile boolean authorized;

  JsonRpcEndpoint(OpenSessions sessions, Aria2Notifier notifier, JsonRpcDispatcher dispatcher,
      int maxMessageBytes, boolean authorized) {
    this.sessions = sessions;
    this.notifier = notifier;
    this.dispatcher = dispatcher;
    this.maxMessageBytes = maxMessageBytes;
    this.authorized = authorized;
  }

  @Override
  public void authorized() {
    authorized = true;
  }

  /** Queues a notification, if this session has shown the secret. */
  void notifyIfAuthorized(String text) {
    SessionSender s = sender;
    if (s != null && authorized) {
      s.send(text);
    }
  }

  @Override
  public void onWebSocketOpen(Session session) {
    SessionSender s = new SessionSender(session, SessionSender.DEFAULT_MAX_QUEUED);
    sender = s;
    sessions.opened(s);
    notifier.opened(this);
  }

  @Override
  public void onWebSocketText(String message) {
    SessionSender s = sender;
    if (s == null) {
      return;
    }
    // Cheap check first: a string of n chars has at most 3n UTF-8 bytes.
    if ((long) message.length() * 3 > maxMessageBytes) {
      long bytes = message.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > maxMessageBytes) {
        s.send(tooLarge(bytes));
        s.closeAfterQueued(StatusCode.MESSAGE_TOO_LARGE, "message too large");
        return;
      }
    }
    JsonRpcDispatcher.Answer answer = dispatcher.handle(message, this);
    s.send(answer.json());
    answer.afterReply().forEach(Runnable::run);
  }

  @Override
  public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
    callback.succeed();
    SessionSender s = sender;
    if (s != null) {
      s.closeAfterQueued(StatusCode.BAD_DATA, "binary frames are not accepted; send UTF-8 text");
    }
  }

  @Override
  public void onWebSocketClose(int statusCode, @Nullable String reason, Callback callback) {
    SessionSender s = sender;
    if (s != null) {
      sessions.closed(s);
    }
    notifier.closed(this);
    callback.succeed();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    LOG.debug("jsonrpc websocket error: {}", cause.toString());
  }

  private String tooLarge(long bytes) {
    ObjectNode error = JsonNodeFactory.instance.objectNode()
        .put("code", RpcException.INVALID_REQUEST)
        .put("message", "Invalid Request: the message has " + bytes + " bytes, more than the "
            + maxMessageBytes + " accepted (security.max-message-bytes); the connection closes"
            + " (1009)");
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.putNull("id");
    out.put("jsonrpc", "2.0");
    out.set("error", error);
    return Json.write(out);
  }
}
