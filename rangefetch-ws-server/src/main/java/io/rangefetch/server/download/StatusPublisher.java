package io.rangefetch.server.download;

import io.rangefetch.internal.DaemonThreads;
import io.rangefetch.internal.SerialDrain;
import io.rangefetch.server.protocol.StatusJson;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the {@link StatusListener}s of every change of the server's downloads: changes of state
 * at once, progress coalesced to about ten pushes a second per download. Thread-safe.
 *
 * <p>Every notification takes its status and hands it to the listeners under one lock, so the
 * listeners see the statuses of one download in the order they were taken: the last push is the
 * latest status. Listeners only queue frames, so the lock is held briefly. Commands that must
 * not interleave with a push (a list and a subscribe, a reply and the pushes of its download)
 * run under the same lock ({@link #whileQuiet}).
 */
final class StatusPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusPublisher.class);
  /**
   * How long a change of progress may wait before it is pushed. The protocol allows about 10
   * progress pushes per second per download; waiting, rather than pushing the first at once,
   * lets a change of state that comes meanwhile carry the progress too: a small download then
   * costs its clients one frame less (its 100 % comes with {@code completed}).
   */
  private static final long PROGRESS_PUSH_DELAY_MS = 100;

  private final List<StatusListener> listeners = new CopyOnWriteArrayList<>();
  // Told first of a status this node pushes (the cluster's feed), or null on a single server.
  private final @Nullable Consumer<StatusJson> beforeTelling;
  // Told of a download whose change of state was pushed, outside the lock.
  private final Consumer<ServerDownload> afterStateChange;
  private final Object lock = new Object();
  // guarded by lock: downloads whose progress changed since their last push; pushed together
  // within PROGRESS_PUSH_DELAY_MS, or at once with their next change of state
  private final Set<ServerDownload> progressDue = new LinkedHashSet<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      DaemonThreads.named("rangefetch-progress-push"));
  private final SerialDrain progressPushes = SerialDrain.delayed("progress pushes", timer, timer,
      Duration.ofMillis(PROGRESS_PUSH_DELAY_MS), this::pushDueProgress);

  /**
   * @param beforeTelling receives each status of a download of this node before the listeners
   *     do, or null
   * @param afterStateChange receives a download whose change of state has just been pushed,
   *     holding no lock
   */
  StatusPublisher(@Nullable Consumer<StatusJson> beforeTelling,
      Consumer<ServerDownload> afterStateChange) {
    this.beforeTelling = beforeTelling;
    this.afterStateChange = afterStateChange;
  }

  void addListener(StatusListener listener) {
    listeners.add(listener);
  }

  /** Runs {@code action} while no change is notified. */
  void whileQuiet(Runnable action) {
    synchronized (lock) {
      action.run();
    }
  }

  /**
   * Tells the listeners that {@code download} changed: at once for a change of state or its first
   * status, else with the next coalesced progress push.
   */
  void changed(ServerDownload download, boolean stateChanged) {
    synchronized (lock) {
      // A download's first status is its announcement (queued), pushed at once like a change of
      // state, whichever comes first: the add's notification or the core's first event.
      if (stateChanged || !download.notifiedYet()) {
        progressDue.remove(download);
        pushNow(download, true);
      } else if (progressDue.add(download)) {
        progressPushes.request(); // not when closing: nobody is told any more
      }
    }
    if (stateChanged) {
      afterStateChange.accept(download);
    }
  }

  /** Tells the listeners that {@code download} left the list; no late progress push follows. */
  void removed(ServerDownload download) {
    synchronized (lock) {
      progressDue.remove(download); // else a late progress push would bring it back
      tellRemoved(download.id());
    }
  }

  /** Tells the listeners of a status taken elsewhere (another node of a cluster). */
  void tell(StatusJson status, boolean stateChanged) {
    synchronized (lock) {
      for (StatusListener listener : listeners) {
        try {
          listener.changed(status, stateChanged);
        } catch (RuntimeException e) {
          LOG.error("a status listener failed on download {}", status.id(), e);
        }
      }
    }
  }

  /** Tells the listeners that the download {@code id} left the list. */
  void tellRemoved(String id) {
    synchronized (lock) {
      for (StatusListener listener : listeners) {
        try {
          listener.removed(id);
        } catch (RuntimeException e) {
          LOG.error("a status listener failed on the removal of download {}", id, e);
        }
      }
    }
  }

  private void pushDueProgress() {
    synchronized (lock) {
      for (ServerDownload download : progressDue) {
        pushNow(download, false);
      }
      progressDue.clear();
    }
  }

  // Called holding lock.
  private void pushNow(ServerDownload download, boolean stateChanged) {
    StatusJson status = download.status();
    if (!download.notifyNeeded(status)) {
      return; // the same status again: two events of the core that changed nothing visible
    }
    if (beforeTelling != null) {
      beforeTelling.accept(status);
    }
    tell(status, stateChanged);
  }

  /** Stops the progress pushes; changes of state are still told. */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
