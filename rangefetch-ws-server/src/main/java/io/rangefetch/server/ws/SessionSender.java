package io.rangefetch.server.ws;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the frames of one session, one at a time, from a bounded queue, and never blocks the
 * caller. Jetty queues without bound; this class keeps at most one frame in Jetty's hands, so a
 * client that does not read only makes its own queue grow. A newer status of a download
 * replaces a queued progress status of the same download; state changes and replies are never
 * dropped. When the queue is full anyway, the session is closed with 1008. Thread-safe.
 */
public final class SessionSender {
  /** The default bound of queued frames per session. */
  public static final int DEFAULT_MAX_QUEUED = 1024;
  private static final Logger LOG = LoggerFactory.getLogger(SessionSender.class);

  private final Session session;
  private final int maxQueued;
  private final Flusher flusher = new Flusher();
  private final Object lock = new Object();
  // guarded by lock
  private final ArrayDeque<Frame> queue = new ArrayDeque<>();
  // guarded by lock: once true, nothing more is queued
  private boolean closed;
  // written under the download service's notification lock, read by the push hub
  private volatile boolean subscribed;

  /**
   * A queued frame.
   *
   * @param downloadId the download a status frame is about, else null
   * @param text the text, or null for a close
   * @param replaceable whether a newer frame about the same download may replace it
   * @param closeCode the close code when {@code text} is null
   */
  private record Frame(@Nullable String downloadId, @Nullable String text, boolean replaceable,
      int closeCode, String closeReason) {}

  /**
   * Creates the sender of one session.
   *
   * @param session the open session
   * @param maxQueued the most frames queued before the session is given up as stuck
   */
  public SessionSender(Session session, int maxQueued) {
    this.session = Objects.requireNonNull(session, "session");
    this.maxQueued = maxQueued;
  }

  /**
   * Queues a reply or another frame that must arrive.
   *
   * @param text the frame
   */
  public void send(String text) {
    enqueue(new Frame(null, text, false, 0, ""));
  }

  /**
   * Queues a status frame. Any queued progress frame of the same download is dropped, as this one
   * is newer.
   *
   * @param downloadId the download it is about
   * @param text the frame
   * @param mustArrive true for a change of state or a removal; false for progress, which a
   *     later frame about the same download may replace
   */
  public void sendStatus(String downloadId, String text, boolean mustArrive) {
    enqueue(new Frame(downloadId, text, !mustArrive, 0, ""));
  }

  /**
   * Closes the session once the frames queued before have been sent.
   *
   * @param code the close code
   * @param reason a short reason for the client
   */
  public void closeAfterQueued(int code, String reason) {
    enqueue(new Frame(null, null, false, code, reason));
  }

  /**
   * Closes the session now; queued frames are dropped.
   *
   * @param code the close code
   * @param reason a short reason for the client
   */
  public void closeNow(int code, String reason) {
    synchronized (lock) {
      closed = true;
      queue.clear();
    }
    session.close(code, reason, Callback.NOOP);
  }

  /** Sends a ping, which keeps an idle connection from timing out while the client answers. */
  void ping() {
    if (session.isOpen()) {
      session.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
    }
  }

  /** @return whether status pushes go to this session */
  boolean subscribed() {
    return subscribed;
  }

  void subscribed(boolean value) {
    subscribed = value;
  }

  /** @return the number of frames waiting, for tests and diagnostics */
  int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }

  private void enqueue(Frame frame) {
    boolean overflow = false;
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (frame.downloadId() != null) {
        queue.removeIf(f -> f.replaceable() && frame.downloadId().equals(f.downloadId()));
      }
      if (frame.text() == null) {
        closed = true;
      }
      if (queue.size() >= maxQueued) {
        overflow = true;
        closed = true;
        queue.clear();
      } else {
        queue.add(frame);
      }
    }
    if (overflow) {
      LOG.warn("closing the session of {}: it read none of the last {} messages",
          session.getRemoteSocketAddress(), maxQueued);
      session.close(StatusCode.POLICY_VIOLATION, "too slow: " + maxQueued
          + " messages waiting; reconnect to get the current list", Callback.NOOP);
      return;
    }
    flusher.iterate();
  }

  /** Hands the queued frames to Jetty one at a time; iterates without recursion. */
  private final class Flusher extends IteratingCallback {
    @Override
    protected Action process() {
      Frame next;
      synchronized (lock) {
        next = queue.poll();
      }
      if (next == null) {
        return Action.IDLE;
      }
      Callback callback = Callback.from(this::succeeded, this::failed);
      if (next.text() == null) {
        session.close(next.closeCode(), next.closeReason(), callback);
      } else {
        session.sendText(next.text(), callback);
      }
      return Action.SCHEDULED;
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
      synchronized (lock) {
        closed = true;
        queue.clear();
      }
      LOG.debug("sending to {} failed: {}", session.getRemoteSocketAddress(), cause.toString());
    }
  }
}
