package io.rangefetch.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads of rangefetch's own background work: named, so that a thread dump tells them apart,
 * and daemon, so that none of them keeps the JVM alive after the downloader or server stops.
 * Public only for the server module, which names its threads the same way; not API.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  /**
   * Returns a factory of daemon threads called {@code name}.
   *
   * @param name the name of every thread it makes
   * @return the factory
   */
  public static ThreadFactory named(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Returns a factory of daemon threads called {@code prefix} and a number: {@code prefix1},
   * {@code prefix2}, ..., for a pool.
   *
   * @param prefix the start of every name
   * @return the factory
   */
  public static ThreadFactory numbered(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
