package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aria2.changePosition} and {@code addUri}'s position reorder the waiting queue, as
 * aria2's manual says; {@code tellWaiting} shows the order, and downloads start in it.
 */
class JsonRpcQueueTest {
  private static final String SECRET = "queue-secret";

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private Aria2RpcClient rpc;
  private final Map<String, byte[]> contents = new HashMap<>();

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir, ServerConfig.newBuilder().token(SECRET)
        .limits(Limits.newBuilder().maxConcurrentDownloads(1).build()));
    rpc = Aria2RpcClient.connect(server, SECRET);
  }

  @AfterEach
  void stop() throws Exception {
    rpc.close();
    server.close();
    origin.close();
  }

  @Test
  void changePositionReordersTheWaitingQueueAndDownloadsStartInThatOrder() throws Exception {
    origin.hold("/a.bin"); // a runs, held after its first 1024 bytes; the others wait
    String a = add("a");
    rpc.awaitNotification("aria2.onDownloadStart", a);
    String b = add("b");
    String c = add("c");
    String d = add("d");
    assertEquals(List.of(b, c, d), waiting());

    JsonNode dFirst = rpc.result("aria2.changePosition", d, 0, "POS_SET");
    assertEquals(List.of(d, b, c), waiting());
    JsonNode bBack = rpc.result("aria2.changePosition", b, 1, "POS_CUR");
    assertEquals(List.of(d, c, b), waiting());
    JsonNode clamped = rpc.result("aria2.changePosition", d, -99, "POS_END");
    assertEquals(List.of(d, c, b), waiting(), "POS_END -99 is clamped to the front");
    rpc.result("aria2.pause", c);
    assertEquals(List.of(d, c, b), waiting(), "a paused download keeps its place");
    rpc.result("aria2.unpause", c);
    String e = rpc.result("aria2.addUri", List.of(url("e")), Map.of(), 0).asText();
    assertEquals(List.of(e, d, c, b), waiting(), "addUri's position puts it there");
    JsonNode active = rpc.call("aria2.changePosition", a, 0, "POS_SET");
    JsonNode badHow = rpc.call("aria2.changePosition", b, 0, "POS_MIDDLE");
    origin.release("/a.bin");
    for (String gid : List.of(a, e, d, c, b)) {
      rpc.awaitNotification("aria2.onDownloadComplete", gid);
    }

    assertEquals(0, dFirst.asInt());
    assertEquals(2, bBack.asInt());
    assertEquals(0, clamped.asInt());
    assertEquals(1, active.get("error").get("code").asInt(), active.toString());
    assertTrue(active.get("error").get("message").asText().contains("is not waiting"),
        active.toString());
    assertEquals(-32602, badHow.get("error").get("code").asInt(), badHow.toString());
    List<String> started = origin.requests().stream().map(Exchange::path).distinct()
        .toList();
    assertEquals(List.of("/a.bin", "/e.bin", "/d.bin", "/c.bin", "/b.bin"), started);
    for (String name : List.of("a", "b", "c", "d", "e")) {
      assertEquals(Sha256.of(contents.get(name)),
          Sha256.of(Files.readAllBytes(dir.resolve(name + ".bin"))), name);
    }
  }

  @Test
  void theOrderSurvivesARestart() throws Exception {
    origin.hold("/a.bin");
    String a = add("a");
    rpc.awaitNotification("aria2.onDownloadStart", a);
    String b = add("b");
    String c = add("c");
    String d = add("d");
    rpc.result("aria2.changePosition", d, 0, "POS_SET");
    rpc.result("aria2.pause", b);
    rpc.close();
    server.close();

    server = RunningServer.start(dir, ServerConfig.newBuilder().token(SECRET)
        .limits(Limits.newBuilder().maxConcurrentDownloads(1).build()));
    rpc = Aria2RpcClient.connect(server, SECRET);
    List<String> afterRestart = waiting();
    afterRestart.remove(a); // a ran when the server stopped: it starts first, maybe not yet
    rpc.result("aria2.unpause", b); // resumed while a still runs: b keeps its place
    origin.release("/a.bin");
    for (String gid : List.of(a, d, b, c)) {
      rpc.awaitNotification("aria2.onDownloadComplete", gid);
    }

    assertEquals(List.of(d, b, c), afterRestart);
    List<String> started = origin.requests().stream().map(Exchange::path).distinct()
        .toList();
    assertEquals(List.of("/a.bin", "/d.bin", "/b.bin", "/c.bin"), started);
    for (String name : List.of("a", "b", "c", "d")) {
      assertEquals(Sha256.of(contents.get(name)),
          Sha256.of(Files.readAllBytes(dir.resolve(name + ".bin"))), name);
    }
  }

  private String add(String name) throws Exception {
    return rpc.result("aria2.addUri", List.of(url(name))).asText();
  }

  private String url(String name) {
    contents.put(name, origin.file("/" + name + ".bin", 30_000 + name.charAt(0)));
    return origin.uri("/" + name + ".bin").toString();
  }

  private List<String> waiting() throws Exception {
    List<String> gids = new ArrayList<>();
    rpc.result("aria2.tellWaiting", 0, 100, List.of("gid")).forEach(s -> gids.add(
        s.get("gid").asText()));
    return gids;
  }
}
