package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.ws.OpenSessions;
import io.rangefetch.server.ws.SessionSender;
import io.rangefetch.server.ws.TextEndpoint;
import org.jspecify.annotations.Nullable;

/**
 * One {@code ws://HOST:PORT/jsonrpc} session: each text frame is a JSON-RPC message answered in a
 * text frame; notifications follow once the session has presented the secret. Like the
 * {@code /ws} endpoints it has one {@link SessionSender}, a size limit and no binary frames.
 * Public only because Jetty looks the listener methods up with a public lookup; Jetty calls one
 * session's listener one event at a time.
 */
public final class JsonRpcEndpoint extends TextEndpoint implements JsonRpcDispatcher.Caller {
  private final Aria2Notifier notifier;
  private final JsonRpcDispatcher dispatcher;
  // set on open by Jetty's thread; read by the notifier
  private volatile @Nullable SessionSender sender;
  // set by a call with the right secret (or a token on the upgrade); read by the notifier
  private volatile boolean authorized;

  JsonRpcEndpoint(OpenSessions sessions, Aria2Notifier notifier, JsonRpcDispatcher dispatcher,
      int maxMessageBytes, boolean authorized) {
    super(sessions, maxMessageBytes);
    this.notifier = notifier;
    this.dispatcher = dispatcher;
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
  protected void opened(SessionSender s) {
    sender = s;
    notifier.opened(this);
  }

  @Override
  protected void text(String message, SessionSender s) {
    JsonRpcDispatcher.Answer answer = dispatcher.handle(message, this);
    s.send(answer.json());
    answer.afterReply().forEach(Runnable::run);
  }

  @Override
  protected void closed() {
    notifier.closed(this);
  }

  @Override
  protected String tooLarge(long bytes, int max) {
    ObjectNode error = JsonNodeFactory.instance.objectNode()
        .put("code", RpcException.INVALID_REQUEST)
        .put("message", "Invalid Request: the message has " + bytes + " bytes, more than the "
            + max + " accepted (security.max-message-bytes); the connection closes (1009)");
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.putNull("id");
    out.put("jsonrpc", "2.0");
    out.set("error", error);
    return Json.write(out);
  }
}
