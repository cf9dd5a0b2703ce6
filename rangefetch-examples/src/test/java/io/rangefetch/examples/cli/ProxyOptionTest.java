package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.ProxyProcess;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.nio.file.Path;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --proxy} and the proxy environment variables, through a real microsocks. */
@Timeout(120)
class ProxyOptionTest {
  private static final byte[] FILE = SeededBytes.of(80 * 1024, 5);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path workingDir;
  @TempDir Path proxyDir;

  private String url() {
    return "http://localhost:" + server.getPort() + "/files/data.bin";
  }

  @Test
  void allProxyFromTheEnvironment_carriesTheDownload() throws Exception {
    server.setDispatcher(FetchCommandTest.origin(FILE));
    try (ProxyProcess proxy = ProxyProcess.microsocks(proxyDir, "cli", "pw-9")) {
      CliRun run =
          run(Map.of("all_proxy", "socks5h://cli:pw-9@127.0.0.1:" + proxy.port()), url());

      assertEquals(FetchCommand.OK, run.exitCode, run.err);
      assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("data.bin")));
      proxy.awaitLog("connected to localhost:" + server.getPort());
      assertTrue(run.err.contains("proxy: socks5h://127.0.0.1:" + proxy.port()
          + " (from all_proxy)"), run.err);
      assertFalse(run.err.contains("pw-9"), run.err);
    }
  }

  @Test
  void noProxy_andAnEmptyProxyOption_goDirect() throws Exception {
    server.setDispatcher(FetchCommandTest.origin(FILE));
    try (ProxyProcess proxy = ProxyProcess.microsocks(proxyDir, "", "")) {
      String socks = "socks5h://127.0.0.1:" + proxy.port();
      CliRun excluded = run(Map.of("all_proxy", socks, "no_proxy", "localhost"), "-o", "a.bin",
          url());
      CliRun option = run(Map.of("all_proxy", socks), "--proxy", "", "-o", "b.bin", url());
      CliRun used = run(Map.of(), "-x", socks, "-o", "c.bin", url());

      assertEquals(FetchCommand.OK, excluded.exitCode, excluded.err);
      assertEquals(FetchCommand.OK, option.exitCode, option.err);
      assertEquals(FetchCommand.OK, used.exitCode, used.err);
      assertEquals(Sha256.of(FILE), Sha256.of(workingDir.resolve("c.bin")));
      String log = proxy.awaitLog("connected to localhost:" + server.getPort());
      // Only the third run went through it: one connection per request, 80 KiB in one chunk.
      assertEquals(log.lines().filter(l -> l.contains("connected to")).count(),
          server.getRequestCount() - 2, log);
    }
  }

  @Test
  void badProxy_isUsageError() {
    CliRun run = run(Map.of(), "--proxy", "socks4://127.0.0.1:1", url());

    assertEquals(FetchCommand.USAGE, run.exitCode, run.err);
    assertTrue(run.err.contains("--proxy: proxy socks4://127.0.0.1:1: the scheme socks4 is not"
        + " supported"), run.err);
  }

  private CliRun run(Map<String, String> environment, String... args) {
    return CliRun.of(workingDir, environment, args);
  }
}
