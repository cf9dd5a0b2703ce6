package io.rangefetch.internal;

import io.rangefetch.DownloadStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The futures of {@code pause()} and {@code resume()} calls that wait for the state they asked
 * for. They are completed on the download's event queue, after the listeners have heard the
 * same change, so a caller that waits on one sees what the listeners saw. A download that ends
 * completes them all, with its final status. Thread-safe.
 */
final class StateWaiters {
  // Guarded by this.
  private final List<CompletableFuture<DownloadStatus>> untilPaused = new ArrayList<>();
  // Guarded by this.
  private final List<CompletableFuture<DownloadStatus>> untilRunning = new ArrayList<>();

  /** A future completed by the next {@link #paused} or {@link #ended}. */
  synchronized CompletableFuture<DownloadStatus> untilPaused() {
    CompletableFuture<DownloadStatus> future = new CompletableFuture<>();
    untilPaused.add(future);
    return future;
  }

  /** A future completed by the next {@link #running} or {@link #ended}. */
  synchronized CompletableFuture<DownloadStatus> untilRunning() {
    CompletableFuture<DownloadStatus> future = new CompletableFuture<>();
    untilRunning.add(future);
    return future;
  }

  /** Drops a future that will not be handed out (its call failed). */
  synchronized void forget(CompletableFuture<DownloadStatus> future) {
    untilPaused.remove(future);
    untilRunning.remove(future);
  }

  /** The download has paused: the pauses asked for so far have taken effect. */
  void paused(DownloadStatus status) {
    complete(take(untilPaused), status);
  }

  /** The download runs again (queued for a worker): the resumes asked for so far hold. */
  void running(DownloadStatus status) {
    complete(take(untilRunning), status);
  }

  /** The download has ended: nothing it waits for comes any more. */
  void ended(DownloadStatus status) {
    List<CompletableFuture<DownloadStatus>> all;
    synchronized (this) {
      all = new ArrayList<>(take(untilPaused));
      all.addAll(take(untilRunning));
    }
    complete(all, status);
  }

  private synchronized List<CompletableFuture<DownloadStatus>> take(
      List<CompletableFuture<DownloadStatus>> waiting) {
    List<CompletableFuture<DownloadStatus>> taken = List.copyOf(waiting);
    waiting.clear();
    return taken;
  }

  // Outside the lock: a caller's dependent stages run here.
  private static void complete(List<CompletableFuture<DownloadStatus>> futures,
      DownloadStatus status) {
    for (CompletableFuture<DownloadStatus> future : futures) {
      future.complete(status);
    }
  }
}
