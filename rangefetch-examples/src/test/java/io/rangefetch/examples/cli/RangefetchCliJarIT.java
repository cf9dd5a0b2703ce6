package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.DirectoryWatch;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the shaded {@code target/rangefetch-cli.jar} as users do, in a child JVM. Runs in the
 * {@code integration-test} phase, after the jar is built.
 */
@Timeout(180)
class RangefetchCliJarIT {
  private static final Path JAR =
      Path.of(System.getProperty("rangefetch.cli.jar", "target/rangefetch-cli.jar"));

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path workingDir;

  @Test
  void jar_downloadsAndPrintsTheFileUriLast() throws Exception {
    byte[] body = SeededBytes.of(300 * 1024, 1);
    server.setDispatcher(FetchCommandTest.origin(body));

    Child child = Child.start(workingDir, "-c", "64K", url());
    int exitCode = child.waitFor();

    assertEquals(0, exitCode, child.err());
    List<String> out = child.out();
    assertEquals(workingDir.resolve("data.bin").toUri().toString(), out.get(out.size() - 1));
    assertEquals(Sha256.of(body), Sha256.of(workingDir.resolve("data.bin")));
  }

  @Test
  void jar_badSize_exitsTwo() throws Exception {
    Child child = Child.start(workingDir, "-c", "4X", url());

    assertEquals(2, child.waitFor(), child.err());
    assertTrue(child.err().contains("\"4X\" is not a size"), child.err());
    assertEquals(0, server.getRequestCount());
  }

  @Test
  void jar_interrupted_keepsThePartFileAndTheSameCommandContinues() throws Exception {
    byte[] body = SeededBytes.of(1024 * 1024, 2);
    // Three chunks arrive, every later request stalls: the first run cannot finish by itself.
    server.setDispatcher(stallingFromTheFourthRequest(body));
    Child first = Child.start(workingDir, "-c", "64K", url());

    String someBytes = first.awaitErrLine(line -> line.matches(".*%  [1-9].*"));
    assertNotNull(someBytes, "no progress with bytes; stderr so far: " + first.err());
    // SIGTERM runs the shutdown hooks, as Ctrl+C's SIGINT does. Process.destroy() would also
    // close our end of the pipes and lose what the child prints while it exits.
    first.process.toHandle().destroy();
    first.waitFor();

    assertTrue(first.err().contains("rangefetch: interrupted;"), first.err());
    assertTrue(first.err().contains("run the same command again to continue"), first.err());
    assertFalse(Files.exists(workingDir.resolve("data.bin")), "no half file under the final name");
    assertTrue(Files.exists(workingDir.resolve("data.bin.part")), "the part file is kept");

    server.setDispatcher(FetchCommandTest.origin(body)); // mended: same file, same validators
    Child second = Child.start(workingDir, "-c", "64K", url());

    assertEquals(0, second.waitFor(), second.err());
    assertTrue(second.err().contains("continuing the part file of an earlier run"), second.err());
    List<String> out = second.out();
    assertEquals(workingDir.resolve("data.bin").toUri().toString(), out.get(out.size() - 1));
    assertEquals(Sha256.of(body), Sha256.of(workingDir.resolve("data.bin")));
  }

  @Test
  void jar_keepsTheOptimisingCompilerForSha256Only() throws Exception {
    String directives = directivesOfARunningDownload(List.of());

    assertTrue(directives.contains("matching: sun/security/provider/*.*"), directives);
    assertTrue(directives.contains("Exclude:true"), "C2 excluded for the rest: " + directives);
  }

  @Test
  void jar_leavesTheCompilersAloneWhenToldTo() throws Exception {
    String directives = directivesOfARunningDownload(
        List.of("-D" + QuickCompilerOnly.PROPERTY + "=false"));

    assertTrue(directives.contains("matching: *.*"), directives);
    assertFalse(directives.contains("sun/security/provider"), directives);
    assertFalse(directives.contains("Exclude:true"), directives);
  }

