package io.rangefetch.server.ws;

import io.rangefetch.server.download.StatusListener;
import io.rangefetch.server.protocol.Replies;
import io.rangefetch.server.protocol.StatusJson;
import java.util.Objects;

/**
 * Pushes status changes to every subscribed session. Each status is serialised once; each
 * session's {@link SessionSender} coalesces what its client cannot take yet. The core reports
 * progress at most every 100 ms per download, which bounds pushes to about 10 per second per
 * download. Thread-safe.
 */
public final class PushHub implements StatusListener {
  private final OpenSessions sessions;

  /**
   * Creates the hub.
   *
   * @param sessions the sessions to push to
   */
  public PushHub(OpenSessions sessions) {
    this.sessions = Objects.requireNonNull(sessions, "sessions");
  }

  @Override
  public void changed(StatusJson status, boolean stateChanged) {
    String frame = Replies.status(null, status);
    for (SessionSender sender : sessions.all()) {
      if (sender.subscribed()) {
        sender.sendStatus(status.id(), frame, stateChanged);
      }
    }
  }

  @Override
  public void removed(String id) {
    String frame = Replies.removed(id);
    for (SessionSender sender : sessions.all()) {
      if (sender.subscribed()) {
        sender.sendStatus(id, frame, true);
      }
    }
  }
}
