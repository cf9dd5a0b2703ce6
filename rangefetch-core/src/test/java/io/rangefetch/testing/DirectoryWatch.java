package io.rangefetch.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition on the files of one directory without sleeping: the file system wakes
 * the wait each time an entry there is created, modified or deleted.
 */
public final class DirectoryWatch {
  private DirectoryWatch() {}

  /**
   * Waits until {@code condition} holds, checking it again on every change in {@code dir}.
   *
   * @return whether it held within {@code timeout} (checked once more at the end)
   */
  public static boolean await(Path dir, Duration timeout, BooleanSupplier condition)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (WatchService watcher = dir.getFileSystem().newWatchService()) {
      // Registered before the first check: a change between the check and the wait still wakes it.
      dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        WatchKey key = left > 0 ? watcher.poll(left, TimeUnit.NANOSECONDS) : null;
        if (key == null) {
          return condition.getAsBoolean();
        }
        key.pollEvents();
        key.reset();
      }
      return true;
    }
  }
}
