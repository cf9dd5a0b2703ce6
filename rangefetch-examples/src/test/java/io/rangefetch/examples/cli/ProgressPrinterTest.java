package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.RangeSupport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {
  private static final long SECOND = 1_000_000_000L;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong clock = new AtomicLong();

  @Test
  void line_showsBarPercentBytesSpeedEtaAndThreads() {
    DownloadStatus status = status(DownloadState.DOWNLOADING, 10 * 1024 * 1024, 5 * 1024 * 1024,
        1024 * 1024, 4, 8);

    assertEquals("[############------------]  50%  5.0 MiB of 10.0 MiB  1.0 MiB/s  ETA 0:05"
        + "  threads 4/8", ProgressPrinter.line(status));
  }

  @Test
  void line_unknownSize_showsBytesWithoutBarOrEta() {
    DownloadStatus status = status(DownloadState.DOWNLOADING, -1, 2048, 1024, 1, 1);

    assertEquals("2.0 KiB  1.0 KiB/s  threads 1/1", ProgressPrinter.line(status));
  }

  @Test
  void line_pausedDownload_saysPaused() {
    DownloadStatus status = status(DownloadState.PAUSED, 100, 25, 0, 0, 2);

    assertEquals("[######------------------]  25%  25 B of 100 B  0 B/s  threads 0/2  paused",
        ProgressPrinter.line(status));
  }

  @Test
  void plain_printsTheFirstLineAtOnceThenOneLinePerInterval() {
    ProgressPrinter printer = new ProgressPrinter(stream, false, clock::get);

    printer.progress(null, status(DownloadState.DOWNLOADING, 100, 10, 5, 1, 1));
    clock.addAndGet(SECOND);
    printer.progress(null, status(DownloadState.DOWNLOADING, 100, 20, 5, 1, 1));
    clock.addAndGet(ProgressPrinter.PLAIN_INTERVAL.toNanos());
    printer.progress(null, status(DownloadState.DOWNLOADING, 100, 30, 5, 1, 1));

    String[] lines = output().split("\n");
    assertEquals(2, lines.length, output());
    assertTrue(lines[0].contains("10 B of 100 B"), lines[0]);
    assertTrue(lines[1].contains("30 B of 100 B"), lines[1]);
  }

  @Test
  void plain_frequentEvents_stillPrintOneLinePerInterval() {
    ProgressPrinter printer = new ProgressPrinter(stream, false, clock::get);

    for (int second = 0; second <= 11; second++) {
      printer.progress(null, status(DownloadState.DOWNLOADING, 100, second, 5, 1, 1));
      clock.addAndGet(SECOND);
    }

    String[] lines = output().split("\n");
    assertEquals(3, lines.length, output());
    assertTrue(lines[1].contains(" 5 B of 100 B"), lines[1]);
    assertTrue(lines[2].contains(" 10 B of 100 B"), lines[2]);
  }

  @Test
  void terminal_redrawsOneLineInPlace() {
    ProgressPrinter printer = new ProgressPrinter(stream, true, clock::get);

    printer.progress(null, status(DownloadState.DOWNLOADING, -1, 100_000, 5, 1, 1));
    printer.progress(null, status(DownloadState.DOWNLOADING, -1, 10, 5, 1, 1));

    assertEquals("\r97.7 KiB  5 B/s  threads 1/1\r10 B  5 B/s  threads 1/1    ", output());
  }

  @Test
  void finish_terminal_drawsTheFinalStateWithAverageSpeedAndEndsTheLine() {
    ProgressPrinter printer = new ProgressPrinter(stream, true, clock::get);
    printer.progress(null, status(DownloadState.DOWNLOADING, 100, 50, 5, 1, 1));

    printer.finish(status(DownloadState.COMPLETED, 100, 100, 0, 0, 1), Duration.ofSeconds(4));

    assertTrue(output().endsWith("100%  100 B of 100 B  25 B/s  threads 0/1  completed\n"),
        output());
  }

  @Test
  void finish_afterContinuing_countsOnlyTheBytesOfThisRunInTheSpeed() {
    ProgressPrinter printer = new ProgressPrinter(stream, false, clock::get);

    printer.downloadContinued(null, 60);
    printer.finish(status(DownloadState.COMPLETED, 100, 100, 0, 0, 1), Duration.ofSeconds(2));

    assertEquals("continuing the part file of an earlier run: 60 B already on disk\n"
        + "[########################] 100%  100 B of 100 B  20 B/s  threads 0/1  completed\n",
        output());
  }

  @Test
  void line_almostDone_doesNotShowAFullBar() {
    DownloadStatus status = status(DownloadState.DOWNLOADING, 1000, 999, 0, 1, 1);

    assertTrue(ProgressPrinter.line(status).startsWith("[#######################-]  99%"),
        ProgressPrinter.line(status));
  }

  @Test
  void finish_ignoresEventsThatArriveLater() {
    ProgressPrinter printer = new ProgressPrinter(stream, false, clock::get);
    printer.finish(status(DownloadState.COMPLETED, 100, 100, 0, 0, 1), Duration.ofSeconds(1));
    String finished = output();

    clock.addAndGet(ProgressPrinter.PLAIN_INTERVAL.toNanos());
    printer.progress(null, status(DownloadState.DOWNLOADING, 100, 90, 5, 1, 1));

    assertTrue(finished.contains("completed"), finished);
    assertEquals(finished, output());
  }

  @Test
  void finish_afterFailureWithoutProgress_printsNothing() {
    ProgressPrinter printer = new ProgressPrinter(stream, true, clock::get);

    printer.finish(status(DownloadState.FAILED, -1, 0, 0, 0, 1), Duration.ZERO);

    assertEquals("", output());
  }

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
  }

  private static DownloadStatus status(DownloadState state, long size, long done,
      long bytesPerSecond, int active, int max) {
    return new DownloadStatus(state, URI.create("http://example.org/a.bin"), size,
        RangeSupport.SUPPORTED, active, max, 1024, done, bytesPerSecond, Instant.EPOCH);
  }
}
