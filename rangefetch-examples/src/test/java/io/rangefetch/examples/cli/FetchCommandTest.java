package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Runs the command in-process against a local server, as a user would from a shell. */
@Timeout(120)
class FetchCommandTest {
  private static final byte[] FILE = SeededBytes.of(100 * 1024, 1);
  private static final byte[] TEN_KIB = SeededBytes.of(10 * 1024, 2);

  @StartStop private final MockWebServer server = new MockWebServer();
  @StartStop private final MockWebServer mirror = new MockWebServer();
  @TempDir Path workingDir;

  @Test
  void twoUrls_areMirrorsOfOneFile_andBothServeIt() {
    // given a slow server and a fast mirror of the same 1 MiB file: slow enough (160 KiB/s a
    // response) that the mirror, checked meanwhile, takes most requests even on a loaded machine
    byte[] file = SeededBytes.of(1024 * 1024, 3);
    RangeDispatcher slow = serve(file).throttle(8 * 1024, Duration.ofMillis(50));
    RangeDispatcher fast = origin(file);
    mirror.setDispatcher(fast);

    // when both URLs are given, in 64 KiB requests
    CliRun run = run(Map.of(), "-t", "4", "-c", "64K", url(),
        mirror.url("/mirror/data.bin").toString());

    // then one file is written, from both, in requests of at most a chunk
    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(Sha256.of(file), Sha256.of(workingDir.resolve("data.bin")));
    assertFalse(fast.ranges().isEmpty(), run.err);
    assertTrue(fast.exchanges().size() > slow.exchanges().size(),
        () -> "mirror " + fast.ranges() + ", first URL " + slow.ranges());
    Stream.concat(fast.exchanges().stream(), slow.exchanges().stream())
        .forEach(request -> assertTrue(asksAtMost(request, 64 * 1024), request.toString()));
  }

