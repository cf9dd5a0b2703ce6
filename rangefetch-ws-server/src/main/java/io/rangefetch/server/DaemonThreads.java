package io.rangefetch.server;

import java.util.concurrent.ThreadFactory;

/**
 * Threads of the server's own background work: named, so that a thread dump tells them apart,
 * and daemon, so that none of them keeps the JVM alive after the server stops.
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
}
