package io.rangefetch.examples.cli;

import io.rangefetch.ByteSize;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadStatus;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Pauses the download when the JVM exits before it ends (Ctrl+C, {@code kill}), so that its part
 * file stays on disk with an exact record of what it holds, and running the same command again
 * continues it. Thread-safe.
 *
 * <p>Pausing, not cancelling, is what {@code curl -C -} and {@code aria2c -c} users expect: an
 * interrupted multi-gigabyte download must not start from zero. Either way nothing appears under
 * the final name, which only a complete, verified file gets.
 *
 */
public final class ExitGuard {
  /** How long the exiting JVM waits for the workers to stop and the record to be written. */
  static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(5);

  private final PrintStream err;
  private final Thread hook = new Thread(this::pauseForExit, "rangefetch-pause-on-exit");
  // Written by the command's thread, read by the shutdown hook.
  private volatile @Nullable DownloadHandle download;

  /**
   * Creates a guard.
   *
   * @param err where to say that the download was interrupted
   */
  public ExitGuard(PrintStream err) {
    this.err = Objects.requireNonNull(err, "err");
  }

  /**
   * Registers the shutdown hook. Call it before the download starts, so no moment is left
   * unguarded, then name the download with {@link #watch}, and {@link #disarm} once the download
   * has ended, so a normal exit leaves it alone.
   */
  public void arm() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Names the download to pause on exit.
   *
   * @param download the started download
   */
  public void watch(DownloadHandle download) {
    this.download = Objects.requireNonNull(download, "download");
  }

  /** Removes the shutdown hook, unless the JVM is already exiting and running it. */
  public void disarm() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or has run: it does the work.
    }
  }

  private void pauseForExit() {
    DownloadHandle download = this.download;
    if (download == null) {
      return;
    }
    CompletableFuture<DownloadStatus> paused;
    try {
      paused = download.pause();
    } catch (IllegalStateException alreadyEnded) {
      return;
    }
    boolean stoppedInTime;
    try {
      paused.get(PAUSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      stoppedInTime = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stoppedInTime = false;
    } catch (ExecutionException | TimeoutException e) {
      stoppedInTime = false;
    }
    DownloadStatus status = download.status();
    if (status.state().isTerminal()) {
      return;
    }
    err.println();
    if (stoppedInTime) {
      err.println("rangefetch: interrupted; " + ByteSize.format(status.bytesDone())
          + (status.size() >= 0 ? " of " + ByteSize.format(status.size()) : "")
          + " kept in the part file; run the same command again to continue");
    } else {
      err.println("rangefetch: interrupted; the workers did not stop within "
          + PAUSE_TIMEOUT.toSeconds() + " s, so the part file keeps what its last checkpoint"
          + " recorded; run the same command again to continue");
    }
    err.flush();
  }
}
