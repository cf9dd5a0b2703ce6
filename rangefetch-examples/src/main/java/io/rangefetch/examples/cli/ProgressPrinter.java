package io.rangefetch.examples.cli;

import io.rangefetch.ByteSize;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.SourceStatus;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Shows the progress of one download on a stream: a bar redrawn in place on a terminal, a plain
 * line every few seconds anywhere else (a log file, a CI console). Thread-safe.
 *
 * <p>It listens to {@link DownloadListener#progress} and {@link DownloadListener#downloadContinued};
 * the command calls {@link #finish} once the result is in, after which late events are ignored,
 * so the last line drawn is the final one.
 */
public final class ProgressPrinter implements DownloadListener {
  /** How often a plain line is printed when the stream is not a terminal. */
  public static final Duration PLAIN_INTERVAL = Duration.ofSeconds(5);
  private static final int BAR_WIDTH = 24;

  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier nanoTime;

  // All guarded by this.
  private boolean printed;
  private long lastPrintNanos;
  private int lastWidth;
  private boolean finished;
  private long continuedBytes;

  /**
   * Creates a printer.
   *
   * @param out where to print, usually {@code System.err}
   * @param terminal whether {@code out} is a terminal, so the line can be redrawn in place
   * @param nanoTime the clock that spaces plain lines, usually {@code System::nanoTime}
   */
  public ProgressPrinter(PrintStream out, boolean terminal, LongSupplier nanoTime) {
    this.out = Objects.requireNonNull(out, "out");
    this.terminal = terminal;
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
  }

  @Override
  public synchronized void progress(DownloadHandle download, DownloadStatus status) {
    if (finished) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (terminal) {
      redraw(status);
    } else if (!printed || now - lastPrintNanos >= PLAIN_INTERVAL.toNanos()) {
      out.println(line(status));
      lastPrintNanos = now;
    } else {
      return;
    }
    printed = true;
  }

  /**
   * Says that a source was dropped or changed, on a line of its own, with its note.
   *
   * @param download the download
   * @param source the source as it is now
   */
  @Override
  public synchronized void sourceChanged(DownloadHandle download, SourceStatus source) {
    if (finished || source.note().isEmpty()) {
      return;
    }
    if (terminal && lastWidth > 0) {
      out.println();
      lastWidth = 0;
    }
    out.println(source.uri() + ": " + source.note());
    out.flush();
  }

  /**
   * Says that an earlier run's part file is continued, on a line of its own.
   *
   * @param download the download
   * @param bytesOnDisk the bytes kept from the earlier run
   */
  @Override
  public synchronized void downloadContinued(DownloadHandle download, long bytesOnDisk) {
    if (finished) {
      return;
    }
    continuedBytes = bytesOnDisk;
    if (terminal && lastWidth > 0) {
      out.println();
      lastWidth = 0;
    }
    out.println("continuing the part file of an earlier run: " + ByteSize.format(bytesOnDisk)
        + " already on disk");
    out.flush();
  }

  /**
   * Draws the final state and ends the line. Prints nothing for a download that failed before
   * any progress was shown. Later events are ignored.
   *
   * @param status the download's status once its result is in
   * @param elapsed the time this run took: a completed download shows its average speed, not
   *     counting bytes continued from an earlier run
   */
  public synchronized void finish(DownloadStatus status, Duration elapsed) {
    if (finished) {
      return;
    }
    finished = true;
    if (!printed && status.state() != DownloadState.COMPLETED) {
      return;
    }
    DownloadStatus last = status.state() == DownloadState.COMPLETED && elapsed.toMillis() > 0
        ? withSpeed(status, (status.bytesDone() - continuedBytes) * 1000 / elapsed.toMillis())
        : status;
    if (terminal) {
      redraw(last);
      out.println();
    } else {
      out.println(line(last));
    }
    out.flush();
  }

  private static DownloadStatus withSpeed(DownloadStatus s, long bytesPerSecond) {
    return new DownloadStatus(s.state(), s.finalUri(), s.size(), s.ranges(), s.activeThreads(),
        s.maxThreads(), s.chunkBytes(), s.bytesDone(), bytesPerSecond, s.updatedAt(),
        s.transfer(), s.limitBytesPerSecond(), s.hostAllowance());
  }

  private void redraw(DownloadStatus status) {
    String line = line(status);
    int pad = Math.max(0, lastWidth - line.length());
    out.print("\r" + line + " ".repeat(pad));
    out.flush();
    lastWidth = line.length();
  }

  /**
   * Renders one status as a line of text.
   *
   * @param status the status
   * @return for example
   *     {@code [############------------]  50%  5.0 MiB of 10.0 MiB  1.2 MiB/s  ETA 0:04  threads 4/8}
   */
  static String line(DownloadStatus status) {
    StringBuilder line = new StringBuilder();
    if (status.progress().isPresent()) {
      double fraction = status.progress().getAsDouble();
      int filled = (int) (fraction * BAR_WIDTH);
      line.append('[').append("#".repeat(filled)).append("-".repeat(BAR_WIDTH - filled))
          .append(']')
          .append(String.format(Locale.ROOT, " %3d%%  ", (int) Math.floor(fraction * 100)))
          .append(ByteSize.format(status.bytesDone())).append(" of ")
          .append(ByteSize.format(status.size()));
    } else {
      line.append(ByteSize.format(status.bytesDone()));
    }
    line.append("  ").append(ByteSize.format(status.bytesPerSecond())).append("/s");
    if (status.limitBytesPerSecond() > 0) {
      line.append(" (limit ").append(ByteSize.format(status.limitBytesPerSecond()))
          .append("/s)");
    }
    status.remaining().ifPresent(left -> line.append("  ETA ").append(clock(left)));
    line.append("  threads ").append(status.activeThreads()).append('/')
        .append(status.maxThreads());
    if (status.hostAllowance() > 0) {
      // The server answered 429 or 503: fewer connections for a while.
      line.append("  host allows ").append(status.hostAllowance());
    }
    if (status.state() != DownloadState.DOWNLOADING) {
      line.append("  ").append(status.state().name().toLowerCase(Locale.ROOT));
    }
    return line.toString();
  }

  private static String clock(Duration duration) {
    long seconds = duration.toSeconds();
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60,
          seconds % 60);
    }
    return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
