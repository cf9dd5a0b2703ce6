package io.rangefetch.server.cluster;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.rangefetch.server.download.SharedStore;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StatusJson.ErrorJson;
import io.rangefetch.server.protocol.StoredDownload;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's list and queue in PostgreSQL, seen from one node: it claims queued downloads
 * up to the node's limit with {@code FOR UPDATE SKIP LOCKED} under a lease it renews, records
 * the node's downloads, and tells the other nodes every change with {@code NOTIFY}.
 * docs/cluster.md explains the design. Thread-safe.
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
  private final String host;
  private final IntSupplier port;
  private final SharedList list = new SharedList();
  // the downloads this node holds (claimed, lease not lost)
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  // guarded by itself: statuses of this node's downloads not yet notified, latest per download
  private final Map<String, StatusJson> unpublished = new LinkedHashMap<>();
  // guarded by writeLock: records not yet written, latest per download
  private final Map<String, Supplier<StoredDownload>> unrecorded = new LinkedHashMap<>();
  // held while a record is taken and written, so that records are written in order
  private final Object writeLock = new Object();
  // held by one claim round at a time: two would both count the same free slots
  private final Object claimLock = new Object();
  private final AtomicBoolean claimQueued = new AtomicBoolean();
  private final AtomicBoolean commandsQueued = new AtomicBoolean();
  private final AtomicBoolean writeWarned = new AtomicBoolean();
  // renewals so far: old commands are purged every hundredth
  private final AtomicLong renewals = new AtomicLong();
  private volatile boolean healthy;
  private volatile boolean parked;
  private volatile boolean closing;
  // System.nanoTime() when the last successful renewal was sent
  private volatile long renewedAt;
  // set once by start(), read by every thread afterwards
  private volatile @Nullable Started started;

  /** What start() set up. */
  private record Started(String nodeId, String nodeUrl, Node node, HikariDataSource pool,
      NotificationFeed feed, CommandExchange exchange, ScheduledExecutorService lease,
      ScheduledExecutorService publisher, ExecutorService commands) {}

  /**
   * Creates the store; {@link #start} connects.
   *
   * @param settings the database, node id and lease
   * @param maxClaimed the most downloads this node runs at once, its downloader's limit
   * @param host the address the node's HTTP server binds to, for its base URL
   * @param port gives the port the node's HTTP server listens on, known once it is bound
   */
  public PostgresStore(ClusterSettings settings, int maxClaimed, String host, IntSupplier port) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.maxClaimed = maxClaimed;
    this.host = Objects.requireNonNull(host, "host");
    this.port = Objects.requireNonNull(port, "port");
  }

  @Override
  public void start(Node node) throws IOException {
    String nodeId = settings.nodeId().orElseGet(() -> hostName() + ":" + port.getAsInt());
    String nodeUrl = "http://" + urlHost() + ":" + port.getAsInt() + "/";
    Properties properties = new Properties();
    settings.password().ifPresent(p -> properties.setProperty("password", p));
    properties.setProperty("ApplicationName", "rangefetch " + nodeId);
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty("connectTimeout", "10");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(settings.jdbcUrl());
    config.setDataSourceProperties(properties);
    config.setPoolName("rangefetch-" + nodeId);
    config.setMaximumPoolSize(POOL_SIZE);
    config.setMinimumIdle(1);
    // Shorter than a third of the lease: a renewal waiting for a connection must fail in time
    // for the node to park its downloads before the lease lapses.
    config.setConnectionTimeout(Math.max(250, settings.lease().toMillis() / 4));
    HikariDataSource pool = null;
    NotificationFeed feed = null;
    try {
      pool = new HikariDataSource(config);
      try (Connection c = pool.getConnection()) {
        SchemaMigrations.migrate(c);
        int released = DownloadRows.release(c, nodeId);
        if (released > 0) {
          LOG.info("node {}: {} downloads of an earlier run of this node are queued again",
              nodeId, released);
        }
      }
      CommandExchange exchange = new CommandExchange(nodeId);
      feed = new NotificationFeed(settings.jdbcUrl(), properties, new Feed(), nodeId);
      ScheduledExecutorService lease = Executors.newScheduledThreadPool(2,
          daemon("rangefetch-cluster-lease-" + nodeId));
      ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor(
          daemon("rangefetch-cluster-publish-" + nodeId));
      ExecutorService commands = Executors.newSingleThreadExecutor(
          daemon("rangefetch-cluster-commands-" + nodeId));
      started = new Started(nodeId, nodeUrl, node, pool, feed, exchange, lease, publisher,
          commands);
      feed.start(); // listening before the list is read: no change falls in between
      try (Connection c = pool.getConnection()) {
        list.replaceAll(DownloadRows.statuses(c));
      }
      healthy = true;
      renewedAt = System.nanoTime();
      long renewEvery = settings.lease().toMillis() / 3;
      lease.scheduleAtFixedRate(this::renew, renewEvery, renewEvery, TimeUnit.MILLISECONDS);
      lease.scheduleWithFixedDelay(this::claimRound, 0, CLAIM_POLL_MILLIS, TimeUnit.MILLISECONDS);
      lease.scheduleWithFixedDelay(this::watchLease, WATCHDOG_MILLIS, WATCHDOG_MILLIS,
          TimeUnit.MILLISECONDS);
      publisher.scheduleWithFixedDelay(this::publish, PUBLISH_MILLIS, PUBLISH_MILLIS,
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
          + e.getMessage() + "; check that PostgreSQL runs there and that the user and the"
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
      throw unreachable(e);
    }
    if (added.created()) {
      list.put(added.status());
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
    Started s = require();
    long sent;
    String owner;
    StatusJson applied;
    try (Connection c = s.pool().getConnection()) {
      c.setAutoCommit(false);
      try {
        DownloadRows.Row row = DownloadRows.lock(c, id).orElseThrow(() -> notFound(id));
        owner = row.owner();
        if (owner != null && row.leaseLive() && !owner.equals(s.nodeId())) {
          sent = s.exchange().send(c, op, id, owner);
          c.commit();
          applied = null;
        } else {
          applied = DownloadRows.applyWithoutOwner(c, s.nodeId(), op, row);
          c.commit();
          sent = -1;
        }
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw unreachable(e);
    }
    if (applied == null) {
      // Waited for with the connection back in the pool. The answer is shown here at once: the
      // owner's own notification of it may come a moment later.
      applied = s.exchange().await(sent, owner, s.pool()::getConnection);
    }
    showHere(s, op, applied);
    return applied;
  }

  /** A command applied in the database by this node: its own clients see it now. */
  private void showHere(Started s, Op op, StatusJson applied) {
    if (op == Op.REMOVE) {
      s.node().removedElsewhere(applied.id(), () -> list.remove(applied.id()));
    } else {
      StatusJson before = list.get(applied.id()).orElse(null);
      s.node().changedElsewhere(applied, before == null
          || !before.state().equals(applied.state()), () -> list.put(applied));
    }
  }

  @Override
  public void record(String id, Supplier<StoredDownload> current, boolean now) {
    Started s = require();
    synchronized (writeLock) {
      if (!now || !healthy) {
        unrecorded.put(id, current);
        return;
      }
      unrecorded.remove(id);
      try (Connection c = s.pool().getConnection()) {
        DownloadRows.write(c, s.nodeId(), List.of(current.get()));
        writeWarned.set(false);
      } catch (SQLException e) {
        unrecorded.put(id, current); // written with the next batch
        warnWrite(e);
      }
    }
  }

  @Override
  public void changedHere(StatusJson status) {
    if (!held.contains(status.id())) {
      return; // parked, or taken over: the node that holds it now tells its changes
    }
    list.put(status);
    synchronized (unpublished) {
      unpublished.put(status.id(), status);
    }
    if (FREES_A_SLOT.contains(status.state())) {
      wakeClaimer();
    }
  }

  @Override
  public void removedHere(String id) {
    Started s = require();
    held.remove(id);
    list.remove(id);
    synchronized (writeLock) {
      unrecorded.remove(id);
    }
    synchronized (unpublished) {
      unpublished.remove(id);
    }
    try (Connection c = s.pool().getConnection()) {
      DownloadRows.delete(c, s.nodeId(), id);
    } catch (SQLException e) {
      LOG.error("download {} was removed here, but the database did not take it off the shared"
          + " list ({}); remove it again once the database answers", id, e.getMessage());
    }
  }

  @Override
  public boolean healthy() {
    return healthy && started != null;
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
    publish(); // the last records, before the downloads are handed back
    try (Connection c = s.pool().getConnection()) {
      int released = DownloadRows.release(c, s.nodeId());
      LOG.info("node {} left the cluster; {} unfinished downloads handed back to the queue",
          s.nodeId(), released);
    } catch (SQLException e) {
      LOG.warn("node {} could not hand its downloads back ({}); other nodes take them over once"
          + " its lease lapses", s.nodeId(), e.getMessage());
    }
    s.feed().close();
    s.pool().close();
  }

  // ---- the node's threads ----

  private void renew() {
    Started s = require();
    long sentAt = System.nanoTime();
    Set<String> stillHeld;
    try (Connection c = s.pool().getConnection()) {
      stillHeld = DownloadRows.renew(c, s.nodeId(), settings.lease());
      if (renewals.incrementAndGet() % 100 == 0) {
        CommandExchange.purge(c);
      }
    } catch (SQLException | RuntimeException e) {
      if (healthy) {
        LOG.warn("node {} cannot renew its lease ({}); it claims nothing new until the database"
            + " answers, and pauses its downloads before the lease lapses", s.nodeId(),
            e.getMessage());
      }
      healthy = false;
      return;
    }
    renewedAt = sentAt;
    if (!healthy) {
      LOG.info("node {}: the database answers again", s.nodeId());
      healthy = true;
    }
    if (parked) {
      parked = false;
      held.addAll(stillHeld);
      s.node().unpark(stillHeld);
    }
    wakeCommands(); // a notification may have been missed
    wakeClaimer();
  }

  /** Parks the node's downloads when the lease may lapse before the next renewal. */
  private void watchLease() {
    long sinceRenewal = System.nanoTime() - renewedAt;
    if (!parked && sinceRenewal > settings.lease().toNanos() * 2 / 3) {
      Started s = require();
      parked = true;
      healthy = false;
      LOG.warn("node {} has not renewed its lease for {} ms; pausing its downloads, which other"
          + " nodes may take over", s.nodeId(), TimeUnit.NANOSECONDS.toMillis(sinceRenewal));
      held.clear();
      s.node().park();
    }
  }

  private void claimRound() {
    claimQueued.set(false);
    Started s = require();
    synchronized (claimLock) {
      if (closing || !healthy || parked) {
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
        LOG.debug("node {}: no claim this round: {}", s.nodeId(), e.getMessage());
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

  private void publish() {
    Started s = require();
    synchronized (writeLock) {
      if (!unrecorded.isEmpty()) {
        Map<String, Supplier<StoredDownload>> batch = new LinkedHashMap<>(unrecorded);
        unrecorded.clear();
        try (Connection c = s.pool().getConnection()) {
          DownloadRows.write(c, s.nodeId(), batch.values().stream().map(Supplier::get).toList());
          writeWarned.set(false);
        } catch (SQLException | RuntimeException e) {
          batch.forEach(unrecorded::putIfAbsent);
          warnWrite(e);
        }
      }
    }
    List<ClusterMessage> messages;
    synchronized (unpublished) {
      messages = new ArrayList<>(unpublished.size());
      for (StatusJson status : unpublished.values()) {
        messages.add(ClusterMessage.status(s.nodeId(), status));
      }
      unpublished.clear();
    }
    if (!messages.isEmpty()) {
      try (Connection c = s.pool().getConnection()) {
        DownloadRows.notifyAll(c, messages);
      } catch (SQLException | RuntimeException e) {
        // Dropped: the next status supersedes them, and other nodes reload on reconnection.
        LOG.debug("node {}: {} statuses not notified: {}", s.nodeId(), messages.size(),
            e.getMessage());
      }
    }
  }

  private void processCommands() {
    commandsQueued.set(false);
    Started s = require();
    List<CommandExchange.Pending> pending;
    try (Connection c = s.pool().getConnection()) {
      pending = s.exchange().pending(c);
    } catch (SQLException e) {
      return; // the next renewal looks again
    }
    for (CommandExchange.Pending p : pending) {
      CommandExchange.Result result;
      try {
        StatusJson status;
        if (held.contains(p.downloadId()) && s.node().hasHere(p.downloadId())) {
          status = s.node().commandHere(p.op(), p.downloadId());
        } else {
          status = applyInDatabase(s, p.op(), p.downloadId());
        }
        result = new CommandExchange.Result(status, null);
      } catch (CommandException e) {
        result = new CommandExchange.Result(null, new ErrorJson(e.code().code(),
            e.getMessage()));
      } catch (RuntimeException e) {
        LOG.error("download {}: the command {} from another node failed", p.downloadId(),
            p.op(), e);
        result = new CommandExchange.Result(null, new ErrorJson(ErrorCode.INTERNAL.code(),
            "node " + s.nodeId() + " failed on this command (" + e.getClass().getSimpleName()
                + "); report it if it happens again"));
      }
      try (Connection c = s.pool().getConnection()) {
        s.exchange().finish(c, p, result);
      } catch (SQLException e) {
        LOG.warn("download {}: the result of {} could not be written ({})", p.downloadId(),
            p.op(), e.getMessage());
      }
    }
  }

  /** A command for a download the database says is this node's, but which it no longer has. */
  private StatusJson applyInDatabase(Started s, Op op, String id) {
    StatusJson applied;
    try (Connection c = s.pool().getConnection()) {
      c.setAutoCommit(false);
      try {
        DownloadRows.Row row = DownloadRows.lock(c, id).orElseThrow(() -> notFound(id));
        applied = DownloadRows.applyWithoutOwner(c, s.nodeId(), op, row);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw unreachable(e);
    }
    showHere(s, op, applied);
    return applied;
  }

  /** Receives the other nodes' notifications, on the feed's thread. */
  private final class Feed implements NotificationFeed.Receiver {
    @Override
    public void received(ClusterMessage message) {
      Started s = require();
      boolean own = message.origin().equals(s.nodeId());
      switch (message.kind()) {
        case ClusterMessage.STATUS -> {
          if (!own && message.id() != null) {
            StatusJson status = message.status() != null ? message.status()
                : read(s, message.id());
            if (status != null) {
              showChange(s, status);
            }
          }
        }
        case ClusterMessage.REMOVED -> {
          String id = message.id();
          if (!own && id != null && !list.wasRemoved(id)) {
            held.remove(id);
            s.node().removedElsewhere(id, () -> list.remove(id));
          }
        }
        case ClusterMessage.QUEUE -> wakeClaimer();
        case ClusterMessage.COMMAND -> {
          if (s.nodeId().equals(message.node())) {
            wakeCommands();
          }
        }
        case ClusterMessage.DONE -> {
          if (message.command() != null) {
            s.exchange().done(message.command());
          }
        }
        default -> LOG.debug("ignoring a cluster message of kind {}", message.kind());
      }
    }

    @Override
    public void reconnected() {
      Started s = require();
      List<StatusJson> fresh;
      try (Connection c = s.pool().getConnection()) {
        fresh = DownloadRows.statuses(c);
      } catch (SQLException e) {
        return; // the next reconnection tries again
      }
      Map<String, StatusJson> byId = new HashMap<>();
      fresh.forEach(status -> byId.put(status.id(), status));
      for (StatusJson status : fresh) {
        if (!status.equals(list.get(status.id()).orElse(null))) {
          showChange(s, status);
        }
      }
      for (StatusJson known : list.newestFirst()) {
        if (!byId.containsKey(known.id()) && !held.contains(known.id())) {
          s.node().removedElsewhere(known.id(), () -> list.remove(known.id()));
        }
      }
      wakeClaimer();
      wakeCommands();
    }

    private void showChange(Started s, StatusJson status) {
      if (held.contains(status.id()) || list.wasRemoved(status.id())) {
        return; // this node's own status is fresher; a removed one stays removed
      }
      StatusJson before = list.get(status.id()).orElse(null);
      s.node().changedElsewhere(status, before == null
          || !before.state().equals(status.state()), () -> list.put(status));
    }

    private @Nullable StatusJson read(Started s, String id) {
      try (Connection c = s.pool().getConnection()) {
        return DownloadRows.status(c, id).orElse(null);
      } catch (SQLException e) {
        return null;
      }
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

  private void warnWrite(Exception e) {
    if (writeWarned.compareAndSet(false, true)) {
      LOG.warn("cannot record downloads in the database ({}); retrying with the next changes",
          e.getMessage());
    }
  }

  private Started require() {
    Started s = started;
    if (s == null) {
      throw new IllegalStateException("the cluster store is not started; call start() first");
    }
    return s;
  }

  private static CommandException notFound(String id) {
    return new CommandException(ErrorCode.NOT_FOUND, "no download has id \"" + id
        + "\"; send {\"op\":\"list\"} to see the ids");
  }

  private static CommandException unreachable(SQLException e) {
    return new CommandException(ErrorCode.INTERNAL, "the cluster's database did not answer ("
        + e.getMessage() + "); nothing was changed; try again once it is back");
  }

  private String urlHost() {
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      return hostName();
    }
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  private static ThreadFactory daemon(String name) {
    return runnable -> {
      Thread t = new Thread(runnable, name);
      t.setDaemon(true);
      return t;
    };
  }

  private static void awaitQuietly(ExecutorService executor) {
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
