package io.rangefetch.server.cluster;

import io.rangefetch.server.download.SharedStore;
import io.rangefetch.server.protocol.StatusJson;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does with the notifications of the others: shows their changes to its clients,
 * looks for work, carries out the commands sent to it, and wakes the commands it waits for.
 * Called on the feed's thread only.
 */
final class FeedReceiver implements NotificationFeed.Receiver {
  private static final Logger LOG = LoggerFactory.getLogger(FeedReceiver.class);

  private final String nodeId;
  private final SharedStore.Node node;
  private final SharedList list;
  private final Set<String> held;
  private final CommandExchange exchange;
  private final CommandExchange.ConnectionSource connections;
  private final Runnable wakeClaimer;
  private final Runnable wakeCommands;

  /**
   * @param held the downloads this node holds: their statuses here are fresher than any other
   */
  FeedReceiver(String nodeId, SharedStore.Node node, SharedList list, Set<String> held,
      CommandExchange exchange, CommandExchange.ConnectionSource connections,
      Runnable wakeClaimer, Runnable wakeCommands) {
    this.nodeId = nodeId;
    this.node = node;
    this.list = list;
    this.held = held;
    this.exchange = exchange;
    this.connections = connections;
    this.wakeClaimer = wakeClaimer;
    this.wakeCommands = wakeCommands;
  }

  @Override
  public void received(ClusterMessage message) {
    boolean own = message.origin().equals(nodeId);
    switch (message.kind()) {
      case ClusterMessage.STATUS -> {
        if (!own && message.id() != null) {
          StatusJson status = message.status() != null ? message.status() : read(message.id());
          if (status != null) {
            show(status);
          }
        }
      }
      case ClusterMessage.REMOVED -> {
        String id = message.id();
        if (!own && id != null && !list.wasRemoved(id)) {
          held.remove(id);
          node.removedElsewhere(id, () -> list.remove(id));
        }
      }
      case ClusterMessage.QUEUE -> wakeClaimer.run();
      case ClusterMessage.COMMAND -> {
        if (nodeId.equals(message.node())) {
          wakeCommands.run();
        }
      }
      case ClusterMessage.DONE -> {
        Long command = message.command();
        // Command ids are the table's, unique; markers (negative) are each node's own.
        if (command != null && (command > 0 || own)) {
          exchange.done(command);
        }
      }
      default -> LOG.debug("ignoring a cluster message of kind {}", message.kind());
    }
  }

  @Override
  public void reconnected() {
    List<StatusJson> fresh;
    try (Connection c = connections.get()) {
      fresh = DownloadRows.statuses(c);
    } catch (SQLException e) {
      return; // the next reconnection tries again
    }
    Map<String, StatusJson> byId = new HashMap<>();
    fresh.forEach(status -> byId.put(status.id(), status));
    for (StatusJson status : fresh) {
      if (!status.equals(list.get(status.id()).orElse(null))) {
        show(status);
      }
    }
    for (StatusJson known : list.newestFirst()) {
      if (!byId.containsKey(known.id()) && !held.contains(known.id())) {
        node.removedElsewhere(known.id(), () -> list.remove(known.id()));
      }
    }
    wakeClaimer.run();
    wakeCommands.run();
  }

  private void show(StatusJson status) {
    if (held.contains(status.id()) || list.wasRemoved(status.id())) {
      return; // this node's own status is fresher; a removed one stays removed
    }
    StatusJson before = list.get(status.id()).orElse(null);
    if (before != null && isTerminal(before.state()) && status.state().equals("queued")
        && status.node() == null) {
      // The adding node's first status, delivered after the claiming node's last one (two
      // nodes' notifications have no order between them): a download never goes back from an
      // end to the queue without a node.
      return;
    }
    node.changedElsewhere(status, before == null || !before.state().equals(status.state()),
        () -> list.put(status));
  }

  private @Nullable StatusJson read(String id) {
    try (Connection c = connections.get()) {
      return DownloadRows.status(c, id).orElse(null);
    } catch (SQLException e) {
      return null;
    }
  }

  private static boolean isTerminal(String state) {
    return state.equals("completed") || state.equals("failed") || state.equals("cancelled");
  }
}
