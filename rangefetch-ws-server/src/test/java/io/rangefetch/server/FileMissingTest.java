package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A completed download whose file is deleted or moved: its status says {@code fileMissing} on
 * {@code /ws}, the console and {@code /jsonrpc}, and an add of its URL downloads it again.
 */
class FileMissingTest {
  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir);
    client = server.connectApi();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    origin.close();
  }

  @Test
  void deletedFileIsPushedAsMissingAndAFilePutBackAsThereAgain() throws Exception {
    origin.file("/a.bin", 40_000);
    String id = added(ApiCommandsTest.add(origin.uri("/a.bin")));
    JsonNode done = client.awaitState(id, "completed");
    Path file = Path.of(URI.create(done.get("file").asText()));
    Path aside = dir.resolve("moved-away.bin");

    Files.move(file, aside);
    JsonNode missing = awaitFileMissing(id, true);
    JsonNode got = client.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}").get("download");
    Files.move(aside, file);
    JsonNode back = awaitFileMissing(id, false);

    assertFalse(done.get("fileMissing").asBoolean());
    assertEquals("completed", missing.get("state").asText());
    assertEquals(done.get("file").asText(), missing.get("file").asText(), "where it was");
    assertTrue(got.get("fileMissing").asBoolean(), got.toString());
    assertEquals("completed", back.get("state").asText());
    assertEquals(done.get("sha256").asText(), back.get("sha256").asText());
  }

  @Test
  void addOfAUrlWhoseFileIsGoneDownloadsItAgainAndReplacesTheDeadEntry() throws Exception {
    byte[] content = origin.file("/b.bin", 70_000);
    String first = added(ApiCommandsTest.add(origin.uri("/b.bin")));
    Path file = Path.of(URI.create(client.awaitState(first, "completed").get("file").asText()));
    Files.delete(file);

    // At once, without waiting for the periodic check: the add looks at the file itself.
    String second = added(ApiCommandsTest.add(origin.uri("/b.bin")));
    client.awaitJson(m -> "removed".equals(m.path("type").asText())
        && first.equals(m.path("id").asText()), "the removal of the dead entry");
    JsonNode done = client.awaitState(second, "completed");
    JsonNode list = client.request("l", "{\"op\":\"list\"}").get("downloads");

    assertNotEquals(first, second);
    assertFalse(done.get("fileMissing").asBoolean());
    assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(file)));
    assertEquals(1, list.size(), list.toString());
    assertEquals(second, list.get(0).get("id").asText());
    assertEquals(2, origin.requests("/b.bin").stream()
        .filter(r -> r.range().startsWith("bytes=0-")).count(), "fetched twice");
  }

  @Test
  void consoleListShowsTheFileMissingAndTheUrlFetchesItAgain() throws Exception {
    byte[] content = origin.file("/c.bin", 30_000);
    String url = origin.uri("/c.bin").toString();
    String id = added(ApiCommandsTest.add(origin.uri("/c.bin")));
    Path file = Path.of(URI.create(client.awaitState(id, "completed").get("file").asText()));
    Files.delete(file);
    awaitFileMissing(id, true);

    try (ProtocolClient console = ProtocolClient.connect(server.console())) {
      console.assertHello();
      console.send("list");
      String line = console.next();
      console.send(url);
      String reply = console.next();

      assertTrue(line.startsWith("url:" + url), line);
      assertTrue(line.contains("state:completed, file:missing (" + file.toUri()), line);
      assertTrue(line.contains("send the URL again"), line);
      assertFalse(reply.startsWith("file:"), "not the dead link: " + reply);
    }
    String second = client.request("l", "{\"op\":\"list\"}").get("downloads").get(0).get("id")
        .asText();
    client.awaitState(second, "completed");
    assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(file)));
  }

  @Test
  void jsonRpcShowsItCompleteWithThePathAsAria2Does() throws Exception {
    origin.file("/d.bin", 10_000);
    String id = added(ApiCommandsTest.add(origin.uri("/d.bin")));
    Path file = Path.of(URI.create(client.awaitState(id, "completed").get("file").asText()));
    Files.delete(file);
    awaitFileMissing(id, true);

    try (Aria2RpcClient rpc = Aria2RpcClient.connect(server, "no-token-set")) {
      JsonNode status = rpc.result("aria2.tellStatus", String.format("%016x", Long.parseLong(id)),
          List.of("status", "errorCode", "files"));

      assertEquals("complete", status.get("status").asText());
      assertEquals("0", status.get("errorCode").asText());
      assertEquals(file.toString(), status.get("files").get(0).get("path").asText());
    }
  }

  private String added(String add) throws Exception {
    JsonNode reply = client.request("a" + System.nanoTime(), add);
    assertEquals("added", reply.get("type").asText(), reply.toString());
    return reply.get("download").get("id").asText();
  }

  /** Waits for a push of download {@code id} with {@code fileMissing} as given. */
  private JsonNode awaitFileMissing(String id, boolean missing) throws Exception {
    return client.awaitJson(m -> "status".equals(m.path("type").asText())
        && id.equals(m.path("download").path("id").asText())
        && m.path("download").path("fileMissing").asBoolean() == missing
        && "completed".equals(m.path("download").path("state").asText()),
        "download " + id + " with fileMissing " + missing).get("download");
  }
}
