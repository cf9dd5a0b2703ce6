package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rangefetch.Limits;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives the server's {@code /jsonrpc} with a client nobody here wrote: the npm package
 * {@code aria2} (the JavaScript client of aria2's web UIs), run by Debian's {@code node}
 * ({@code src/test/node/aria2-client.js}). The script asserts each answer as aria2's manual
 * describes it; this test checks what it leaves behind: the file by SHA-256, the order of the
 * notifications, and that the downloads are on the list of {@code /ws}.
 */
class Aria2ClientTest {
  private static final Path NODE_DIR = Path.of("src", "test", "node").toAbsolutePath();
  private static final String INSTALL = "apt-get install -y nodejs npm && (cd "
      + "rangefetch-ws-server/src/test/node && npm ci)";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "aria2-client-secret";

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;

  @BeforeEach
  void start() throws Exception {
    assertTrue(Files.isDirectory(NODE_DIR.resolve("node_modules/aria2")),
        "this test needs Debian's node and the npm package aria2 in " + NODE_DIR
            + "/node_modules: " + INSTALL);
    origin = new TestOrigin();
    server = RunningServer.start(dir.resolve("downloads"), ServerConfig.newBuilder()
        .token(SECRET)
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(64 * 1024).build()));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    origin.close();
  }

  @Test
  void theAria2PackageAddsFollowsPausesAndRemovesDownloads() throws Exception {
    byte[] small = origin.file("/small.bin", 1 << 20);
    origin.file("/held.bin", 1 << 20);
    origin.hold("/held.bin");

    Run run = runNode(List.of(
        "RPC_PORT=" + server.port(),
        "RPC_SECRET=" + SECRET,
        "SMALL_URL=" + origin.uri("/small.bin"),
        "SMALL_SHA256=" + Sha256.of(small),
        "HELD_URL=" + origin.uri("/held.bin")));

    assertEquals(0, run.exitCode(), "the aria2 client script failed:\n" + run.stderr()
        + "\nstdout:\n" + run.stdout());
    JsonNode summary = JSON.readTree(run.lastLine());
    String smallGid = summary.get("small").asText();
    String heldGid = summary.get("held").asText();
    assertEquals(Sha256.of(small),
        Sha256.of(Files.readAllBytes(dir.resolve("downloads/small.bin"))));
    assertEquals(List.of("onDownloadStart " + smallGid, "onDownloadComplete " + smallGid),
        events(summary, smallGid));
    assertEquals(List.of("onDownloadStart " + heldGid, "onDownloadPause " + heldGid,
        "onDownloadStart " + heldGid, "onDownloadStop " + heldGid), events(summary, heldGid));
    // One list: the completed download is on /ws under the id its GID encodes; the removed
    // result is gone from both.
    try (ProtocolClient ws = ProtocolClient.connect(server.api(),
        Map.of("Authorization", "Bearer " + SECRET))) {
      ws.assertHello();
      JsonNode downloads = ws.await("list").get("downloads");
      assertEquals(1, downloads.size(), downloads.toString());
      assertEquals(Long.toString(Long.parseLong(smallGid, 16)),
          downloads.get(0).get("id").asText());
      assertEquals("completed", downloads.get(0).get("state").asText());
    }
  }

  private static List<String> events(JsonNode summary, String gid) {
    List<String> out = new ArrayList<>();
    for (JsonNode event : summary.get("events")) {
      if (event.get(1).asText().equals(gid)) {
        out.add(event.get(0).asText() + " " + gid);
      }
    }
    return out;
  }

  private record Run(int exitCode, String stdout, String stderr) {
    String lastLine() {
      String[] lines = stdout.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  private Run runNode(List<String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("node", "aria2-client.js")
        .directory(NODE_DIR.toFile());
    for (String pair : env) {
      int eq = pair.indexOf('=');
      builder.environment().put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    Path out = dir.resolve("node.out");
    Path err = dir.resolve("node.err");
    builder.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new AssertionError("cannot start node (" + e.getMessage() + "); this test needs "
          + "Debian's node and the npm package aria2: " + INSTALL, e);
    }
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("the aria2 client script did not end within 5 minutes; stderr:\n"
          + Files.readString(err, StandardCharsets.UTF_8));
    }
    return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