  @Test
  void twoUrls_badMirror_isAUsageError() {
    CliRun run = run(Map.of(), url(), "ftp://example.org/data.bin");

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("ftp://example.org/data.bin"), run.err);
  }

  @Test
  void download_printsTheFileUriAsTheLastLineAndExitsZero() {
    serve(FILE);

    CliRun run = run(Map.of(), url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    Path file = workingDir.resolve("data.bin");
    assertEquals(file.toUri().toString(), run.lastOutLine());
    assertTrue(run.lastOutLine().startsWith("file:///"), run.lastOutLine());
    assertEquals(Sha256.of(FILE), Sha256.of(file));
  }

  @Test
  void download_toNamedFile_writesThatFile() {
    serve(FILE);

    CliRun run = run(Map.of(), "-o", "copy.bin", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(workingDir.resolve("copy.bin").toUri().toString(), run.lastOutLine());
    assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("copy.bin")));
    assertFalse(Files.exists(workingDir.resolve("data.bin")));
  }

  @Test
  void download_intoExistingDirectory_takesTheServersName() throws IOException {
    serve(FILE);
    Path dir = Files.createDirectory(workingDir.resolve("downloads"));

    CliRun run = run(Map.of(), "--output", "downloads", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(dir.resolve("data.bin").toUri().toString(), run.lastOutLine());
    assertEquals(Sha256.of(FILE), Sha256.of(dir.resolve("data.bin")));
  }

  @Test
  void download_withMatchingSha256_succeeds() {
    serve(FILE);

    CliRun run = run(Map.of(), "--sha256", Sha256.of(FILE).toUpperCase(Locale.ROOT), url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("data.bin")));
  }

  @Test
  void sha256Mismatch_exitsOneWithTheReasonAndLeavesNoFile() {
    serve(FILE);
    String wrong = Sha256.of(new byte[] {1, 2, 3});

    CliRun run = run(Map.of(), "-q", "--sha256", wrong, url());

    assertEquals(FetchCommand.FAILED, run.exitCode, run.err);
    assertTrue(run.err.startsWith("rangefetch: "), run.err);
    assertTrue(run.err.toLowerCase(Locale.ROOT).matches("(?s).*sha-?256.*"), run.err);
    assertEquals("", run.out);
    assertFalse(Files.exists(workingDir.resolve("data.bin")), "the bad file must not stay");
  }

  @Test
  void probe_printsWhatTheServerSaidAndWritesNothing() throws IOException {
    serve(TEN_KIB);

    CliRun run = run(Map.of(), "--probe", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertTrue(run.out.contains("final URL:      " + url()), run.out);
    assertTrue(run.out.contains("status:         206"), run.out);
    assertTrue(run.out.contains("ranges:         supported"), run.out);
    assertTrue(run.out.contains("size:           10240 bytes (10.0 KiB)"), run.out);
    assertTrue(run.out.contains("ETag:           " + RangeDispatcher.ETAG), run.out);
    assertTrue(run.out.contains("Last-Modified:  " + RangeDispatcher.LAST_MODIFIED), run.out);
    assertTrue(run.out.contains("file name:      data.bin"), run.out);
    try (Stream<Path> files = Files.list(workingDir)) {
      assertEquals(List.of(), files.toList());
    }
  }

  @Test
  void capsFromPropertiesFile_boundEveryRequestAndAreReported() throws IOException {
    RangeDispatcher dispatcher = serve(TEN_KIB);
    Path config = Files.writeString(workingDir.resolve("caps.properties"), """
        limits.max-threads=2
        limits.max-bytes-per-thread=1K
        """);

    CliRun run = run(Map.of(), "--config", "caps.properties", "-t", "8", "-c", "4M", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(Sha256.of(TEN_KIB), Sha256.of(workingDir.resolve("data.bin")));
    assertTrue(dispatcher.exchanges().stream().allMatch(request -> asksAtMost(request, 1024)),
        "requests: " + dispatcher.ranges());
    assertTrue(run.err.contains("threads 8 is above the cap limits.max-threads=2 (from "
        + config + "); using 2"), run.err);
    assertTrue(run.err.contains("chunk-bytes 4194304 is above the cap "
        + "limits.max-bytes-per-thread=1024 (from " + config + "); using 1024"), run.err);
  }

  @Test
  void environmentOverridesThePropertiesFile() throws IOException {
    RangeDispatcher dispatcher = serve(TEN_KIB);
    Files.writeString(workingDir.resolve("rangefetch.properties"),
        "limits.max-bytes-per-thread=4K\n");

    CliRun run = run(Map.of("RANGEFETCH_LIMITS_MAX_BYTES_PER_THREAD", "1K"), "-q", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(Sha256.of(TEN_KIB), Sha256.of(workingDir.resolve("data.bin")));
    List<Exchange> requests = dispatcher.exchanges();
    assertTrue(requests.stream().allMatch(request -> asksAtMost(request, 1024)),
        "requests: " + requests);
    assertTrue(requests.size() >= 10, "10 KiB in 1 KiB requests needs 10, got " + requests);
  }

  @Test
  void threadsAboveTheDefaultCap_isReportedOnStderr() {
    serve(TEN_KIB);

    CliRun run = run(Map.of(), "-q", "-t", "32", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals("threads 32 is above the cap limits.max-threads=8 (default); using 8",
        run.err.strip());
  }

  @Test
  void threadsWithinTheCap_isNotReported() {
    serve(TEN_KIB);

    CliRun run = run(Map.of(), "-q", "-t", "8", "-c", "4M", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals("", run.err);
  }

  @Test
  void limitRate_isTheDownloadsLimitAndShowsInTheProgress() {
    serve(FILE);

    CliRun run = run(Map.of(), "--limit-rate", "10M", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertTrue(run.err.contains("(limit 10.0 MiB/s)"), run.err);
    assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("data.bin")));
  }

  @Test
  void maxConnectionsPerHostOne_keepsEveryRequestOnOneConnection() {
    RangeDispatcher dispatcher = serve(FILE).throttle(8 * 1024, Duration.ofMillis(10));

    CliRun run = run(Map.of(), "-q", "-t", "4", "-c", "16K", "--max-connections-per-host", "1",
        url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("data.bin")));
    List<Exchange> requests = dispatcher.exchanges();
    assertTrue(requests.size() >= 7, "requests: " + requests);
    assertEquals(1, requests.stream().map(Exchange::connectionIndex).distinct().count(),
        "requests: " + requests);
  }

  static Stream<Arguments> badUsage() {
    return Stream.of(
        Arguments.of("unknown option", List.of("--frobnicate", "URL"), "Unknown option"),
        Arguments.of("bad size", List.of("-c", "4X", "URL"), "\"4X\" is not a size"),
        Arguments.of("missing URL", List.of("-t", "2"), "Missing required parameter: 'URL'"),
        Arguments.of("ftp URL", List.of("ftp://example.org/a.iso"), "only http and https"),
        Arguments.of("not a URL", List.of("http://exa mple.org/"), "is not a URL"),
        Arguments.of("threads zero", List.of("-t", "0", "URL"), "threads must be at least 1"),
        Arguments.of("threads not a number", List.of("-t", "two", "URL"), "'two' is not an int"),
        Arguments.of("bad sha256", List.of("--sha256", "abc", "URL"), "64 hex digits"),
        Arguments.of("bad checkpoint interval", List.of("--checkpoint-interval", "2x", "URL"),
            "\"2x\" is not a duration"),
        Arguments.of("missing config", List.of("--config", "none.properties", "URL"),
            "none.properties"),
        Arguments.of("rate below 1K", List.of("--limit-rate", "500", "URL"),
            "--limit-rate 500: maxBytesPerSecond must be 0 (no limit) or at least 1024"),
        Arguments.of("bad rate", List.of("--limit-rate", "2X", "URL"), "\"2X\" is not a size"),
        Arguments.of("host cap zero", List.of("--max-connections-per-host", "0", "URL"),
            "maxConnectionsPerHost must be between 1 and 1024, was 0"),
        Arguments.of("output dir missing", List.of("-o", "no/such/dir/a.bin", "URL"),
            "does not exist"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badUsage")
  void badUsage_exitsTwoWithAMessageAndFetchesNothing(String name, List<String> args,
      String message) {
    serve(TEN_KIB);
    List<String> withUrl = new ArrayList<>();
    args.forEach(arg -> withUrl.add(arg.equals("URL") ? url() : arg));

    CliRun run = run(Map.of(), withUrl.toArray(String[]::new));

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.startsWith("rangefetch: "), run.err);
    assertTrue(run.err.contains(message), run.err);
    assertEquals("", run.out);
    assertEquals(0, server.getRequestCount());
  }

  @Test
  void badConfigValue_exitsTwoNamingKeyAndValue() throws IOException {
    serve(TEN_KIB);
    Files.writeString(workingDir.resolve("rangefetch.properties"), "limits.max-threads=0\n");

    CliRun run = run(Map.of(), url());

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("limits.max-threads=0"), run.err);
    assertEquals(0, server.getRequestCount());
  }

  @Test
  void existingFile_isKeptWithoutOverwrite() throws IOException {
    serve(FILE);
    Path existing = Files.writeString(workingDir.resolve("data.bin"), "old");

    CliRun run = run(Map.of(), "-q", url());

    assertEquals(FetchCommand.FAILED, run.exitCode, run.err);
    assertEquals("old", Files.readString(existing));
    assertTrue(run.err.contains("--overwrite"), run.err);
    assertEquals("", run.out);
  }

  @Test
  void existingFile_isReplacedWithOverwrite() throws IOException {
    serve(FILE);
    Files.writeString(workingDir.resolve("data.bin"), "old");

    CliRun run = run(Map.of(), "-q", "--overwrite", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("data.bin")));
  }

  @Test
  void failureMidDownload_keepsThePartFileAndTheSameCommandContinuesIt() throws IOException {
    serve(TEN_KIB).always(Fault.status(404), request -> request.index() >= 2);
    Files.writeString(workingDir.resolve("rangefetch.properties"),
        "limits.max-bytes-per-thread=1K\n");

    CliRun failed = run(Map.of(), "-t", "1", url());

    assertEquals(FetchCommand.FAILED, failed.exitCode, failed.err);
    assertTrue(failed.err.contains("404"), failed.err);
    assertTrue(failed.err.contains("the part file is kept; run the same command again to "
        + "continue"), failed.err);
    assertFalse(Files.exists(workingDir.resolve("data.bin")));

    serve(TEN_KIB); // mended: the same file, with the same validators
    CliRun continued = run(Map.of(), "-t", "1", url());

    assertEquals(FetchCommand.OK, continued.exitCode, continued.err);
    assertTrue(continued.err.contains(
        "continuing the part file of an earlier run: 1.0 KiB already on disk"), continued.err);
    assertEquals(Sha256.of(TEN_KIB), Sha256.of(workingDir.resolve("data.bin")));
  }

  @Test
  void failureBeforeAnyByte_saysNothingAboutContinuing() {
    serve(TEN_KIB).always(Fault.status(404), RangeDispatcher.anyRequest());

    CliRun run = run(Map.of(), url());

    assertEquals(FetchCommand.FAILED, run.exitCode, run.err);
    assertFalse(run.err.contains("continue"), run.err);
  }

  @Test
  void progress_goesToStderrAndEndsAtOneHundredPercent() {
    serve(FILE);

    CliRun run = run(Map.of(), url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertTrue(run.err.contains("100%  100.0 KiB of 100.0 KiB"), run.err);
    assertEquals(1, run.out.lines().count(), run.out);
  }

  @Test
  void quiet_printsNoProgressButStillTheUri() {
    serve(FILE);

    CliRun run = run(Map.of(), "--quiet", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals("", run.err);
    assertEquals(workingDir.resolve("data.bin").toUri().toString(), run.out.strip());
  }

  @Test
  void serverError_exitsOneWithTheReason() {
    server.enqueue(new MockResponse.Builder().code(404).build());

    CliRun run = run(Map.of(), "-q", url());

    assertEquals(FetchCommand.FAILED, run.exitCode, run.err);
    assertTrue(run.err.startsWith("rangefetch: "), run.err);
    assertTrue(run.err.contains("404"), run.err);
    assertEquals("", run.out);
  }

  @Test
  void help_listsTheOptionsAndExitsZero() {
    CliRun run = run(Map.of(), "--help");

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    for (String option : List.of("--threads", "--chunk-bytes", "--output", "--sha256", "--probe",
        "--checkpoint-interval", "--config", "--quiet", "--overwrite", "--version")) {
      assertTrue(run.out.contains(option), option + " missing in:\n" + run.out);
    }
  }

  @Test
  void version_printsTheProjectVersion() {
    CliRun run = run(Map.of(), "--version");

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertTrue(run.out.startsWith("rangefetch 0."), run.out);
  }

  private RangeDispatcher serve(byte[] body) {
    RangeDispatcher dispatcher = origin(body);
    server.setDispatcher(dispatcher);
    return dispatcher;
  }

  /** Serves {@code body} at every path, suggesting the name data.bin. */
  static RangeDispatcher origin(byte[] body) {
    return new RangeDispatcher(body).contentDisposition("attachment; filename=\"data.bin\"");
  }

  /**
   * Whether the request asked for one closed range ({@code bytes=a-b}) of at most
   * {@code bytes} bytes.
   */
  static boolean asksAtMost(Exchange request, long bytes) {
    return request.first() >= 0 && request.last() - request.first() < bytes;
  }

  private String url() {
    return server.url("/files/data.bin").toString();
  }

  private CliRun run(Map<String, String> environment, String... args) {
    return CliRun.of(workingDir, environment, args);
  }
}
