package io.rangefetch.server.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.rangefetch.server.download.SharedStore;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StoredDownload;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The SQL of the shared list and queue, table {@code rangefetch_download}: adding, claiming
 * under a lease, renewing and handing back, recording, and the commands applied in the
 * database when no live node holds the download. Each method runs on the connection given, in
 * its transaction if one is open. Thread-safe (stateless).
 */
final class DownloadRows {
  /** The states a node works on: claimable once their owner's lease has lapsed. */
  private static final String ACTIVE = "('queued', 'probing', 'downloading')";
  private static final String LIVE_URL = "state NOT IN ('failed', 'cancelled')";
  /** A payload must stay under PostgreSQL's 8000 bytes; a longer status is read from the table. */
  private static final int MAX_PAYLOAD = 7900;
  /** PostgreSQL's SQLSTATE of a unique index that refused a row. */
  private static final String UNIQUE_VIOLATION = "23505";

  /**
   * A download claimed by this node.
   *
   * @param stored its record
   * @param previousOwner the node whose lease lapsed, or null if it was queued
   */
  record Claim(StoredDownload stored, @Nullable String previousOwner) {}

  /**
   * A download's row, locked for a command.
   *
   * @param owner the node that holds it, or null
   * @param leaseLive whether the owner's lease is still running
   * @param stored its record
   */
  record Row(@Nullable String owner, boolean leaseLive, StoredDownload stored) {}

  private DownloadRows() {}

