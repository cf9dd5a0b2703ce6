package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code -H 'Name: value'}: what the origin receives, and the errors of a bad header. */
@Timeout(120)
class HeaderOptionTest {
  private static final byte[] FILE = SeededBytes.of(64 * 1024, 4);
  private static final String SECRET = "session=s3cr3t-cookie-value";

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path workingDir;

  @Test
  void headers_reachEveryRequestOfTheDownload() throws Exception {
    server.setDispatcher(FetchCommandTest.origin(FILE));

    CliRun run = run("-t", "4", "-c", "16K", "-H", "Cookie: " + SECRET, "--header",
        "Referer:https://example.org/page", "-H", "User-Agent: my-agent/2.0", url());

    assertEquals(FetchCommand.OK, run.exitCode, run.err);
    assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("data.bin")));
    int requests = server.getRequestCount();
    assertTrue(requests >= 4, "64 KiB in 16 KiB chunks takes at least 4 requests: " + requests);
    for (int i = 0; i < requests; i++) {
      RecordedRequest request = server.takeRequest(10, TimeUnit.SECONDS);
      assertEquals(SECRET, request.getHeaders().get("Cookie"), request.toString());
      assertEquals("https://example.org/page", request.getHeaders().get("Referer"));
      assertEquals("my-agent/2.0", request.getHeaders().get("User-Agent"));
    }
    assertFalse(run.err.contains(SECRET) || run.out.contains(SECRET), run.err + run.out);
  }

  @Test
  void header_withoutColon_isUsageErrorAndSendsNothing() {
    server.setDispatcher(FetchCommandTest.origin(FILE));

    CliRun run = run("-H", "Cookie", url());

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("-H \"Cookie\" has no colon"), run.err);
    assertTrue(run.err.contains("-H 'Name: value'"), run.err);
    assertEquals(0, server.getRequestCount());
  }

  @Test
  void header_withoutColon_showsOnlyItsFirstWord() {
    CliRun run = run("-H", "Authorization Bearer abc.def", url());

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("-H \"Authorization ...\" has no colon"), run.err);
    assertFalse(run.err.contains("abc.def"), run.err);
  }

  @Test
  void header_withoutValue_isUsageError() {
    CliRun run = run("-H", "X-Token:", url());

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("-H \"X-Token:\" has no value"), run.err);
  }

  @Test
  void header_withBadName_isUsageErrorNamingIt() {
    CliRun run = run("-H", "Bad Name: x", url());

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("not a valid HTTP token: \"Bad Name\""), run.err);
  }

  @Test
  void header_refusedName_isUsageErrorSayingWhyAndSendsNothing() {
    server.setDispatcher(FetchCommandTest.origin(FILE));

    CliRun run = run("-H", "Range: bytes=0-1", url());

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("-H Range: header Range is set by the downloader itself"),
        run.err);
    assertEquals(0, server.getRequestCount());
  }

  private String url() {
    return server.url("/files/data.bin").toString();
  }

  private CliRun run(String... args) {
    return CliRun.of(workingDir, Map.of(), args);
  }
}
