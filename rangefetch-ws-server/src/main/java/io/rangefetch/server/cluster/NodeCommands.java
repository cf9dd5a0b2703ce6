package io.rangefetch.server.cluster;

import io.rangefetch.server.download.SharedStore;
import io.rangefetch.server.download.SharedStore.Op;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StatusJson.ErrorJson;
import io.rangefetch.server.protocol.StoredDownload;
import io.rangefetch.server.protocol.UpdateCommand;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pause, resume, cancel, remove and update of the cluster's downloads as one node carries
 * them out: on a download it runs, at once; sent to the node that holds the download; or applied
 * in the table to a download no live node holds. The commands other nodes sent to this one go
 * the same way. Thread-safe.
 */
final class NodeCommands {
  private static final Logger LOG = LoggerFactory.getLogger(NodeCommands.class);
  /** How long a command applied in the table waits for this node's feed to show it. */
  private static final Duration MARK_WAIT = Duration.ofSeconds(5);

  private final String nodeId;
  private final SharedStore.Node node;
  private final DataSource pool;
  private final CommandExchange exchange;
  private final ChangePublisher changes;
  private final SharedList list;
  private final Predicate<String> settledHere;
  private final Runnable afterCancel;

  /**
   * Creates the commands of one node.
   *
   * @param settledHere whether this node runs the download, once a claim round that may be
   *     starting it has done so
   * @param afterCancel called after a cancel was applied in the table: the history may be trimmed
   */
  NodeCommands(String nodeId, SharedStore.Node node, DataSource pool, CommandExchange exchange,
      ChangePublisher changes, SharedList list, Predicate<String> settledHere,
      Runnable afterCancel) {
    this.nodeId = nodeId;
    this.node = node;
    this.pool = pool;
    this.exchange = exchange;
    this.changes = changes;
    this.list = list;
    this.settledHere = settledHere;
    this.afterCancel = afterCancel;
  }

  /** Carries out a command of this node's clients; see {@link SharedStore#command}. */
  StatusJson command(Op op, String id) {
    return command(op, null, id);
  }

  /** Carries out an update of this node's clients; see {@link SharedStore#update}. */
  StatusJson update(String id, UpdateCommand update) {
    return command(Op.UPDATE, update, id);
  }

  /** @param update the fields of an {@code update}; null for the other commands */
  private StatusJson command(Op op, @Nullable UpdateCommand update, String id) {
    if (settledHere.test(id)) {
      return here(op, update, id); // claimed here while the service looked
    }
    long sent = 0;
    long marker = 0;
    String owner;
    StatusJson applied = null;
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        DownloadRows.Row row = DownloadRows.lock(c, id).orElseThrow(() -> notFound(id));
        owner = row.owner();
        if (owner != null && row.leaseLive() && !owner.equals(nodeId)) {
          sent = exchange.send(c, op, update, id, owner);
        } else {
          applied = applyWithoutOwner(c, op, update, row);
          marker = exchange.mark(c);
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        exchange.forget(sent);
        exchange.forget(marker);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw unreachable(e);
    }
    if (applied == null) {
      // Waited for with the connection back in the pool. The owner notifies the change before
      // its answer, so this node's list shows it by the time the answer comes.
      // Sent to the owner: owner is set whenever nothing was applied here.
      return exchange.await(sent, Objects.requireNonNull(owner), pool::getConnection);
    }
    // Shown by this node's feed, in order with the other nodes' changes; directly only if the
    // feed is not there to show it.
    if (!exchange.awaitMark(marker, MARK_WAIT)) {
      showHere(op, applied);
    }
    if (op == Op.CANCEL) {
      afterCancel.run();
    }
    return applied;
  }

  /** A change applied in the table by this node, shown to its clients without the feed. */
  private void showHere(Op op, StatusJson applied) {
    if (op == Op.REMOVE) {
      node.removedElsewhere(applied.id(), () -> list.remove(applied.id()));
    } else {
      StatusJson before = list.get(applied.id()).orElse(null);
      node.changedElsewhere(applied, before == null
          || !before.state().equals(applied.state()), () -> list.put(applied));
    }
  }

