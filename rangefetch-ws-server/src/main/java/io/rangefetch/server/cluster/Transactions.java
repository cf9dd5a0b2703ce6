package io.rangefetch.server.cluster;

import java.sql.Connection;
import java.sql.SQLException;

/** Runs work on a connection as one transaction: committed when it returns, else rolled back. */
final class Transactions {
  /** Work done in a transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Work done in a transaction, for its effects alone. */
  @FunctionalInterface
  interface Steps {
    void run(Connection c) throws SQLException;
  }

  private Transactions() {}

  /**
   * Runs {@code steps} in a transaction on {@code c}, as {@link #inTransaction} does.
   *
   * @throws SQLException what the steps or the commit threw, after the rollback
   */
  static void run(Connection c, Steps steps) throws SQLException {
    inTransaction(c, tx -> {
      steps.run(tx);
      return Boolean.TRUE; // nothing to return: the work is its effects
    });
  }

  /**
   * Runs {@code work} in a transaction on {@code c}, and leaves {@code c} in auto-commit.
   *
   * @return what the work returned, once committed
   * @throws SQLException what the work or the commit threw, after the rollback
   */
  static <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
    c.setAutoCommit(false);
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }
}
