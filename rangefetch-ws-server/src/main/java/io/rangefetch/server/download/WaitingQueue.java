package io.rangefetch.server.download;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadState;
import io.rangefetch.RangeDownloader;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StatusJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The order of the waiting downloads (queued or paused) of a server on its own: the order in
 * which they start, which a client may change ({@code aria2.changePosition}). A download keeps
 * its place while it waits, paused or not; one that starts waiting (added, or paused while it
 * ran) goes last. The core is told the order of those waiting for a slot, so it starts them in
 * this order. A server on its own keeps the order across restarts ({@link QueueOrderFile}).
 * Thread-safe.
 */
final class WaitingQueue {
  private final RangeDownloader downloader;
  private final DownloadRegistry registry;
  private final QueueOrderFile file;
  // guarded by this: the ids of the waiting downloads as last arranged, front first
  private List<String> order = new ArrayList<>();
  // guarded by this: a client has changed the order, in this run or an earlier one; until then
  // the order is that of adding, which a restart gives without the file
  private boolean moved;

  WaitingQueue(RangeDownloader downloader, DownloadRegistry registry, Path downloadDir) {
    this.downloader = downloader;
    this.registry = registry;
    this.file = new QueueOrderFile(downloadDir);
  }

  /**
   * Puts the downloads of the state file in the order in which they are to be started again:
   * those that ran when the server stopped first, then the waiting ones in the order last
   * written, then those that started waiting after it was written.
   *
   * @param restored the downloads of the state file, oldest first
   * @return the same downloads in that order
   */
  synchronized List<ServerDownload> restore(List<ServerDownload> restored) {
    order = new ArrayList<>(file.read());
    moved = !order.isEmpty();
    Map<String, Integer> place = new HashMap<>();
    for (int i = 0; i < order.size(); i++) {
      place.put(order.get(i), i);
    }
    List<ServerDownload> sorted = new ArrayList<>(restored);
    sorted.sort(Comparator.comparingInt((ServerDownload d) -> switch (d.state()) {
      case PROBING, DOWNLOADING -> -1;
      default -> place.getOrDefault(d.id(), Integer.MAX_VALUE);
    }));
    return sorted;
  }

  /** Writes the order, if a client ever changed it, for the next start; called at the stop. */
  synchronized void save() {
    if (moved) {
      file.write(waiting().stream().map(ServerDownload::id).toList());
    }
  }

  /**
   * Returns the waiting downloads, the next to start first.
   *
   * @return queued and paused downloads
   */
  synchronized List<ServerDownload> waiting() {
    Map<String, ServerDownload> now = new LinkedHashMap<>();
    for (ServerDownload d : registry.oldestFirst()) {
      DownloadState state = d.state();
      if (state == DownloadState.QUEUED || state == DownloadState.PAUSED) {
        now.put(d.id(), d);
      }
    }
    List<String> next = new ArrayList<>(now.size());
    for (String id : order) {
      if (now.containsKey(id)) {
        next.add(id);
      }
    }
    Set<String> placed = new HashSet<>(next);
    for (String id : now.keySet()) {
      if (!placed.contains(id)) {
        next.add(id); // started waiting since the last look: last
      }
    }
    order = next;
    return next.stream().map(now::get).toList();
  }

  /**
   * Moves a waiting download, as aria2's {@code changePosition} does: the position is clamped
   * to the queue.
   *
   * @param download the download
   * @param offset the position, or the distance from {@code anchor}
   * @param anchor where {@code offset} counts from
   * @return its position afterwards, 0 for the next to start, or -1 if it is not waiting
   */
  synchronized int move(ServerDownload download, long offset, QueueAnchor anchor) {
    List<ServerDownload> queue = new ArrayList<>(waiting());
    int current = queue.indexOf(download);
    if (current < 0) {
      return -1;
    }
    long last = queue.size() - 1L;
    long wanted = switch (anchor) {
      case START -> offset;
      case CURRENT -> current + offset;
      case END -> last + offset;
    };
    int target = (int) Math.max(0, Math.min(last, wanted));
    queue.add(target, queue.remove(current));
    order = new ArrayList<>(queue.stream().map(ServerDownload::id).toList());
    moved = true;
    file.write(order); // before the reply: a move survives a crash
    tellCore(queue);
    return target;
  }

  /**
   * Moves a waiting download ({@link #move}), or says why it cannot.
   *
   * @param download the download, or null in a cluster
   * @param id its id, for the message
   * @throws CommandException {@code conflict} in a cluster, or if it is not waiting
   */
  int moveOrRefuse(@Nullable ServerDownload download, String id, long offset, QueueAnchor anchor) {
    if (download == null) {
      throw new CommandException(ErrorCode.CONFLICT, "the nodes of a cluster start waiting"
          + " downloads in the order they were added; the queue cannot be reordered");
    }
    int position = move(download, offset, anchor);
    if (position < 0) {
      throw new CommandException(ErrorCode.CONFLICT, "download " + id + " is not waiting (queued"
          + " or paused), so it has no place in the queue");
    }
    return position;
  }

  /**
   * The waiting downloads of a cluster's list, oldest first: the order in which nodes claim them.
   *
   * @param newestFirst the cluster's list
   * @return the queued and paused ones
   */
  static List<StatusJson> inClusterList(List<StatusJson> newestFirst) {
    List<StatusJson> waiting = new ArrayList<>();
    for (StatusJson s : newestFirst) {
      if (s.state().equals("queued") || s.state().equals("paused")) {
        waiting.add(s);
      }
    }
    Collections.reverse(waiting);
    return waiting;
  }

  /**
   * Tells the core the order again: a resumed download is queued last there, but keeps its
   * place here.
   */
  void resumed() {
    tellCore(waiting());
  }

  private void tellCore(List<ServerDownload> queue) {
    List<DownloadHandle> handles = new ArrayList<>(queue.size());
    for (ServerDownload d : queue) {
      DownloadHandle handle = d.handle();
      if (handle != null && d.state() == DownloadState.QUEUED) {
        handles.add(handle);
      }
    }
    if (!handles.isEmpty()) {
      downloader.reorderQueue(handles); // the core never calls back from here
    }
  }
}
