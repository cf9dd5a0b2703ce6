package io.rangefetch.server.ws;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open WebSocket sessions of the server, for pushes, the session cap and shutdown. Thread-safe. */
public final class OpenSessions {
  private final Set<SessionSender> open = ConcurrentHashMap.newKeySet();

  /**
   * Counts a session as open, for pings, the session cap and shutdown.
   *
   * @param sender the session's sender
   */
  public void opened(SessionSender sender) {
    open.add(sender);
  }

  /**
   * Forgets a closed session.
   *
   * @param sender the session's sender
   */
  public void closed(SessionSender sender) {
    open.remove(sender);
  }

  /**
   * Returns how many sessions are open.
   *
   * @return the count
   */
  public int count() {
    return open.size();
  }

  List<SessionSender> all() {
    return List.copyOf(open);
  }

  /** Sends a ping to every session. */
  public void pingAll() {
    for (SessionSender sender : all()) {
      sender.ping();
    }
  }

  /**
   * Closes every session.
   *
   * @param code the close code, 1001 when the server stops
   * @param reason a short reason
   */
  public void closeAll(int code, String reason) {
    for (SessionSender sender : all()) {
      sender.closeNow(code, reason);
    }
  }
}
