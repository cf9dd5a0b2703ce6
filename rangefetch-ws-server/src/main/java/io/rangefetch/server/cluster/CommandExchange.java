package io.rangefetch.server.cluster;

import io.rangefetch.server.download.SharedStore;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StatusJson.ErrorJson;
import io.rangefetch.server.protocol.UpdateCommand;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands for a download that runs on another node, table {@code rangefetch_command}: the
 * sender writes a row and notifies the node, which carries it out and writes the result; the
 * sender waits for that. Thread-safe.
 */
final class CommandExchange {
  private static final Logger LOG = LoggerFactory.getLogger(CommandExchange.class);
  /** How long a sender waits for the node that runs the download. */
  static final Duration ANSWER_WAIT = Duration.ofSeconds(20);

  /**
   * A command waiting for this node.
   *
   * @param command the row's id
   * @param downloadId the download's id
   * @param op the command
   * @param update the fields of an {@code update}; null for the other commands
   */
  record Pending(long command, String downloadId, SharedStore.Op op,
      @Nullable UpdateCommand update) {}

  /**
   * What a command did, as the result column holds it.
   *
   * @param status the status afterwards, or null
   * @param error why it was refused, or null
   */
  record Result(@Nullable StatusJson status, @Nullable ErrorJson error) {}

  private final String node;
  // commands sent by this node, by row id, completed when their node notifies "done"; and
  // this node's markers (negative ids), completed when its own feed gets to them
  private final Map<Long, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
  private final AtomicLong markers = new AtomicLong();

  CommandExchange(String node) {
    this.node = node;
  }