  static List<StatusJson> statuses(Connection c) throws SQLException {
    List<StatusJson> statuses = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT record::text FROM rangefetch_download");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        statuses.add(parse(rs.getString(1)).status());
      }
    }
    return statuses;
  }

  static Optional<StatusJson> status(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT record::text FROM rangefetch_download WHERE id = ?")) {
      ps.setLong(1, number(id));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(parse(rs.getString(1)).status()) : Optional.empty();
      }
    }
  }

  /** Adds a queued download, or finds the live one of the URL; commits. */
  static SharedStore.Added add(Connection c, String origin, String url,
      Function<String, StoredDownload> newRecord, int maxDownloads) throws SQLException {
    c.setAutoCommit(false);
    try {
      Optional<StatusJson> existing = liveOf(c, url);
      if (existing.isPresent() && !existing.get().fileMissing()) {
        c.commit();
        return new SharedStore.Added(existing.get(), false);
      }
      if (existing.isPresent()) {
        // Its file is gone from its node's disk: a new download replaces it, on every node.
        delete(c, ClusterMessage.TABLE, existing.get().id());
      }
      if (FinishedRows.unfinished(c) >= maxDownloads) {
        throw new CommandException(ErrorCode.LIMIT, "the cluster has " + maxDownloads
            + " unfinished downloads, its limit (security.max-downloads); wait for some to"
            + " finish, or cancel some with {\"op\":\"cancel\",\"id\":\"...\"}");
      }
      long id;
      try (PreparedStatement ps = c.prepareStatement("SELECT nextval('rangefetch_download_id')");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
      StoredDownload record = newRecord.apply(Long.toString(id));
      int inserted;
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO rangefetch_download"
          + " (id, url, state, record) VALUES (?, ?, ?, ?::jsonb)"
          + " ON CONFLICT (md5(url)) WHERE " + LIVE_URL + " DO NOTHING")) {
        ps.setLong(1, id);
        ps.setString(2, url);
        ps.setString(3, record.status().state());
        ps.setString(4, json(record));
        inserted = ps.executeUpdate();
      }
      if (inserted == 0) {
        // Another node added the same URL a moment ago: its download is the one.
        StatusJson theirs = liveOf(c, url).orElseThrow(() -> new SQLException(
            "the download of " + url + " was added and removed at once"));
        c.commit();
        return new SharedStore.Added(theirs, false);
      }
      notify(c, ClusterMessage.status(origin, record.status()));
      notify(c, ClusterMessage.queue(origin));
      c.commit();
      return new SharedStore.Added(record.status(), true);
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private static Optional<StatusJson> liveOf(Connection c, String url) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT record::text FROM rangefetch_download"
        + " WHERE md5(url) = md5(?) AND url = ? AND " + LIVE_URL)) {
      ps.setString(1, url);
      ps.setString(2, url);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(parse(rs.getString(1)).status()) : Optional.empty();
      }
    }
  }

  /**
   * Claims up to {@code count} downloads that are queued, or whose owner's lease has lapsed,
   * oldest first; rows another node is claiming at this moment are skipped, not waited for.
   */
  static List<Claim> claim(Connection c, String node, Duration lease, int count)
      throws SQLException {
    List<Claim> claims = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("WITH free AS (SELECT id, owner AS was"
        + " FROM rangefetch_download WHERE state IN " + ACTIVE
        + " AND (owner IS NULL OR lease_until IS NULL OR lease_until < now())"
        + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)"
        + " UPDATE rangefetch_download d SET owner = ?,"
        + " lease_until = now() + ? * interval '1 millisecond'"
        + " FROM free WHERE d.id = free.id RETURNING d.record::text, free.was")) {
      ps.setInt(1, count);
      ps.setString(2, node);
      ps.setLong(3, lease.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          claims.add(new Claim(parse(rs.getString(1)), rs.getString(2)));
        }
      }
    }
    claims.sort(Comparator.comparingLong(claim -> number(claim.stored().status().id())));
    return claims;
  }

  /** Renews the lease of every row this node holds. @return their ids */
  static Set<String> renew(Connection c, String node, Duration lease) throws SQLException {
    Set<String> held = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_download"
        + " SET lease_until = now() + ? * interval '1 millisecond' WHERE owner = ? RETURNING id")) {
      ps.setLong(1, lease.toMillis());
      ps.setString(2, node);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          held.add(Long.toString(rs.getLong(1)));
        }
      }
    }
    return held;
  }

  /** Hands this node's unfinished downloads back to the queue, and wakes the claimers. */
  static int release(Connection c, String node) throws SQLException {
    int released;
    try (PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_download"
        + " SET owner = NULL, lease_until = NULL WHERE owner = ? AND state IN " + ACTIVE)) {
      ps.setString(1, node);
      released = ps.executeUpdate();
    }
    if (released > 0) {
      notify(c, ClusterMessage.queue(node));
    }
    return released;
  }

  /**
   * Writes the records of downloads this node holds; a row another node has taken over is left
   * alone.
   */
  static void write(Connection c, String node, List<StoredDownload> records) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_download SET record ="
        + " ?::jsonb, state = ?, updated_at = now() WHERE id = ? AND owner = ?")) {
      for (StoredDownload record : records) {
        ps.setString(1, json(record));
        ps.setString(2, record.status().state());
        ps.setLong(3, number(record.status().id()));
        ps.setString(4, node);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Deletes a download, and tells the nodes; {@code node} is the origin of the notification. */
  static void delete(Connection c, String node, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM rangefetch_download WHERE id = ?")) {
      ps.setLong(1, number(id));
      ps.executeUpdate();
    }
    notify(c, ClusterMessage.removed(node, id));
  }

  /** Locks a download's row until the transaction ends. */
  static Optional<Row> lock(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT owner, coalesce(lease_until > now(),"
        + " false), record::text FROM rangefetch_download WHERE id = ? FOR UPDATE")) {
      ps.setLong(1, number(id));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Row(rs.getString(1), rs.getBoolean(2), parse(rs.getString(3))));
      }
    }
  }

  /**
   * Carries out a command in the database, for a download no live node holds (queued, or its
   * node stopped or died): the next node to claim it goes on from the new state.
   *
   * @param row the download's row, locked by {@link #lock}
   * @return the status afterwards; for {@code remove} the last one
   * @throws CommandException {@code conflict} if the command does not fit the state
   */
  static StatusJson applyWithoutOwner(Connection c, SharedStore.Op op, Row row)
      throws SQLException {
    String origin = ClusterMessage.TABLE;
    StoredDownload stored = row.stored();
    StatusJson status = stored.status();
    String state = status.state();
    boolean ended = state.equals("completed") || state.equals("failed")
        || state.equals("cancelled");
    String next = switch (op) {
      case PAUSE -> {
        refuseIf(ended, status, "pause");
        yield state.equals("paused") ? null : "paused";
      }
      case RESUME -> {
        refuseIf(ended, status, "resume");
        yield state.equals("paused") ? "queued" : null;
      }
      case CANCEL -> {
        refuseIf(state.equals("completed") || state.equals("failed"), status, "cancel");
        yield state.equals("cancelled") ? null : "cancelled";
      }
      case REMOVE -> null;
      case UPDATE -> throw new IllegalArgumentException("an update carries its fields;"
          + " use applyUpdate");
    };
    if (op == SharedStore.Op.REMOVE) {
      delete(c, origin, status.id());
      return status;
    }
    if (next == null) {
      return status;
    }
    StatusJson changed = withState(status, next);
    // Everything asked for is kept: headers, directory and rate limit too.
    StoredDownload record = stored.withStatus(changed);
    // A resumed download goes back to the queue, for any node; the others keep their owner,
    // whose disk holds the part file.
    try (PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_download SET record ="
        + " ?::jsonb, state = ?, updated_at = now(),"
        + " owner = CASE WHEN ? THEN NULL ELSE owner END WHERE id = ?")) {
      ps.setString(1, json(record));
      ps.setString(2, next);
      ps.setBoolean(3, next.equals("queued"));
      ps.setLong(4, number(status.id()));
      ps.executeUpdate();
    }
    notify(c, ClusterMessage.status(origin, changed));
    if (next.equals("queued")) {
      notify(c, ClusterMessage.queue(origin));
    }
    return changed;
  }

  /**
   * Writes the record of a download no live node holds, changed by an {@code update}
   * ({@link SharedStore.Node#updateRecord}), and tells the nodes: the next node to claim it
   * runs from the new URL, mirrors and limit. A failed download it queued again goes back to the
   * queue, for any node, as a resumed one does.
   *
   * @param row the download's row, locked by {@link #lock}
   * @param updated its record afterwards
   * @return the status afterwards
   * @throws CommandException {@code conflict} if the download would take the URL of another
   *     download of the cluster that is not failed or cancelled
   */
  static StatusJson applyUpdate(Connection c, Row row, StoredDownload updated)
      throws SQLException {
    StatusJson status = updated.status();
    if (updated.equals(row.stored())) {
      return status;
    }
    boolean queuedAgain = status.state().equals("queued")
        && !row.stored().status().state().equals("queued");
    // Its own URL (of the unique index of live URLs) stays the one it was added with, as when
    // the node that runs a download takes an update.
    try (PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_download SET record ="
        + " ?::jsonb, state = ?, updated_at = now(),"
        + " owner = CASE WHEN ? THEN NULL ELSE owner END WHERE id = ?")) {
      ps.setString(1, json(updated));
      ps.setString(2, status.state());
      ps.setBoolean(3, queuedAgain);
      ps.setLong(4, number(status.id()));
      ps.executeUpdate();
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
        throw new CommandException(ErrorCode.CONFLICT, "download " + status.id() + " cannot run"
            + " again: the cluster has another download of " + row.stored().status().url()
            + " that is not failed or cancelled; remove one of them");
      }
      throw e;
    }
    notify(c, ClusterMessage.status(ClusterMessage.TABLE, status));
    if (queuedAgain) {
      notify(c, ClusterMessage.queue(ClusterMessage.TABLE));
    }
    return status;
  }

  private static void refuseIf(boolean refused, StatusJson status, String op) {
    if (refused) {
      throw new CommandException(ErrorCode.CONFLICT, "download " + status.id() + " is "
          + status.state() + ", so it cannot " + op + "; " + (op.equals("cancel")
              ? "use remove to take it off the list" : "add the URL again to download it anew"));
    }
  }

  /** The status with another state and nothing running. */
  private static StatusJson withState(StatusJson s, String state) {
    return new StatusJson(s.id(), s.url(), s.finalUrl(), state, s.size(), s.rangesSupported(), 0,
        s.maxThreads(), s.chunkBytes(), s.bytesDone(), s.progress(), null, null, s.fileName(),
        s.file(), s.sha256(), s.error(), s.createdAt(),
        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), s.node(), s.fileUrl(),
        s.fileMissing(), s.limitBps(), null, s.mirrors());
  }

  /** Sends a notification on the cluster's channel when the transaction commits. */
  static void notify(Connection c, ClusterMessage message) throws SQLException {
    String payload = json(message);
    if (payload.length() > MAX_PAYLOAD && message.id() != null) {
      payload = json(ClusterMessage.changed(message.origin(), message.id()));
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, ClusterMessage.CHANNEL);
      ps.setString(2, payload);
      ps.execute();
    }
  }

  /** Sends several notifications in one statement. */
  static void notifyAll(Connection c, List<ClusterMessage> messages) throws SQLException {
    String[] payloads = new String[messages.size()];
    for (int i = 0; i < payloads.length; i++) {
      ClusterMessage m = messages.get(i);
      String payload = json(m);
      payloads[i] = payload.length() > MAX_PAYLOAD && m.id() != null
          ? json(ClusterMessage.changed(m.origin(), m.id())) : payload;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT pg_notify(?, p) FROM unnest(?::text[]) AS p")) {
      ps.setString(1, ClusterMessage.CHANNEL);
      ps.setArray(2, c.createArrayOf("text", payloads));
      ps.execute();
    }
  }

  static StoredDownload parse(String json) throws SQLException {
    try {
      return Json.mapper().readValue(json, StoredDownload.class);
    } catch (JsonProcessingException e) {
      throw new SQLException("a download's record in the database is not valid: "
          + e.getOriginalMessage(), e);
    }
  }

  static String json(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  /**
   * Says why a database call failed, for a log line or a client: without the statement of a
   * batch, whose parameters hold the downloads' URLs with their credentials.
   */
  static String why(Exception e) {
    if (e instanceof java.sql.BatchUpdateException batch && batch.getNextException() != null) {
      return String.valueOf(batch.getNextException().getMessage());
    }
    return e instanceof java.sql.BatchUpdateException ? "a batch of writes failed"
        : String.valueOf(e.getMessage());
  }

  /** Ids are numbers of the sequence; anything else is no download's id. */
  static long number(String id) {
    try {
      return Long.parseLong(id);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