  /**
   * Starts a download that stalls after a few chunks, asks its JVM for its compiler directives
   * with {@code jcmd} (as a user would), and stops it.
   */
  private String directivesOfARunningDownload(List<String> jvmOptions) throws Exception {
    byte[] body = SeededBytes.of(1024 * 1024, 3);
    server.setDispatcher(stallingFromTheFourthRequest(body));
    Child child = Child.start(workingDir, jvmOptions, "-c", "64K", url());
    try {
      String someBytes = child.awaitErrLine(line -> line.matches(".*%  [1-9].*"));
      assertNotNull(someBytes, "no progress with bytes; stderr so far: " + child.err());
      Process jcmd = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          Long.toString(child.process.pid()), "Compiler.directives_print")
          .redirectErrorStream(true).start();
      String printed = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(jcmd.waitFor(60, TimeUnit.SECONDS), "jcmd did not exit");
      assertEquals(0, jcmd.exitValue(), printed);
      return printed;
    } finally {
      child.process.toHandle().destroy();
      child.waitFor();
    }
  }

  @Test
  void jar_killed_theSameCommandContinuesAndRefetchesAtMostOneChunkPerThread() throws Exception {
    int chunk = 32 * 1024;
    int threads = 4;
    byte[] body = SeededBytes.of(2 * 1024 * 1024, 4);
    RangeDispatcher dispatcher =
        FetchCommandTest.origin(body).throttle(8 * 1024, Duration.ofMillis(100));
    server.setDispatcher(dispatcher);
    Path control = workingDir.resolve("data.bin.part.rangefetch");
    // The default checkpoint interval: the live record lists each chunk as it finishes, so a
    // kill loses only the chunks in flight, the bound below.
    String[] command = {"-t", String.valueOf(threads), "-c", "32K", url()};
    Child first = Child.start(workingDir, command);

    // Wait until a few chunks are recorded, then kill the JVM without warning.
    assertTrue(awaitRecordedBytes(control, 4L * chunk), "no progress recorded in " + control);
    first.process.toHandle().destroyForcibly();
    first.waitFor();
    assertFalse(Files.exists(workingDir.resolve("data.bin")), "no half file under the final name");
    int firstRunRequests = dispatcher.exchanges().size();

    dispatcher.fullSpeed();
    Child second = Child.start(workingDir, command);

    assertEquals(0, second.waitFor(), second.err());
    assertTrue(second.err().contains("continuing the part file of an earlier run"), second.err());
    assertEquals(Sha256.of(body), Sha256.of(workingDir.resolve("data.bin")));
    List<Exchange> requests = dispatcher.exchanges();
    long firstRun = requests.subList(0, firstRunRequests).stream()
        .mapToLong(request -> requestedBytes(request, body.length)).sum();
    // The second run's first request is the probe of chunk 0, which is on disk: its body is
    // dropped after the headers, so it fetches nothing.
    long secondRun = requests.subList(firstRunRequests + 1, requests.size()).stream()
        .mapToLong(request -> requestedBytes(request, body.length)).sum();
    long refetched = firstRun + secondRun - body.length;
    assertTrue(refetched <= (long) threads * chunk,
        "refetched " + refetched + " bytes, more than one chunk per thread; ranges: "
            + dispatcher.ranges());
  }

  /** The bytes a request asked for: its closed range, else the whole body. */
  private static long requestedBytes(Exchange request, long wholeBody) {
    return request.first() >= 0 ? request.last() - request.first() + 1 : wholeBody;
  }

  /**
   * Serves {@code body}, but the fourth request and every later one get their headers and then
   * nothing until the client hangs up: a download that cannot end by itself.
   */
  private static RangeDispatcher stallingFromTheFourthRequest(byte[] body) {
    return FetchCommandTest.origin(body).always(Fault.stall(), request -> request.index() >= 4);
  }

  /**
   * Waits until the recorded ranges add up to {@code bytes}, woken by the file system each
   * time the control file or the live record changes; false after 60 s.
   */
  private static boolean awaitRecordedBytes(Path control, long bytes) throws Exception {
    return DirectoryWatch.await(control.getParent(), Duration.ofSeconds(60),
        () -> recordedBytes(control) >= bytes);
  }

  /**
   * The bytes that a run after a kill (in this boot) finds recorded: the control file's
   * {@code done} ranges and the {@code written} ranges of the live record beside it.
   */
  private static long recordedBytes(Path control) {
    java.util.Properties p = new java.util.Properties();
    try (InputStream in = Files.newInputStream(control)) {
      p.load(in);
    } catch (IOException e) {
      return 0;
    }
    java.util.TreeMap<Long, Long> ranges = new java.util.TreeMap<>();
    addRanges(ranges, p.getProperty("done", ""));
    Path live = control.resolveSibling(control.getFileName() + "-live");
    try {
      for (String line : Files.readAllLines(live, java.nio.charset.StandardCharsets.US_ASCII)) {
        if (line.startsWith("written=")) {
          addRanges(ranges, line.substring("written=".length()));
        }
      }
    } catch (IOException e) {
      // No live record yet.
    }
    long bytes = 0;
    long covered = -1; // the last offset counted
    for (var range : ranges.entrySet()) {
      long first = Math.max(range.getKey(), covered + 1);
      if (range.getValue() >= first) {
        bytes += range.getValue() - first + 1;
        covered = range.getValue();
      }
    }
    return bytes;
  }

  private static void addRanges(java.util.TreeMap<Long, Long> ranges, String list) {
    for (String range : list.isBlank() ? new String[0] : list.split(",")) {
      String[] ends = range.split("-");
      ranges.merge(Long.parseLong(ends[0]), Long.parseLong(ends[1]), Math::max);
    }
  }

  private String url() {
    return server.url("/files/data.bin").toString();
  }

  /** A child JVM running the jar, with its stdout and stderr collected line by line. */
  private static final class Child {
    private final Process process;
    private final List<String> outLines = new ArrayList<>();
    private final BlockingQueue<String> errLines = new LinkedBlockingQueue<>();
    private final List<String> errSeen = new ArrayList<>();
    private final Thread outReader;
    private final Thread errReader;

    private Child(Process process) {
      this.process = process;
      this.outReader = collect(process.getInputStream(), line -> {
        synchronized (outLines) {
          outLines.add(line);
        }
      });
      this.errReader = collect(process.getErrorStream(), errLines::add);
    }

    static Child start(Path workingDir, String... args) throws IOException {
      return start(workingDir, List.of(), args);
    }

    static Child start(Path workingDir, List<String> jvmOptions, String... args)
        throws IOException {
      assertTrue(Files.isRegularFile(JAR), JAR.toAbsolutePath() + " is missing; run mvn verify");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      command.addAll(List.of("-jar", JAR.toAbsolutePath().toString()));
      command.addAll(List.of(args));
      return new Child(new ProcessBuilder(command).directory(workingDir.toFile()).start());
    }

    int waitFor() throws InterruptedException {
      assertTrue(process.waitFor(150, TimeUnit.SECONDS), "the CLI did not exit");
      outReader.join();
      errReader.join();
      return process.exitValue();
    }

    String awaitErrLine(Predicate<String> wanted)
        throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        String line = errLines.poll(1, TimeUnit.SECONDS);
        if (line == null && !errReader.isAlive() && errLines.isEmpty()) {
          return null;
        }
        if (line != null) {
          errSeen.add(line);
          if (wanted.test(line)) {
            return line;
          }
        }
      }
      return null;
    }

    List<String> out() {
      synchronized (outLines) {
        return List.copyOf(outLines);
      }
    }

    String err() {
      List<String> all = new ArrayList<>(errSeen);
      all.addAll(errLines);
      return String.join("\n", all);
    }

    private static Thread collect(InputStream stream,
        Consumer<String> sink) {
      Thread reader = new Thread(() -> {
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(stream, StandardCharsets.UTF_8))) {
          lines.lines().forEach(sink);
        } catch (IOException ignored) {
          // The child is gone; what was read is kept.
        }
      }, "child-output");
      reader.setDaemon(true);
      reader.start();
      return reader;
    }
  }
}
