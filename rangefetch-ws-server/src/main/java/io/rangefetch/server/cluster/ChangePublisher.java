package io.rangefetch.server.cluster;

import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StoredDownload;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a node's changes to the database: the records of its downloads, written at once or
 * together with others, and their statuses, notified to the other nodes every
 * {@code flush}. Each keeps only the latest per download; a record is taken when it is written,
 * so the last write is always the latest state. Writes that fail are kept and written with the
 * next. Thread-safe.
 */
final class ChangePublisher {
  private static final Logger LOG = LoggerFactory.getLogger(ChangePublisher.class);

  private final String node;
  private final CommandExchange.ConnectionSource connections;
  // guarded by itself: statuses not yet notified, latest per download
  private final Map<String, StatusJson> unpublished = new LinkedHashMap<>();
  // guarded by writeLock: records not yet written, latest per download
  private final Map<String, Supplier<StoredDownload>> unrecorded = new LinkedHashMap<>();
  // held while records are taken and written, so that they are written in order
  private final Object writeLock = new Object();
  private final AtomicBoolean warned = new AtomicBoolean();
  // held by one flush at a time, so that a flush that returns has every earlier one committed
  private final Object flushLock = new Object();

  ChangePublisher(String node, CommandExchange.ConnectionSource connections) {
    this.node = node;
    this.connections = connections;
  }

  /**
   * Records a download of this node.
   *
   * @param now write before returning, unless the database is known to be down
   */
  void record(String id, Supplier<StoredDownload> current, boolean now) {
    synchronized (writeLock) {
      if (!now) {
        unrecorded.put(id, current);
        return;
      }
      unrecorded.remove(id);
      try (Connection c = connections.get()) {
        DownloadRows.write(c, node, List.of(current.get()));
        warned.set(false);
      } catch (SQLException e) {
        unrecorded.put(id, current); // written with the next batch
        warn(e);
      }
    }
  }

  /** Notifies the status with the next flush, replacing one not yet sent. */
  void status(StatusJson status) {
    synchronized (unpublished) {
      unpublished.put(status.id(), status);
    }
  }

  /** Drops what waits for a download removed here. */
  void forget(String id) {
    synchronized (writeLock) {
      unrecorded.remove(id);
    }
    synchronized (unpublished) {
      unpublished.remove(id);
    }
  }

  /**
   * Writes the records waiting, then notifies the statuses waiting. When it returns, every
   * change handed over before it is committed, unless the database failed.
   */
  void flush() {
    synchronized (flushLock) {
      flushNow();
    }
  }

  private void flushNow() {
    synchronized (writeLock) {
      if (!unrecorded.isEmpty()) {
        Map<String, Supplier<StoredDownload>> batch = new LinkedHashMap<>(unrecorded);
        unrecorded.clear();
        try (Connection c = connections.get()) {
          DownloadRows.write(c, node, batch.values().stream().map(Supplier::get).toList());
          warned.set(false);
        } catch (SQLException | RuntimeException e) {
          batch.forEach(unrecorded::putIfAbsent);
          warn(e);
        }
      }
    }
    List<ClusterMessage> messages;
    synchronized (unpublished) {
      messages = new ArrayList<>(unpublished.size());
      for (StatusJson status : unpublished.values()) {
        messages.add(ClusterMessage.status(node, status));
      }
      unpublished.clear();
    }
    if (!messages.isEmpty()) {
      try (Connection c = connections.get()) {
        DownloadRows.notifyAll(c, messages);
      } catch (SQLException | RuntimeException e) {
        // Dropped: the next status supersedes them, and other nodes reload on reconnection.
        LOG.debug("node {}: {} statuses not notified: {}", node, messages.size(),
            DownloadRows.why(e));
      }
    }
  }

  private void warn(Exception e) {
    if (warned.compareAndSet(false, true)) {
      LOG.warn("cannot record downloads in the database ({}); retrying with the next changes",
          DownloadRows.why(e));
    }
  }
}
