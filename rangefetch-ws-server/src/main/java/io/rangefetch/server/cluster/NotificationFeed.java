package io.rangefetch.server.cluster;

import io.rangefetch.internal.DaemonThreads;
import io.rangefetch.server.protocol.Json;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on the cluster's channel on a connection of its own (a pooled one would lose its
 * {@code LISTEN}) and hands each notification to a receiver, on one thread, in the order the
 * database delivered them. Reconnects when the connection is lost, and then says so: what was
 * sent meanwhile is lost, and the receiver reloads. Thread-safe.
 */
final class NotificationFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NotificationFeed.class);
  private static final int POLL_MILLIS = 500;
  private static final long RECONNECT_SECONDS = 1;

  /** Receives the notifications. Called on the feed's thread only. */
  interface Receiver {
    void received(ClusterMessage message);

    /** The connection was lost and is back: notifications may have been missed. */
    void reconnected();
  }

  private final String url;
  private final Properties properties;
  private final Receiver receiver;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread thread;
  // confined to the feed's thread after start()
  private @Nullable Connection connection;

  NotificationFeed(String url, Properties properties, Receiver receiver, String node) {
    this.url = url;
    this.properties = properties;
    this.receiver = receiver;
    this.thread = DaemonThreads.named("rangefetch-cluster-feed-" + node).newThread(this::run);
  }

  /**
   * Connects and listens, then starts the thread: notifications sent after this returns are
   * received.
   *
   * @throws SQLException if the database cannot be reached
   */
  void start() throws SQLException {
    connection = listen();
    thread.start();
  }

  private Connection listen() throws SQLException {
    Connection c = DriverManager.getConnection(url, properties);
    try (Statement statement = c.createStatement()) {
      statement.execute("LISTEN " + ClusterMessage.CHANNEL);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void run() {
    boolean warned = false;
    while (closed.getCount() > 0) {
      try {
        if (connection == null) {
          connection = listen();
          LOG.info("listening to the cluster's notifications again");
          warned = false;
          receiver.reconnected();
        }
        PGNotification[] notifications = connection.unwrap(PGConnection.class)
            .getNotifications(POLL_MILLIS);
        if (notifications != null) {
          for (PGNotification n : notifications) {
            deliver(n.getParameter());
          }
        }
      } catch (SQLException e) {
        if (closed.getCount() == 0) {
          return;
        }
        if (!warned) {
          LOG.warn("lost the cluster's notifications ({}); reconnecting every {} s",
              DownloadRows.why(e), RECONNECT_SECONDS);
          warned = true;
        }
        closeQuietly();
        try {
          closed.await(RECONNECT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
    closeQuietly();
  }

  private void deliver(String payload) {
    ClusterMessage message;
    try {
      message = Json.mapper().readValue(payload, ClusterMessage.class);
    } catch (java.io.IOException e) {
      LOG.warn("ignoring a notification that is not a cluster message: {}", e.getMessage());
      return;
    }
    try {
      receiver.received(message);
    } catch (RuntimeException e) {
      LOG.error("a cluster notification failed: {}", payload, e);
    }
  }

  private void closeQuietly() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.debug("closing the notification connection: {}", DownloadRows.why(e));
      }
    }
  }

  @Override
  public void close() {
    closed.countDown();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