  /** Carries out the commands other nodes sent to this one, and answers each. */
  void carryOutPending() {
    List<CommandExchange.Pending> pending;
    try (Connection c = pool.getConnection()) {
      pending = exchange.pending(c);
    } catch (SQLException e) {
      return; // the next renewal looks again
    }
    for (CommandExchange.Pending p : pending) {
      try (Connection c = pool.getConnection()) {
        if (!exchange.claim(c, p.command())) {
          continue; // its sender gave up waiting: too late to carry it out
        }
      } catch (SQLException e) {
        return; // the next renewal looks again
      }
      CommandExchange.Result result;
      try {
        StatusJson status;
        if (settledHere.test(p.downloadId())) {
          status = here(p.op(), p.update(), p.downloadId());
        } else {
          status = applyInDatabase(p.op(), p.update(), p.downloadId());
          if (p.op() == Op.CANCEL) {
            afterCancel.run();
          }
        }
        result = new CommandExchange.Result(status, null);
      } catch (CommandException e) {
        result = new CommandExchange.Result(null, new ErrorJson(e.code().code(),
            DownloadRows.why(e)));
      } catch (RuntimeException e) {
        LOG.error("download {}: the command {} from another node failed", p.downloadId(),
            p.op(), e);
        result = new CommandExchange.Result(null, new ErrorJson(ErrorCode.INTERNAL.code(),
            "node " + nodeId + " failed on this command (" + e.getClass().getSimpleName()
                + "); report it if it happens again"));
      }
      // The change is notified before the answer: the sender's list shows it once answered.
      changes.flush();
      try (Connection c = pool.getConnection()) {
        exchange.finish(c, p, result);
      } catch (SQLException e) {
        LOG.warn("download {}: the result of {} could not be written ({})", p.downloadId(),
            p.op(), DownloadRows.why(e));
      }
    }
  }

  /** A command for a download the database says is this node's, but which it no longer has. */
  private StatusJson applyInDatabase(Op op, @Nullable UpdateCommand update, String id) {
    try (Connection c = pool.getConnection()) {
      // Shown by the feeds of every node, this one included, before the sender's answer.
      return Transactions.inTransaction(c, tx -> applyWithoutOwner(tx, op, update,
          DownloadRows.lock(tx, id).orElseThrow(() -> notFound(id))));
    } catch (SQLException e) {
      throw unreachable(e);
    }
  }

  /** A command on a download this node holds, as its own clients' commands are carried out. */
  private StatusJson here(Op op, @Nullable UpdateCommand update, String id) {
    return op == Op.UPDATE ? node.updateHere(id, requireFields(update)) : node.commandHere(op, id);
  }

  /** A command applied in the table, to a download no live node holds. */
  private StatusJson applyWithoutOwner(Connection c, Op op, @Nullable UpdateCommand update,
      DownloadRows.Row row) throws SQLException {
    if (op != Op.UPDATE) {
      return DownloadRows.applyWithoutOwner(c, op, row);
    }
    StoredDownload updated = node.updateRecord(row.stored(), requireFields(update));
    return DownloadRows.applyUpdate(c, row, updated);
  }

  private static UpdateCommand requireFields(@Nullable UpdateCommand update) {
    return Objects.requireNonNull(update, "an update without its fields");
  }

  private static CommandException notFound(String id) {
    return new CommandException(ErrorCode.NOT_FOUND, "no download has id \"" + id
        + "\"; send {\"op\":\"list\"} to see the ids");
  }

  /** The error of a command that found the database down: nothing was changed. */
  static CommandException unreachable(SQLException e) {
    return new CommandException(ErrorCode.INTERNAL, "the cluster's database did not answer ("
        + DownloadRows.why(e) + "); nothing was changed; try again once it is back");
  }
}
