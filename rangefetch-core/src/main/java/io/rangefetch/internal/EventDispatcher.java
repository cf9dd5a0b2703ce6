package io.rangefetch.internal;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the events of one download to its listeners, one at a time and in order, on the
 * callback executor: a serial queue, as in the JDK's {@code Executor} documentation. A listener
 * that throws is logged and skipped. Thread-safe.
 */
final class EventDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);

  private final DownloadHandle download;
  private final List<DownloadListener> listeners;
  // Guarded by tasks.
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private final SerialDrain drain;

  EventDispatcher(DownloadHandle download, List<DownloadListener> listeners, Executor executor) {
    this.download = download;
    this.listeners = listeners;
    this.drain = SerialDrain.immediate("listener events",
        orOwnThread(executor), this::runQueued);
  }

  /** Queues one event for every listener. */
  void post(BiConsumer<DownloadListener, DownloadHandle> event) {
    run(() -> {
      for (DownloadListener listener : listeners) {
        try {
          event.accept(listener, download);
        } catch (RuntimeException | Error e) {
          LOG.warn("download {}: listener {} threw; ignored", download.id(), listener, e);
        }
      }
    });
  }

  /** Queues {@code action} after every event posted so far. */
  void run(Runnable action) {
    synchronized (tasks) {
      tasks.add(action);
    }
    drain.request();
  }

  /**
   * Runs the queued tasks in order until none is left. One hand-off serves every event posted
   * meanwhile: a small download posts several within a millisecond.
   */
  private void runQueued() {
    while (true) {
      Runnable next;
      synchronized (tasks) {
        next = tasks.poll();
      }
      if (next == null) {
        return;
      }
      try {
        next.run();
      } catch (RuntimeException | Error e) {
        // Not a listener's (post catches those): ours, and the events after it still go out.
        LOG.error("download {}: an event task failed", download.id(), e);
      }
    }
  }

  /**
   * The caller's executor, or, once it is shut down, a thread of our own for the last events
   * rather than losing them (not the posting thread: it may hold the download's lock).
   */
  private static Executor orOwnThread(Executor executor) {
    return command -> {
      try {
        executor.execute(command);
      } catch (RejectedExecutionException e) {
        DaemonThreads.named("rangefetch-callback-fallback").newThread(command).start();
      }
    };
  }
}
