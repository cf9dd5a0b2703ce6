package io.rangefetch.server.cluster;

import com.zaxxer.hikari.HikariDataSource;
import io.rangefetch.internal.DaemonThreads;
import io.rangefetch.server.download.SharedStore;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StoredDownload;
import io.rangefetch.server.protocol.UpdateCommand;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's list and queue in PostgreSQL, seen from one node: it claims queued downloads
 * up to the node's limit with {@code FOR UPDATE SKIP LOCKED} under a lease it renews, records
 * the node's downloads, and tells the other nodes every change with {@code NOTIFY}; the
 * commands on downloads are {@link NodeCommands}'. docs/cluster.md explains the design.
 * Thread-safe.
 */
public final class PostgresStore implements SharedStore {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresStore.class);
  /** How often changes are written and notified together. */
  private static final long PUBLISH_MILLIS = 100;
  /** How often a node looks for work when nothing woke it. */
  private static final long CLAIM_POLL_MILLIS = 1000;
  private static final long WATCHDOG_MILLIS = 200;
  private static final int POOL_SIZE = 8;
  private static final Set<String> FREES_A_SLOT =
      Set.of("completed", "failed", "cancelled", "paused");

  private final ClusterSettings settings;
  private final int maxClaimed;
  private final int maxFinished;
  private final String host;
  private final IntSupplier port;
  private final SharedList list = new SharedList();
  // the downloads this node holds (claimed, lease not lost)
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  // held by one claim round at a time: two would both count the same free slots
  private final Object claimLock = new Object();
  private final AtomicBoolean claimQueued = new AtomicBoolean();
  private final AtomicBoolean commandsQueued = new AtomicBoolean();
  private final AtomicBoolean trimQueued = new AtomicBoolean();
  private volatile boolean closing;
  // set once by start(), read by every thread afterwards
  private volatile @Nullable Started started;

  /** What start() set up. */
  private record Started(String nodeId, String nodeUrl, Node node, HikariDataSource pool,
      NotificationFeed feed, NodeCommands nodeCommands, ChangePublisher changes, NodeLease keeper,
      ScheduledExecutorService lease,
      ScheduledExecutorService publisher, ExecutorService commands) {}

  /**
   * Creates the store; {@link #start} connects.
   *
   * @param settings the database, node id and lease
   * @param maxClaimed the most downloads this node runs at once, its downloader's limit
   * @param maxFinished the most finished downloads the cluster keeps ({@link FinishedRows})
   * @param host the address the node's HTTP server binds to, for its base URL
   * @param port gives the port the node's HTTP server listens on, known once it is bound
   */
  public PostgresStore(ClusterSettings settings, int maxClaimed, int maxFinished, String host,
      IntSupplier port) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.maxClaimed = maxClaimed;
    this.maxFinished = maxFinished;
    this.host = Objects.requireNonNull(host, "host");
    this.port = Objects.requireNonNull(port, "port");
  }

  @Override
  public void start(Node node) throws IOException {
    String nodeId = settings.nodeIdOn(port.getAsInt());
    String nodeUrl = ClusterSettings.nodeUrl(host, port.getAsInt());
    Properties properties = DatabaseConnections.driverProperties(settings, nodeId);
    HikariDataSource pool = null;
    NotificationFeed feed = null;
    try {
      pool = DatabaseConnections.pool(settings, nodeId, properties, POOL_SIZE);
      try (Connection c = pool.getConnection()) {
        SchemaMigrations.migrate(c);
        int released = DownloadRows.release(c, nodeId);
        if (released > 0) {
          LOG.info("node {}: {} downloads of an earlier run of this node are queued again",
              nodeId, released);
        }
      }
      CommandExchange exchange = new CommandExchange(nodeId);
      feed = new NotificationFeed(settings.jdbcUrl(), properties, new FeedReceiver(nodeId, node,
          list, held, exchange, pool::getConnection, this::wakeClaimer, this::wakeCommands),
          nodeId);
      // Three threads: the watchdog must run on time while a renewal and a claim round both
      // wait for a connection to a database that does not answer.
      ScheduledExecutorService lease = Executors.newScheduledThreadPool(3,
          DaemonThreads.named("rangefetch-cluster-lease-" + nodeId));
      ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor(
          DaemonThreads.named("rangefetch-cluster-publish-" + nodeId));
      ExecutorService commands = Executors.newSingleThreadExecutor(
          DaemonThreads.named("rangefetch-cluster-commands-" + nodeId));
      ChangePublisher changes = new ChangePublisher(nodeId, pool::getConnection);
      started = new Started(nodeId, nodeUrl, node, pool, feed,
          new NodeCommands(nodeId, node, pool, exchange, changes, list,
              id -> settledHere(node, id), this::wakeTrimmer),
          changes,
          new NodeLease(nodeId, settings.lease(), pool, node, held, () -> {
            wakeCommands(); // a notification may have been missed
            wakeClaimer();
          }),
          lease, publisher, commands);
      feed.start(); // listening before the list is read: no change falls in between
      try (Connection c = pool.getConnection()) {
        list.replaceAll(DownloadRows.statuses(c));
      }
      NodeLease keeper = started.keeper();
      long renewEvery = settings.lease().toMillis() / 3;
      lease.scheduleAtFixedRate(keeper::renew, renewEvery, renewEvery, TimeUnit.MILLISECONDS);
      lease.scheduleWithFixedDelay(this::claimRound, 0, CLAIM_POLL_MILLIS, TimeUnit.MILLISECONDS);
      lease.scheduleWithFixedDelay(keeper::watch, WATCHDOG_MILLIS, WATCHDOG_MILLIS,
          TimeUnit.MILLISECONDS);
      wakeTrimmer(); // history.max-finished may be lower than when the list was last trimmed
      publisher.scheduleWithFixedDelay(changes::flush, PUBLISH_MILLIS, PUBLISH_MILLIS,
          TimeUnit.MILLISECONDS);
    } catch (SQLException | RuntimeException e) {
      Started s = started;
      if (s != null) {
        s.lease().shutdownNow();
        s.publisher().shutdownNow();
        s.commands().shutdownNow();
      }
      if (feed != null) {
        feed.close();
      }
      if (pool != null) {
        pool.close();
      }
      started = null;
      throw new StoreUnavailableException("cannot use the cluster store " + settings.jdbcUrl() + ": "
          + DownloadRows.why(e) + "; check that PostgreSQL runs there and that the user and the"
          + " password (RANGEFETCH_CLUSTER_PASSWORD or cluster.password-file) are right", e);
    }
    LOG.info("node {} joined the cluster at {} ({} downloads listed, lease {} s)", nodeId,
        settings.jdbcUrl(), list.newestFirst().size(), settings.lease().toSeconds());
  }

  @Override
  public String nodeId() {
    return require().nodeId();
  }

  @Override
  public String nodeUrl() {
    return require().nodeUrl();
  }

  @Override
  public Added add(String url, Function<String, StoredDownload> newRecord, int maxDownloads) {
    Started s = require();
    Added added;
    try (Connection c = s.pool().getConnection()) {
      added = DownloadRows.add(c, s.nodeId(), url, newRecord, maxDownloads);
    } catch (SQLException e) {
      throw NodeCommands.unreachable(e);
    }
    if (added.created()) {
      list.putIfAbsent(added.status());
      wakeClaimer();
    }
    return added;
  }

  @Override
  public List<StatusJson> list() {
    return list.newestFirst();
  }

  @Override
  public Optional<StatusJson> get(String id) {
    return list.get(id);
  }

  @Override
  public boolean runsHere(String id) {
    return held.contains(id);
  }

  @Override
  public StatusJson command(Op op, String id) {
    return require().nodeCommands().command(op, id);
  }

  @Override
  public StatusJson update(String id, UpdateCommand update) {
    return require().nodeCommands().update(id, update);
  }

  @Override
  public void record(String id, Supplier<StoredDownload> current, boolean now) {
    Started s = require();
    s.changes().record(id, current, now && s.keeper().healthy());
  }

  @Override
  public void changedHere(StatusJson status) {
    if (!held.contains(status.id())) {
      return; // parked, or taken over: the node that holds it now tells its changes
    }
    list.put(status);
    require().changes().status(status);
    if (FREES_A_SLOT.contains(status.state())) {
      wakeClaimer();
      if (!status.state().equals("paused")) {
        wakeTrimmer(); // recorded before this status: the end is in the table
      }
    }
  }

  @Override
  public void removedHere(String id) {
    Started s = require();
    held.remove(id);
    list.remove(id);
    s.changes().forget(id);
    try (Connection c = s.pool().getConnection()) {
      DownloadRows.delete(c, s.nodeId(), id);
    } catch (SQLException e) {
      LOG.error("download {} was removed here, but the database did not take it off the shared"
          + " list ({}); remove it again once the database answers", id, DownloadRows.why(e));
    }
  }

  @Override
  public boolean healthy() {
    Started s = started;
    return s != null && s.keeper().healthy();
  }

  @Override
  public void close() {
    Started s = started;
    if (s == null || closing) {
      return;
    }
    closing = true;
    s.lease().shutdownNow();
    s.commands().shutdownNow();
    s.publisher().shutdownNow();
    awaitQuietly(s.publisher());
    s.changes().flush(); // the last records, before the downloads are handed back
    try (Connection c = s.pool().getConnection()) {
      int released = DownloadRows.release(c, s.nodeId());
      LOG.info("node {} left the cluster; {} unfinished downloads handed back to the queue",
          s.nodeId(), released);
    } catch (SQLException e) {
      LOG.warn("node {} could not hand its downloads back ({}); other nodes take them over once"
          + " its lease lapses", s.nodeId(), DownloadRows.why(e));
    }
    s.feed().close();
    s.pool().close();
  }

  // ---- the node's threads ----

  private void claimRound() {
    claimQueued.set(false);
    Started s = require();
    synchronized (claimLock) {
      if (closing || !s.keeper().mayClaim()) {
        return;
      }
      int free = maxClaimed - s.node().activeHere();
      if (free <= 0) {
        return;
      }
      List<DownloadRows.Claim> claims;
      try (Connection c = s.pool().getConnection()) {
        claims = DownloadRows.claim(c, s.nodeId(), settings.lease(), free);
      } catch (SQLException e) {
        LOG.debug("node {}: no claim this round: {}", s.nodeId(), DownloadRows.why(e));
        return;
      }
      for (DownloadRows.Claim claim : claims) {
        String id = claim.stored().status().id();
        held.add(id);
        String previous = claim.previousOwner();
        if (previous != null && !previous.equals(s.nodeId())) {
          LOG.info("download {}: taking it over from node {}, whose lease lapsed", id, previous);
        }
        try {
          s.node().runClaimed(claim.stored());
        } catch (RuntimeException e) {
          LOG.error("download {}: cannot run it here", id, e);
        }
      }
      if (claims.size() == free) {
        wakeClaimer(); // there may be more
      }
    }
  }

  private void processCommands() {
    commandsQueued.set(false);
    require().nodeCommands().carryOutPending();
  }

  /**
   * Tells whether this node runs the download, once a claim round that may be starting it has
   * done so: the round holds the claim lock from the claim until its downloads are registered,
   * so a command in between would otherwise be applied in the database, and lost when the run
   * records its state.
   */
  private boolean settledHere(Node node, String id) {
    if (!held.contains(id)) {
      return false;
    }
    synchronized (claimLock) {
      return node.hasHere(id);
    }
  }

  // ---- helpers ----

  private void wakeClaimer() {
    Started s = started;
    if (s != null && !closing && claimQueued.compareAndSet(false, true)) {
      try {
        s.lease().execute(this::claimRound);
      } catch (RejectedExecutionException e) {
        claimQueued.set(false); // closing
      }
    }
  }

  /**
   * Trims the history soon, on the lease threads: once for all the downloads that finished
   * meanwhile. A download's end is recorded before its status reaches {@link #changedHere}.
   */
  private void wakeTrimmer() {
    Started s = started;
    if (s != null && !closing && trimQueued.compareAndSet(false, true)) {
      try {
        s.lease().execute(this::trimHistory);
      } catch (RejectedExecutionException e) {
        trimQueued.set(false); // closing
      }
    }
  }

  private void trimHistory() {
    trimQueued.set(false);
    Started s = require();
    try (Connection c = s.pool().getConnection()) {
      List<String> deleted = FinishedRows.trim(c, maxFinished);
      if (!deleted.isEmpty()) {
        LOG.debug("node {}: {} finished downloads left the list (history.max-finished {})",
            s.nodeId(), deleted.size(), maxFinished);
      }
    } catch (SQLException e) {
      LOG.debug("node {}: the history was not trimmed this time: {}", s.nodeId(),
          DownloadRows.why(e));
    }
  }

  private void wakeCommands() {
    Started s = started;
    if (s != null && !closing && commandsQueued.compareAndSet(false, true)) {
      try {
        s.commands().execute(this::processCommands);
      } catch (RejectedExecutionException e) {
        commandsQueued.set(false); // closing
      }
    }
  }

  private Started require() {
    Started s = started;
    if (s == null) {
      throw new IllegalStateException("the cluster store is not started; call start() first");
    }
    return s;
  }

  private static void awaitQuietly(ExecutorService executor) {
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