  /**
   * Writes a command for {@code owner} and the notification that wakes it, in the caller's
   * transaction, which holds the download's row.
   *
   * @param update the fields of an {@code update}, its {@code args}; null for the others
   * @return the command's row id, to {@link #await}
   */
  long send(Connection c, SharedStore.Op op, @Nullable UpdateCommand update, String id,
      String owner) throws SQLException {
    long command;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO rangefetch_command"
        + " (download_id, node, op, args) VALUES (?, ?, ?, ?::jsonb) RETURNING id")) {
      ps.setLong(1, DownloadRows.number(id));
      ps.setString(2, owner);
      ps.setString(3, op.name());
      ps.setString(4, update == null ? null : DownloadRows.json(update));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        command = rs.getLong(1);
      }
    }
    waiting.put(command, new CompletableFuture<>());
    DownloadRows.notify(c, ClusterMessage.command(node, command, owner));
    return command;
  }

  /**
   * Waits for a command's result.
   *
   * @param connections gives a connection to read the result with
   * @return the status afterwards
   * @throws CommandException the node's refusal, or {@code internal} if it did not answer
   */
  StatusJson await(long command, String owner, ConnectionSource connections) {
    CompletableFuture<Void> done = waiting.getOrDefault(command,
        CompletableFuture.completedFuture(null));
    try {
      done.get(ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Read the row once more below: the notification may have been lost in a reconnection.
    } finally {
      waiting.remove(command);
    }
    Optional<Result> result;
    try (Connection c = connections.get()) {
      // Too late from now on: a node that gets to the command later must not carry it out,
      // as its sender is told it failed. A node that took it already answers below, or not.
      expire(c, command);
      result = result(c, command);
    } catch (SQLException e) {
      throw new CommandException(ErrorCode.INTERNAL, "the database did not answer ("
          + DownloadRows.why(e) + "); try again once it is back");
    }
    Result r = result.orElseThrow(() -> new CommandException(ErrorCode.INTERNAL, "node "
        + owner + ", which runs this download, took the command but did not answer within "
        + ANSWER_WAIT.toSeconds() + " s; it may still be carried out: look at the download's"
        + " status before you try again"));
    if (r.error() != null) {
      throw new CommandException(errorCode(r.error().code()), r.error().message());
    }
    if (r.status() == null) {
      throw new CommandException(ErrorCode.INTERNAL, "node " + owner + " answered without a"
          + " status; report it");
    }
    return r.status();
  }

  /**
   * Notifies a marker in the caller's transaction. This node's feed gets it after every
   * notification sent before it in that transaction, and shows those to this node's clients
   * first: {@link #awaitMark} then returns with the node's list up to date.
   *
   * @return the marker, to {@link #awaitMark}
   */
  long mark(Connection c) throws SQLException {
    long marker = -markers.incrementAndGet();
    waiting.put(marker, new CompletableFuture<>());
    DownloadRows.notify(c, ClusterMessage.done(node, marker));
    return marker;
  }

  /**
   * Waits until this node's feed got the marker.
   *
   * @return false if it did not within {@code wait} (the feed is reconnecting), or the
   *     transaction was rolled back
   */
  boolean awaitMark(long marker, Duration wait) {
    CompletableFuture<Void> seen = waiting.get(marker);
    try {
      if (seen == null) {
        return false;
      }
      seen.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    } finally {
      waiting.remove(marker);
    }
  }

  /** Forgets a marker whose transaction was rolled back. */
  void forget(long marker) {
    waiting.remove(marker);
  }

  /** The node notified that a command of this node is done, or the feed got a marker. */
  void done(long command) {
    CompletableFuture<Void> future = waiting.get(command);
    if (future != null) {
      future.complete(null);
    }
  }

  /** @return the commands waiting for this node, oldest first */
  List<Pending> pending(Connection c) throws SQLException {
    List<Pending> pending = new ArrayList<>();
    List<Long> unreadable = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, download_id, op, args::text FROM"
        + " rangefetch_command WHERE node = ? AND done_at IS NULL ORDER BY id")) {
      ps.setString(1, node);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Optional<Pending> one = read(rs.getLong(1), rs.getLong(2), rs.getString(3),
              rs.getString(4));
          if (one.isPresent()) {
            pending.add(one.get());
          } else {
            unreadable.add(rs.getLong(1));
          }
        }
      }
    }
    // Answered at once, so that one command this node cannot read (from a newer node, during
    // an upgrade) does not hold up the others, nor leave its sender waiting.
    for (long command : unreadable) {
      finish(c, command, new Result(null, new ErrorJson(ErrorCode.BAD_REQUEST.code(), "node "
          + node + " cannot read this command (sent by a node of a newer version?); upgrade"
          + " every node of the cluster to the same version")));
    }
    return pending;
  }

  private Optional<Pending> read(long command, long downloadId, String op,
      @Nullable String args) {
    try {
      return Optional.of(new Pending(command, Long.toString(downloadId),
          SharedStore.Op.valueOf(op),
          args == null ? null : Json.mapper().readValue(args, UpdateCommand.class)));
    } catch (IllegalArgumentException | java.io.IOException e) {
      // Not the arguments: a URL in them may carry a password.
      LOG.warn("command {} for download {}: cannot read its op {} or its arguments ({});"
          + " answered as refused", command, downloadId, op, e.getClass().getSimpleName());
      return Optional.empty();
    }
  }

  /**
   * Takes a command before carrying it out, so that it is carried out once at most: not after
   * its sender gave up on it, and not again when its result could not be written.
   *
   * @return false if it was taken already, or expired
   */
  boolean claim(Connection c, long command) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_command SET done_at ="
        + " now() WHERE id = ? AND done_at IS NULL")) {
      ps.setLong(1, command);
      return ps.executeUpdate() == 1;
    }
  }

  // Answers a command no node has taken yet as failed, for its node not to take it any more.
  private void expire(Connection c, long command) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_command SET done_at ="
        + " now(), result = ?::jsonb WHERE id = ? AND done_at IS NULL")) {
      ps.setString(1, DownloadRows.json(new Result(null, new ErrorJson(
          ErrorCode.INTERNAL.code(), "the node that runs this download did not take the"
              + " command within " + ANSWER_WAIT.toSeconds() + " s; nothing was changed; it"
              + " may be overloaded or cut off from the database; try again, or wait until its"
              + " lease lapses and another node takes the download over"))));
      ps.setLong(2, command);
      ps.executeUpdate();
    }
  }

  /** Writes a command's result and notifies its sender, in one transaction. */
  void finish(Connection c, Pending pending, Result result) throws SQLException {
    finish(c, pending.command(), result);
  }

  private void finish(Connection c, long command, Result result) throws SQLException {
    Transactions.run(c, tx -> {
      try (PreparedStatement ps = tx.prepareStatement("UPDATE rangefetch_command SET done_at ="
          + " now(), result = ?::jsonb WHERE id = ?")) {
        ps.setString(1, DownloadRows.json(result));
        ps.setLong(2, command);
        ps.executeUpdate();
      }
      DownloadRows.notify(tx, ClusterMessage.done(node, command));
    });
  }

  /** Deletes the commands done more than an hour ago. */
  static void purge(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM rangefetch_command"
        + " WHERE done_at < now() - interval '1 hour'")) {
      ps.executeUpdate();
    }
  }

  private static Optional<Result> result(Connection c, long command) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT result::text FROM rangefetch_command"
        + " WHERE id = ? AND result IS NOT NULL")) {
      ps.setLong(1, command);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(Json.mapper().readValue(rs.getString(1), Result.class));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new SQLException("a command's result is not valid: " + e.getOriginalMessage(), e);
      }
    }
  }

  private static ErrorCode errorCode(String code) {
    try {
      return ErrorCode.valueOf(code.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return ErrorCode.INTERNAL;
    }
  }

  /** Where connections come from: the pool. */
  @FunctionalInterface
  interface ConnectionSource {
    Connection get() throws SQLException;
  }
}
