package io.rangefetch.server.cluster;

import io.rangefetch.server.protocol.StatusJson;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's copy of the cluster's list: the latest status of every download, loaded from the
 * database at start and kept up to date by the nodes' notifications. Thread-safe.
 */
final class SharedList {
  private static final Comparator<StatusJson> NEWEST_FIRST =
      Comparator.comparingLong((StatusJson s) -> Long.parseLong(s.id())).reversed();

  private final Map<String, StatusJson> byId = new ConcurrentHashMap<>();
  // ids removed: the sequence never gives an id twice, so a status of one of these that comes
  // late (sent before the removal, delivered after) must not bring it back
  private final Set<String> removed = ConcurrentHashMap.newKeySet();

  /**
   * Replaces the whole list, as after a reconnection that may have missed notifications.
   *
   * @param statuses every download
   */
  void replaceAll(List<StatusJson> statuses) {
    Map<String, StatusJson> fresh = new ConcurrentHashMap<>();
    statuses.forEach(s -> fresh.put(s.id(), s));
    byId.keySet().retainAll(fresh.keySet());
    byId.putAll(fresh);
  }

  /**
   * Takes a download's status.
   *
   * @param status its status now
   * @return the status it replaces, if any
   */
  Optional<StatusJson> put(StatusJson status) {
    if (removed.contains(status.id())) {
      return Optional.empty();
    }
    return Optional.ofNullable(byId.put(status.id(), status));
  }

  /**
   * Takes a new download's first status, unless a later one came first: the node that claimed
   * it may have told its progress before the node that added it gets here.
   */
  void putIfAbsent(StatusJson status) {
    if (!removed.contains(status.id())) {
      byId.putIfAbsent(status.id(), status);
    }
  }

  void remove(String id) {
    removed.add(id);
    byId.remove(id);
  }

  /** @return whether the download was removed: its late statuses are ignored */
  boolean wasRemoved(String id) {
    return removed.contains(id);
  }

  Optional<StatusJson> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** @return every download, newest first */
  List<StatusJson> newestFirst() {
    List<StatusJson> list = new ArrayList<>(byId.values());
    list.sort(NEWEST_FIRST);
    return list;
  }
}
