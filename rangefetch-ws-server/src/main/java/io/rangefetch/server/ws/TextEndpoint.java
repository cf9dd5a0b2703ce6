package io.rangefetch.server.ws;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both endpoints share: one {@link SessionSender} per session, the message size limit and
 * the refusal of binary frames. Not thread-safe by itself: Jetty calls one session's listener one
 * event at a time. Public only because Jetty looks the listener methods up with a public lookup.
 */
public abstract class TextEndpoint implements Session.Listener.AutoDemanding {
  private static final Logger LOG = LoggerFactory.getLogger(TextEndpoint.class);

  private final OpenSessions sessions;
  private final int maxMessageBytes;
  // set on open, by Jetty's thread; read by the same session's later events
  private @Nullable SessionSender sender;

  protected TextEndpoint(OpenSessions sessions, int maxMessageBytes) {
    this.sessions = sessions;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** The session is open: send the first frames. */
  protected abstract void opened(SessionSender sender);

  /** A text message within the size limit arrived. */
  protected abstract void text(String text, SessionSender sender);

  /**
   * The reply to a message over the size limit, sent before the close.
   *
   * @param bytes the message's size
   * @param max the limit
   */
  protected abstract String tooLarge(long bytes, int max);

  /** The session closed. Nothing by default. */
  protected void closed() {}

  @Override
  public void onWebSocketOpen(Session session) {
    SessionSender s = new SessionSender(session, SessionSender.DEFAULT_MAX_QUEUED);
    sender = s;
    sessions.opened(s);
    opened(s);
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
        s.send(tooLarge(bytes, maxMessageBytes));
        s.closeAfterQueued(StatusCode.MESSAGE_TOO_LARGE, "message too large");
        return;
      }
    }
    text(message, s);
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
    closed();
    callback.succeed();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    LOG.debug("websocket error: {}", cause.toString());
  }
}
