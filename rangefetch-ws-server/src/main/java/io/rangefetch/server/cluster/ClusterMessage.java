package io.rangefetch.server.cluster;

import io.rangefetch.server.protocol.StatusJson;
import org.jspecify.annotations.Nullable;

/**
 * One notification on the cluster's channel, as JSON in the payload of a {@code NOTIFY}.
 * Immutable and thread-safe.
 *
 * @param kind {@code status} (a download changed: {@code status}, or only {@code id} when the
 *     status is too long for a payload and must be read from the table), {@code removed}
 *     ({@code id}), {@code queue} (work to claim), {@code command} (command row
 *     {@code command} waits for node {@code node}) or {@code done} (command row
 *     {@code command} has its result)
 * @param origin the node that sent it, or {@link #TABLE}
 * @param status the download's status, for {@code status}
 * @param id the download's id, for {@code status} and {@code removed}
 * @param command the command row's id, for {@code command} and {@code done}
 * @param node the node that is to carry out a {@code command}
 */
record ClusterMessage(String kind, String origin, @Nullable StatusJson status, @Nullable String id,
    @Nullable Long command, @Nullable String node) {
  static final String CHANNEL = "rangefetch";
  /**
   * The origin of a change applied in the table by a command, for a download no live node
   * holds: every node shows it, the one that applied it included, in the order of the
   * notifications.
   */
  static final String TABLE = "";
  static final String STATUS = "status";
  static final String REMOVED = "removed";
  static final String QUEUE = "queue";
  static final String COMMAND = "command";
  static final String DONE = "done";

  static ClusterMessage status(String origin, StatusJson status) {
    return new ClusterMessage(STATUS, origin, status, status.id(), null, null);
  }

  static ClusterMessage changed(String origin, String id) {
    return new ClusterMessage(STATUS, origin, null, id, null, null);
  }

  static ClusterMessage removed(String origin, String id) {
    return new ClusterMessage(REMOVED, origin, null, id, null, null);
  }

  static ClusterMessage queue(String origin) {
    return new ClusterMessage(QUEUE, origin, null, null, null, null);
  }

  static ClusterMessage command(String origin, long command, String node) {
    return new ClusterMessage(COMMAND, origin, null, null, command, node);
  }

  static ClusterMessage done(String origin, long command) {
    return new ClusterMessage(DONE, origin, null, null, command, null);
  }
}
