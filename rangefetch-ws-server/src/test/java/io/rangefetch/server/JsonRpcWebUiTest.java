package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays what an aria2 web UI asks on its pages, once a second: {@code getGlobalStat}, then
 * {@code tellActive}, {@code tellWaiting} and {@code tellStopped} with a list of keys, in one
 * {@code system.multicall}; each answer is checked field by field against the shapes of aria2's
 * manual (every value a string, BitTorrent's keys absent for HTTP downloads). Instead of waiting
 * a second between polls, the test polls at the moments that matter, which it learns from the
 * notifications.
 */
class JsonRpcWebUiTest {
  private static final String SECRET = "ui-secret";
  /** The keys a task list asks for; BitTorrent's and hash checking's do not apply here. */
  private static final List<String> TASK_KEYS = List.of("gid", "totalLength", "completedLength",
      "uploadSpeed", "downloadSpeed", "connections", "numSeeders", "seeder", "status",
      "errorCode", "errorMessage", "verifiedLength", "verifyIntegrityPending", "files",
      "bittorrent", "infoHash");
  private static final int SIZE = 1 << 20;

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private Aria2RpcClient ui;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir, ServerConfig.newBuilder().token(SECRET)
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(64 * 1024)
            .maxConcurrentDownloads(1).build()));
    ui = Aria2RpcClient.connect(server, SECRET);
    // A UI's first call, as on connecting: with the secret, so notifications follow from here.
    ui.result("aria2.getVersion");
  }

  @AfterEach
  void stop() throws Exception {
    ui.close();
    server.close();
    origin.close();
  }

  @Test
  void pollOfAnEmptyServerAnswersZerosAndEmptyLists() throws Exception {
    JsonNode poll = poll();

    assertEquals(Aria2RpcClient.json("""
        [[{"downloadSpeed":"0","uploadSpeed":"0","numActive":"0","numWaiting":"0",
           "numStopped":"0","numStoppedTotal":"0"}],[[]],[[]],[[]]]"""), poll);
  }

  @Test
  void pollShowsEachStateAsAria2Does() throws Exception {
    origin.file("/a.bin", SIZE);
    origin.file("/b.bin", SIZE);
    origin.file("/c.bin", SIZE);
    origin.hold("/a.bin");
    String a = add("/a.bin");
    String b = add("/b.bin");
    String c = add("/c.bin");
    ui.result("aria2.pause", c);
    ui.awaitNotification("aria2.onDownloadPause", c);
    awaitOnWs(id(a), "downloading");

    JsonNode poll = poll();

    assertEquals(Aria2RpcClient.json("""
        {"downloadSpeed":"%s","uploadSpeed":"0","numActive":"1","numWaiting":"2",
         "numStopped":"0","numStoppedTotal":"0"}""".formatted(
            poll.get(0).get(0).get("downloadSpeed").asText())), poll.get(0).get(0));
    JsonNode active = poll.get(1).get(0);
    assertEquals(1, active.size());
    assertTask(active.get(0), a, "active", SIZE, "/a.bin", "used");
    JsonNode waiting = poll.get(2).get(0);
    assertEquals(2, waiting.size());
    assertTask(waiting.get(0), b, "waiting", 0, null, "waiting");
    assertTask(waiting.get(1), c, "paused", 0, null, "waiting");
    assertEquals(0, poll.get(3).get(0).size());
    // The waiting queue from its end, reversed, as the manual shows for tellWaiting(-1, 2).
    assertEquals(List.of(c, b), gids(ui.result("aria2.tellWaiting", -1, 2, List.of("gid"))));
    assertEquals(List.of(c), gids(ui.result("aria2.tellWaiting", 1, 1, List.of("gid"))));

    origin.release("/a.bin");
    ui.awaitNotification("aria2.onDownloadComplete", a);
    ui.awaitNotification("aria2.onDownloadComplete", b);
    String missing = ui.result("aria2.addUri", List.of(origin.uri("/missing.bin").toString()))
        .asText();
    ui.awaitNotification("aria2.onDownloadError", missing);
    JsonNode after = poll();

    assertEquals(Aria2RpcClient.json("""
        {"downloadSpeed":"0","uploadSpeed":"0","numActive":"0","numWaiting":"1",
         "numStopped":"3","numStoppedTotal":"3"}"""), after.get(0).get(0));
    assertEquals(0, after.get(1).get(0).size());
    assertEquals(List.of(c), gids(after.get(2).get(0)));
    JsonNode stopped = after.get(3).get(0);
    assertEquals(List.of(a, b, missing), gids(stopped));
    assertTask(stopped.get(0), a, "complete", SIZE, "/a.bin", "used");
    assertTask(stopped.get(1), b, "complete", SIZE, "/b.bin", "used");
    JsonNode error = stopped.get(2);
    assertEquals("error", error.get("status").asText());
    assertEquals("22", error.get("errorCode").asText(), error.toString());
    assertTrue(error.get("errorMessage").asText().contains("404"), error.toString());
  }

  @Test
  void downloadsAddedOnWsAreOnJsonRpcAndTheOtherWayRound() throws Exception {
    origin.file("/ws.bin", SIZE);
    origin.file("/rpc.bin", SIZE);
    try (ProtocolClient ws = ProtocolClient.connect(server.api(),
        Map.of("Authorization", "Bearer " + SECRET))) {
      ws.assertHello();
      ws.await("list");
      String wsId = ws.request("w1", "{\"op\":\"add\",\"url\":\"" + origin.uri("/ws.bin") + "\"}")
          .get("download").get("id").asText();
      String rpcGid = add("/rpc.bin");

      JsonNode pushed = ws.awaitState(id(rpcGid), "completed");
      ui.awaitNotification("aria2.onDownloadComplete", gid(wsId));
      JsonNode status = ui.result("aria2.tellStatus", gid(wsId), List.of("gid", "status"));

      assertEquals(origin.uri("/rpc.bin").toString(), pushed.get("url").asText());
      assertEquals(Aria2RpcClient.json("{\"gid\":\"" + gid(wsId) + "\",\"status\":\"complete\"}"),
          status);
    }
  }

  /** One poll of a task list page: the global stat and the three lists, in one multicall. */
  private JsonNode poll() throws Exception {
    List<Map<String, Object>> calls = List.of(
        call("aria2.getGlobalStat"),
        call("aria2.tellActive", TASK_KEYS),
        call("aria2.tellWaiting", 0, 1000, TASK_KEYS),
        call("aria2.tellStopped", 0, 1000, TASK_KEYS));
    JsonNode response = ui.send(ui.requestWithoutSecret("system.multicall", calls));
    assertTrue(response.has("result"), response.toString());
    return response.get("result");
  }

  private Map<String, Object> call(String method, Object... params) {
    List<Object> all = new ArrayList<>();
    all.add("token:" + SECRET);
    all.addAll(List.of(params));
    return Map.of("methodName", method, "params", all);
  }

  private void assertTask(JsonNode task, String gid, String status, long length,
      String fileName, String uriStatus) {
    Set<String> keys = new TreeSet<>();
    task.fieldNames().forEachRemaining(keys::add);
    Set<String> expected = new TreeSet<>(Set.of("gid", "totalLength", "completedLength",
        "uploadSpeed", "downloadSpeed", "connections", "status", "files"));
    if (status.equals("complete")) {
      expected.add("errorCode");
    }
    assertEquals(expected, keys, task.toString());
    assertEquals(gid, task.get("gid").asText());
    assertEquals(status, task.get("status").asText());
    assertEquals(Long.toString(length), task.get("totalLength").asText());
    assertEquals("0", task.get("uploadSpeed").asText());
    for (String number : List.of("completedLength", "downloadSpeed", "connections")) {
      assertTrue(task.get(number).isTextual() && task.get(number).asText().matches("\\d+"),
          number + " must be a string of digits: " + task);
    }
    if (status.equals("complete")) {
      assertEquals(Long.toString(length), task.get("completedLength").asText());
      assertEquals("0", task.get("errorCode").asText());
      assertEquals("0", task.get("connections").asText());
    }
    JsonNode files = task.get("files");
    assertEquals(1, files.size());
    JsonNode file = files.get(0);
    assertEquals("1", file.get("index").asText());
    assertEquals(fileName == null ? "" : dir.resolve(fileName.substring(1)).toString(),
        file.get("path").asText());
    assertEquals(Long.toString(length), file.get("length").asText());
    assertEquals(task.get("completedLength").asText(), file.get("completedLength").asText());
    assertEquals("true", file.get("selected").asText());
    assertEquals(1, file.get("uris").size());
    assertEquals(uriStatus, file.get("uris").get(0).get("status").asText());
    assertFalse(file.get("uris").get(0).get("uri").asText().isEmpty());
  }

  /** Waits on {@code /ws} until the download is in {@code state} (its size is known then). */
  private void awaitOnWs(String id, String state) throws Exception {
    try (ProtocolClient ws = ProtocolClient.connect(server.api(),
        Map.of("Authorization", "Bearer " + SECRET))) {
      ws.assertHello();
      for (JsonNode download : ws.await("list").get("downloads")) {
        if (download.get("id").asText().equals(id)
            && download.get("state").asText().equals(state)) {
          return;
        }
      }
      ws.awaitState(id, state);
    }
  }

  private String add(String path) throws Exception {
    String gid = ui.result("aria2.addUri", List.of(origin.uri(path).toString())).asText();
    assertTrue(gid.matches("[0-9a-f]{16}"), gid);
    return gid;
  }

  private static List<String> gids(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(task -> out.add(task.get("gid").asText()));
    return out;
  }

  private static String id(String gid) {
    return Long.toString(Long.parseLong(gid, 16));
  }

  private static String gid(String id) {
    return String.format("%016x", Long.parseLong(id));
  }
}
