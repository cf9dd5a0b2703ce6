package io.rangefetch.server.cluster;

import com.zaxxer.hikari.HikariDataSource;
import io.rangefetch.server.download.SharedStore.Node;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's lease on its downloads: renewed in the database every third of its length; when
 * renewals fail for two thirds of it, the node parks its downloads (another node may take them
 * over once the lease lapses), and when the database answers again it goes on with those it
 * still holds. Thread-safe: {@link #renew} and {@link #watch} run on the store's lease thread.
 */
final class NodeLease {
  private static final Logger LOG = LoggerFactory.getLogger(NodeLease.class);

  private final String nodeId;
  private final Duration length;
  private final HikariDataSource pool;
  private final Node node;
  // the downloads this node holds, shared with the store
  private final Set<String> held;
  // after each successful renewal: a notification may have been missed meanwhile
  private final Runnable renewed;
  // renewals so far: old commands are purged every hundredth
  private final AtomicLong renewals = new AtomicLong();
  private volatile boolean healthy = true;
  private volatile boolean parked;
  // System.nanoTime() when the last successful renewal was sent
  private volatile long renewedAt = System.nanoTime();

  NodeLease(String nodeId, Duration length, HikariDataSource pool, Node node, Set<String> held,
      Runnable renewed) {
    this.nodeId = nodeId;
    this.length = length;
    this.pool = pool;
    this.node = node;
    this.held = held;
    this.renewed = renewed;
  }

  /** Whether the last renewal worked and the downloads are not parked. */
  boolean healthy() {
    return healthy;
  }

  /** Whether the node may claim more work. */
  boolean mayClaim() {
    return healthy && !parked;
  }

  /** Renews the lease; after an outage, takes back the downloads it still holds. */
  void renew() {
    long sentAt = System.nanoTime();
    Set<String> stillHeld;
    try (Connection c = pool.getConnection()) {
      stillHeld = DownloadRows.renew(c, nodeId, length);
      if (renewals.incrementAndGet() % 100 == 0) {
        CommandExchange.purge(c);
      }
    } catch (SQLException | RuntimeException e) {
      if (healthy) {
        LOG.warn("node {} cannot renew its lease ({}); it claims nothing new until the database"
            + " answers, and pauses its downloads before the lease lapses", nodeId,
            DownloadRows.why(e));
      }
      healthy = false;
      return;
    }
    renewedAt = sentAt;
    if (!healthy) {
      LOG.info("node {}: the database answers again", nodeId);
      healthy = true;
    }
    if (parked) {
      parked = false;
      held.addAll(stillHeld);
      node.unpark(stillHeld);
    }
    renewed.run();
  }

  /** Parks the node's downloads when the lease may lapse before the next renewal. */
  void watch() {
    long sinceRenewal = System.nanoTime() - renewedAt;
    if (!parked && sinceRenewal > length.toNanos() * 2 / 3) {
      parked = true;
      healthy = false;
      LOG.warn("node {} has not renewed its lease for {} ms; pausing its downloads, which other"
          + " nodes may take over", nodeId, TimeUnit.NANOSECONDS.toMillis(sinceRenewal));
      held.clear();
      node.park();
    }
  }
}
