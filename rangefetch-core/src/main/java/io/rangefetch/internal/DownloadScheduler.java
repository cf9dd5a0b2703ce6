package io.rangefetch.internal;

import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Runs at most {@code maxConcurrentDownloads} downloads at once; the others wait in order.
 * Thread-safe. Lock order: this, then a task's lock; a task never calls in here holding its own.
 */
final class DownloadScheduler {
  private final int max;
  private final Executor executor;
  // Guarded by this.
  private final ArrayDeque<DownloadTask> waiting = new ArrayDeque<>();
  // Guarded by this.
  private int running;

  DownloadScheduler(int max, Executor executor) {
    this.max = max;
    this.executor = executor;
  }

  synchronized void submit(DownloadTask task) {
    if (running < max) {
      running++;
      dispatch(task);
    } else {
      waiting.add(task);
    }
  }

  /** Takes a task out of the queue; false if it was not waiting (running, or never queued). */
  synchronized boolean removeWaiting(DownloadTask task) {
    return waiting.remove(task);
  }

  /**
   * Puts the waiting tasks in a new order: those of {@code first} that wait go to the front, in
   * that order; the others keep their order behind them. Tasks of {@code first} that do not
   * wait (running, paused, ended) are skipped.
   */
  synchronized void reorder(List<DownloadTask> first) {
    Set<DownloadTask> rest = new LinkedHashSet<>(waiting);
    ArrayDeque<DownloadTask> next = new ArrayDeque<>(waiting.size());
    for (DownloadTask task : first) {
      if (rest.remove(task)) {
        next.add(task);
      }
    }
    next.addAll(rest);
    waiting.clear();
    waiting.addAll(next);
  }

  /** Frees the slot of a task that stopped running, and starts the next one. */
  synchronized void release() {
    running--;
    DownloadTask next = waiting.poll();
    if (next != null) {
      running++;
      dispatch(next);
    }
  }

  private void dispatch(DownloadTask task) {
    task.markDispatched();
    executor.execute(task::run);
  }
}
