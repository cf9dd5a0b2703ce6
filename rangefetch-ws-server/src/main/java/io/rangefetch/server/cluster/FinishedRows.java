package io.rangefetch.server.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's history: beyond {@code history.max-finished}, the finished downloads
 * (completed, failed, cancelled) that finished first leave the shared list, as aria2 drops its
 * oldest download results ({@code --max-download-result}). Their files stay on the disks of
 * their nodes. Every node sees the removals through the feed, as removals by a command applied
 * in the table. Thread-safe (stateless).
 */
final class FinishedRows {
  static final String FINISHED = "('completed', 'failed', 'cancelled')";

  private FinishedRows() {}

  /**
   * Deletes the finished downloads beyond {@code maxFinished}, the first to finish first (the
   * row's last change is its end), and tells every node; commits.
   *
   * @param c a connection in auto-commit mode; left so
   * @param maxFinished the most finished downloads kept
   * @return the ids deleted
   */
  static List<String> trim(Connection c, int maxFinished) throws SQLException {
    return Transactions.inTransaction(c, tx -> {
      List<String> deleted = new ArrayList<>();
      try (PreparedStatement ps = tx.prepareStatement("DELETE FROM rangefetch_download WHERE id"
          + " IN (SELECT id FROM rangefetch_download WHERE state IN " + FINISHED
          + " ORDER BY updated_at DESC, id DESC OFFSET ?) RETURNING id")) {
        ps.setInt(1, maxFinished);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            deleted.add(Long.toString(rs.getLong(1)));
          }
        }
      }
      if (!deleted.isEmpty()) {
        DownloadRows.notifyAll(tx, deleted.stream()
            .map(id -> ClusterMessage.removed(ClusterMessage.TABLE, id)).toList());
      }
      return deleted;
    });
  }

  /**
   * Counts the downloads of the cluster that are not finished, for the hard limit of an add.
   *
   * @param c a connection
   * @return queued, running and paused downloads
   */
  static long unfinished(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT count(*) FROM rangefetch_download WHERE state NOT IN " + FINISHED);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
