package io.rangefetch.server.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the cluster's tables up to the version this server knows: the SQL files
 * {@code V<n>__<name>.sql} beside this class, each run once, in order, and recorded in
 * {@code rangefetch_schema}. Nodes that start at once take turns on an advisory lock, so each
 * file runs once. Thread-safe (stateless).
 */
final class SchemaMigrations {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrations.class);
  /** The versions, in order; a file is never edited once released, a change is a new one. */
  static final List<String> FILES = List.of("V1__downloads.sql", "V2__history.sql",
      "V3__command_args.sql");
  /** An arbitrary key of the advisory lock, the same for every rangefetch server. */
  private static final long LOCK_KEY = 0x7261_6e67_6566_6574L; // "rangefet"

  private SchemaMigrations() {}

  /**
   * Runs the versions the database lacks, in one transaction.
   *
   * @param connection a connection, in auto-commit mode; left so
   * @return the schema version now
   * @throws SQLException if the database refuses
   * @throws IllegalStateException if the database has a newer schema than this server knows
   */
  static int migrate(Connection connection) throws SQLException {
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
      statement.execute("CREATE TABLE IF NOT EXISTS rangefetch_schema (version int PRIMARY KEY,"
          + " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      int current = 0;
      try (ResultSet rs = statement.executeQuery(
          "SELECT coalesce(max(version), 0) FROM rangefetch_schema")) {
        rs.next();
        current = rs.getInt(1);
      }
      if (current > FILES.size()) {
        throw new IllegalStateException("the database has cluster schema version " + current
            + ", newer than this server knows (" + FILES.size() + "); upgrade this server to"
            + " the version of the other nodes");
      }
      for (int version = current + 1; version <= FILES.size(); version++) {
        String name = FILES.get(version - 1);
        statement.execute(read(name));
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO rangefetch_schema (version, name) VALUES (?, ?)")) {
          insert.setInt(1, version);
          insert.setString(2, name);
          insert.executeUpdate();
        }
        LOG.info("cluster schema migrated to version {} ({})", version, name);
      }
      connection.commit();
      return FILES.size();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
  }

  private static String read(String name) {
    try (InputStream in = SchemaMigrations.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the migration " + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the migration " + name + ": " + e, e);
    }
  }
}
