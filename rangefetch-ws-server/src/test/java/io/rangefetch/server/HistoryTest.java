package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * History never blocks new work: beyond {@code history.max-finished} the downloads that
 * finished first leave the list (their files stay), and only unfinished downloads count against
 * {@code security.max-downloads}. A real server on {@code /ws} and {@code /jsonrpc}.
 */
class HistoryTest {
  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
    origin.close();
  }

  @Test
  void finishedDownloadsBeyondTheHistoryLeaveTheListFirstFinishedFirstAndKeepTheirFiles()
      throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().maxDownloads(2).maxFinished(2));
    client = server.connectApi();
    List<String> ids = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();

    for (int i = 0; i < 5; i++) {
      contents.add(origin.file("/h" + i + ".bin", 20_000 + i));
      String id = client.request("a" + i, ApiCommandsTest.add(origin.uri("/h" + i + ".bin")))
          .get("download").get("id").asText();
      client.awaitState(id, "completed");
      ids.add(id);
    }
    JsonNode removed0 = awaitRemoved(client, ids.get(0));
    JsonNode removed2 = awaitRemoved(client, ids.get(2));
    JsonNode list = client.request("l", "{\"op\":\"list\"}").get("downloads");

    assertEquals(ids.get(0), removed0.get("id").asText());
    assertEquals(ids.get(2), removed2.get("id").asText());
    assertEquals(List.of(ids.get(4), ids.get(3)), idsOf(list), "newest first, two kept");
    for (int i = 0; i < 5; i++) {
      Path file = dir.resolve("h" + i + ".bin");
      assertEquals(Sha256.of(contents.get(i)),
          Sha256.of(Files.readAllBytes(file)), "the file of " + file + " stays");
    }
    try (Aria2RpcClient rpc = Aria2RpcClient.connect(server, "no-token-set")) {
      JsonNode stopped = rpc.result("aria2.tellStopped", 0, 100, List.of("gid"));
      JsonNode stat = rpc.result("aria2.getGlobalStat");
      assertEquals(2, stopped.size(), stopped.toString());
      assertEquals("2", stat.get("numStopped").asText());
    }
  }

  @Test
  void onlyUnfinishedDownloadsCountAgainstTheLimit() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().maxDownloads(2).maxFinished(10));
    client = server.connectApi();
    origin.file("/a.bin", 10_000);
    origin.file("/b.bin", 10_000);
    origin.file("/c.bin", 10_000);
    // held after their first 1024 bytes: unfinished until released
    origin.hold("/a.bin");
    origin.hold("/b.bin");
    String a = client.request("a", ApiCommandsTest.add(origin.uri("/a.bin")))
        .get("download").get("id").asText();
    String b = client.request("b", ApiCommandsTest.add(origin.uri("/b.bin")))
        .get("download").get("id").asText();

    JsonNode refused = client.request("c1", ApiCommandsTest.add(origin.uri("/c.bin")));
    origin.release("/a.bin");
    origin.release("/b.bin");
    client.awaitState(a, "completed");
    client.awaitState(b, "completed");
    JsonNode accepted = client.request("c2", ApiCommandsTest.add(origin.uri("/c.bin")));

    assertEquals("limit", refused.get("code").asText(), refused.toString());
    assertEquals("added", accepted.get("type").asText(), accepted.toString());
    String c = accepted.get("download").get("id").asText();
    assertEquals("completed", client.awaitState(c, "completed").get("state").asText());
    assertEquals(3, client.request("l", "{\"op\":\"list\"}").get("downloads").size());
  }

  @Test
  void aRestartWithASmallerHistoryKeepsTheLastToFinishAndTheOthersStayGone() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().maxFinished(10));
    client = server.connectApi();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      origin.file("/r" + i + ".bin", 5_000);
      String id = client.request("a" + i, ApiCommandsTest.add(origin.uri("/r" + i + ".bin")))
          .get("download").get("id").asText();
      client.awaitState(id, "completed");
      ids.add(id);
    }
    client.close();
    server.close();

    server = RunningServer.start(dir, ServerConfig.newBuilder().maxFinished(1));
    client = server.connectApi();
    List<String> afterShrink = idsOf(client.request("l1", "{\"op\":\"list\"}").get("downloads"));
    client.close();
    server.close();
    server = RunningServer.start(dir, ServerConfig.newBuilder().maxFinished(10));
    client = server.connectApi();
    List<String> afterGrow = idsOf(client.request("l2", "{\"op\":\"list\"}").get("downloads"));

    assertEquals(List.of(ids.get(2)), afterShrink);
    assertEquals(List.of(ids.get(2)), afterGrow, "the journal remembers who left");
    assertTrue(Files.isRegularFile(dir.resolve("r0.bin")), "files stay on disk");
    String file = client.request("g", "{\"op\":\"get\",\"id\":\"" + ids.get(2) + "\"}")
        .get("download").get("file").asText();
    assertEquals(dir.toRealPath().resolve("r2.bin"), Path.of(URI.create(file)).toRealPath());
  }

  private static JsonNode awaitRemoved(ProtocolClient client, String id) throws Exception {
    return client.awaitJson(node -> "removed".equals(node.path("type").asText())
        && id.equals(node.path("id").asText()), "the removal of download " + id);
  }

  private static List<String> idsOf(JsonNode downloads) {
    List<String> ids = new ArrayList<>();
    downloads.forEach(d -> ids.add(d.get("id").asText()));
    return ids;
  }
}
