package io.rangefetch.server.download;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The history of a server on its own (not in a cluster): which finished downloads (completed,
 * failed, cancelled) the list keeps, in the order they finished, and which leave it when one
 * more finishes beyond {@code max}, as aria2 keeps its download results
 * ({@code --max-download-result}). The files of those that leave stay on disk. Knowing the
 * number of finished downloads, it also tells how many are unfinished without a scan of the
 * list, for the hard limit of an {@code add}. Thread-safe.
 */
final class FinishedDownloads {
  private final int max;
  // guarded by this: the ids of the finished downloads on the list, the first to finish first
  private final LinkedHashSet<String> order = new LinkedHashSet<>();

  /**
   * @param max the most finished downloads kept, 0 or more
   */
  FinishedDownloads(int max) {
    this.max = max;
  }

  /**
   * Takes a change of state of a download on the list.
   *
   * @param download the download; its state now decides whether it is finished
   * @return the ids of the downloads that must leave the list now, the first to finish first
   *     (the download itself among them when {@code max} is 0)
   */
  synchronized List<String> changed(ServerDownload download) {
    // Removed first, so a download that finishes again (retried) counts as finishing now.
    order.remove(download.id());
    if (!download.state().isTerminal()) {
      return List.of();
    }
    order.add(download.id());
    return evictBeyondMax();
  }

  /**
   * Forgets a download that was taken off the list.
   *
   * @param id its id
   */
  synchronized void forget(String id) {
    order.remove(id);
  }

  /**
   * Takes the downloads of the state file, in the order they finished (their last change).
   *
   * @param restored every download on the list
   * @return the ids of the finished downloads beyond {@code max}, which must leave the list
   */
  synchronized List<String> restore(List<ServerDownload> restored) {
    order.clear();
    List<Ended> finished = new ArrayList<>();
    for (ServerDownload d : restored) {
      if (d.state().isTerminal()) {
        finished.add(new Ended(d.id(), d.status().updatedAt()));
      }
    }
    // ISO-8601 instants of one format sort as text; the sort is stable: list order on ties
    finished.sort(Comparator.comparing(Ended::at));
    finished.forEach(e -> order.add(e.id()));
    return evictBeyondMax();
  }

  /**
   * Counts the unfinished downloads.
   *
   * @param listed the number of downloads on the list
   * @return those of them that are not finished
   */
  synchronized int unfinished(int listed) {
    return Math.max(0, listed - order.size());
  }

  /** A finished download and the time of its last change. */
  private record Ended(String id, String at) {}

  // Called holding this.
  private List<String> evictBeyondMax() {
    if (order.size() <= max) {
      return List.of();
    }
    List<String> evicted = new ArrayList<>(order.size() - max);
    for (Iterator<String> it = order.iterator(); order.size() > max; ) {
      evicted.add(it.next());
      it.remove();
    }
    return evicted;
  }
}
