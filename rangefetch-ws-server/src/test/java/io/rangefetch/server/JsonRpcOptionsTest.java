package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * aria2's options as web UIs send them: a directory inside the download directory, created when
 * missing and never outside it; options rangefetch does not take are ignored, as aria2 ignores
 * the ones it does not know or cannot apply.
 */
class JsonRpcOptionsTest {
  private static final String SECRET = "options-secret";

  @TempDir Path root;
  private Path downloads;
  private TestOrigin origin;
  private RunningServer server;
  private Aria2RpcClient rpc;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    downloads = root.resolve("downloads");
    server = RunningServer.start(downloads, ServerConfig.newBuilder().token(SECRET));
    rpc = Aria2RpcClient.connect(server, SECRET);
  }

  @AfterEach
  void stop() throws Exception {
    rpc.close();
    server.close();
    origin.close();
  }

  @Test
  void dir_relativeOrAbsoluteInsideTheDownloadDirectory_createdAndWrittenInto() throws Exception {
    byte[] a = origin.file("/a.bin", 50_000);
    byte[] b = origin.file("/b.bin", 60_000);

    String gidA = rpc.result("aria2.addUri", List.of(origin.uri("/a.bin").toString()),
        Map.of("dir", "music/2026")).asText();
    String gidB = rpc.result("aria2.addUri", List.of(origin.uri("/b.bin").toString()),
        Map.of("dir", downloads.resolve("films").toString())).asText();
    rpc.awaitNotification("aria2.onDownloadComplete", gidA);
    rpc.awaitNotification("aria2.onDownloadComplete", gidB);

    Path fileA = downloads.resolve("music/2026/a.bin");
    Path fileB = downloads.resolve("films/b.bin");
    assertEquals(Sha256.of(a), Sha256.of(Files.readAllBytes(fileA)));
    assertEquals(Sha256.of(b), Sha256.of(Files.readAllBytes(fileB)));
    JsonNode status = rpc.result("aria2.tellStatus", gidA, List.of("dir", "files"));
    assertEquals(fileA.getParent().toRealPath(), Path.of(status.get("dir").asText()).toRealPath());
    assertEquals(fileA.toRealPath(),
        Path.of(status.get("files").get(0).get("path").asText()).toRealPath());
    assertFalse(Files.exists(downloads.resolve("a.bin")), "not in the download directory");
  }

  @Test
  void dir_throughASymbolicLinkThatLeavesTheDownloadDirectory_refused() throws Exception {
    origin.file("/c.bin", 1000);
    Path outside = Files.createDirectories(root.resolve("outside"));
    Files.createSymbolicLink(downloads.resolve("escape"), outside);

    JsonNode viaLink = rpc.call("aria2.addUri", List.of(origin.uri("/c.bin").toString()),
        Map.of("dir", "escape/deeper"));
    JsonNode dotDot = rpc.call("aria2.addUri", List.of(origin.uri("/c.bin").toString()),
        Map.of("dir", "music/../../outside"));

    assertEquals(1, viaLink.get("error").get("code").asInt(), viaLink.toString());
    assertTrue(viaLink.get("error").get("message").asText().contains(
        "leads out of the download directory through the symbolic link"), viaLink.toString());
    assertTrue(dotDot.get("error").get("message").asText().contains("contains \"..\""),
        dotDot.toString());
    try (Stream<Path> files = Files.list(outside)) {
      assertEquals(List.of(), files.toList(), "nothing created outside");
    }
    assertEquals(List.of(), origin.requests());
    assertEquals(0, rpc.result("aria2.tellWaiting", 0, 10).size());
  }

  @Test
  void optionsRangefetchDoesNotTake_ignoredAsAria2Does() throws Exception {
    byte[] content = origin.file("/d.bin", 80_000);
    // What AriaNg sends with a new download: its whole option set, most of it aria2's own.
    Map<String, Object> ariaNg = new LinkedHashMap<>();
    ariaNg.put("split", "4");
    ariaNg.put("max-tries", "5");
    ariaNg.put("retry-wait", "10");
    ariaNg.put("continue", "true");
    ariaNg.put("allow-overwrite", "false");
    ariaNg.put("auto-file-renaming", "true");
    ariaNg.put("seed-ratio", "1.0");
    ariaNg.put("bt-tracker", "udp://tracker.example:80");
    ariaNg.put("no-such-option-anywhere", "x");
    ariaNg.put("out", "d.bin");

    String gid = rpc.result("aria2.addUri", List.of(origin.uri("/d.bin").toString()), ariaNg)
        .asText();
    rpc.awaitNotification("aria2.onDownloadComplete", gid);
    JsonNode changed = rpc.result("aria2.changeGlobalOption",
        Map.of("max-concurrent-downloads", "9", "no-such-option-anywhere", "x"));
    JsonNode changedOne = rpc.result("aria2.changeOption", gid, Map.of("max-tries", "3"));

    assertEquals(Sha256.of(content),
        Sha256.of(Files.readAllBytes(downloads.resolve("d.bin"))));
    assertEquals("4", rpc.result("aria2.getOption", gid).get("split").asText());
    assertEquals("OK", changed.asText());
    assertEquals("OK", changedOne.asText());
    assertEquals(String.valueOf(io.rangefetch.Limits.defaults().maxConcurrentDownloads()),
        rpc.result("aria2.getGlobalOption").get("max-concurrent-downloads").asText(),
        "a cap set at start does not change");
  }
}
