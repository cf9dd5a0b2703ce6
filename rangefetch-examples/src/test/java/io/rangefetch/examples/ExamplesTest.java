package io.rangefetch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs every example's main against a local server, so the examples cannot rot. */
@Timeout(120)
class ExamplesTest {
  private static final Pattern EVENT = Pattern.compile("\\s*\\d+ ms  download \\S+  (\\w+).*");

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path directory;

  @Test
  void downloadWithProgress_savesTheFileAndPrintsProgress() throws Exception {
    byte[] body = SeededBytes.of(512 * 1024, 1);
    serve(body);

    String out = runMain(() -> DownloadWithProgress.main(args()));

    Path file = directory.resolve("data.bin");
    assertEquals(Sha256.of(body), Sha256.of(file));
    assertTrue(out.contains("saved " + file + ", sha256 " + Sha256.of(body)), out);
    assertTrue(out.matches("(?s).*\\d+ of 524288 bytes, \\d+ threads.*"), out);
  }

  @Test
  void probeFirst_largeFileWithRanges_usesEveryThread() throws Exception {
    byte[] body = SeededBytes.of(2 * 1024 * 1024, 2);
    serve(body);

    String out = runMain(() -> ProbeFirst.main(args()));

    assertTrue(out.contains("size 2097152, ranges SUPPORTED, name data.bin"), out);
    assertTrue(out.contains("downloading with 8 threads"), out);
    assertEquals(Sha256.of(body), Sha256.of(directory.resolve("data.bin")));
  }

  @Test
  void probeFirst_smallFile_usesOneThread() throws Exception {
    byte[] body = SeededBytes.of(10 * 1024, 3);
    serve(body);

    String out = runMain(() -> ProbeFirst.main(args()));

    assertTrue(out.contains("downloading with 1 thread"), out);
    assertEquals(Sha256.of(body), Sha256.of(directory.resolve("data.bin")));
  }

  @Test
  void tunedLimits_capsWhatTheRequestAsksFor() throws Exception {
    byte[] body = SeededBytes.of(3 * 1024 * 1024, 4);
    RangeDispatcher dispatcher = serve(body);

    String out = runMain(() -> TunedLimits.main(args()));

    assertTrue(out.contains("got 4 threads and 1048576-byte chunks"), out);
    assertTrue(dispatcher.exchanges().stream()
            .allMatch(request -> request.first() >= 0
                && request.last() - request.first() < 1024 * 1024),
        "requests: " + dispatcher.ranges());
    assertEquals(Sha256.of(body), Sha256.of(directory.resolve("data.bin")));
  }

  @Test
  void pauseResumeCancel_completesThePausedDownloadAndCancelsTheSecond() throws Exception {
    byte[] body = SeededBytes.of(256 * 1024, 5);
    serve(body).throttle(16 * 1024, Duration.ofMillis(100));

    String out = runMain(() -> PauseResumeCancel.main(args()));

    Matcher paused = Pattern.compile("(?s).*paused at (\\d+) bytes.*").matcher(out);
    assertTrue(paused.matches(), out);
    assertTrue(Long.parseLong(paused.group(1)) < body.length, out);
    assertEquals(Sha256.of(body), Sha256.of(directory.resolve("data.bin")));
    assertTrue(out.contains("second download cancelled, file written: false"), out);
    try (Stream<Path> files = Files.list(directory)) {
      assertEquals(List.of(directory.resolve("data.bin")), files.toList(),
          "no partial file of the cancelled download may stay");
    }
  }

  @Test
  void printEvents_printsEveryEventInOrder() throws Exception {
    byte[] body = SeededBytes.of(10 * 1024, 6);
    serve(body);

    String out = runMain(() -> PrintEvents.main(args()));

    List<String> events = out.lines()
        .map(EVENT::matcher)
        .filter(Matcher::matches)
        .map(matcher -> matcher.group(1))
        .filter(name -> !name.equals("progress"))
        .toList();
    assertEquals(List.of("downloadQueued", "probeStart", "probeEnd", "chunkStart", "chunkEnd",
        "downloadEnd"), events, out);
    assertEquals(Sha256.of(body), Sha256.of(directory.resolve("data.bin")));
  }

  private RangeDispatcher serve(byte[] body) {
    RangeDispatcher dispatcher =
        new RangeDispatcher(body).contentDisposition("attachment; filename=\"data.bin\"");
    server.setDispatcher(dispatcher);
    return dispatcher;
  }

  private String[] args() {
    return new String[] {server.url("/files/data.bin").toString(), directory.toString()};
  }

  /** A main method, which may throw anything. */
  private interface Main {
    void run() throws Exception;
  }

  private static String runMain(Main main) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } finally {
      System.setOut(original);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    original.print(out);
    return out;
  }
}
