package io.rangefetch.server.download;

import io.rangefetch.server.protocol.StatusJson;

/**
 * Receives the changes of the server's downloads. Implementations must be thread-safe. Calls
 * come one at a time, in the order the statuses were taken, under the service's notification
 * lock. Return quickly: the caller is the downloader's callback thread or a session's thread,
 * and every other notification waits.
 */
public interface StatusListener {

  /**
   * A download was added or changed.
   *
   * @param status its status now
   * @param stateChanged whether its {@code state} differs from the last call (always true for a
   *     new download); such a change must reach every client, a mere progress change may be
   *     superseded by the next
   */
  void changed(StatusJson status, boolean stateChanged);

  /**
   * A download was removed from the list.
   *
   * @param id its id
   */
  void removed(String id);
}
