package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code /jsonrpc} does to the server beyond one call: headers kept, shutdown, caps. */
class JsonRpcServerTest {
  private static final String SECRET = "server-secret";
  private static final int SIZE = 1 << 20;

  @TempDir Path dir;
  private OriginServer origin;

  @BeforeEach
  void start() throws Exception {
    origin = new OriginServer();
  }

  @AfterEach
  void stop() throws Exception {
    origin.close();
  }

  @Test
  void headerOption_sentWithEveryRequestAndKeptAcrossARestart() throws Exception {
    byte[] content = origin.file("/h.bin", SIZE);
    origin.hold("/h.bin");
    String gid;
    try (RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET)) {
      gid = rpc.result("aria2.addUri", List.of(origin.uri("/h.bin").toString()),
          Map.of("header", List.of("X-Test-Header: kept"), "out", "h.bin")).asText();
      rpc.awaitNotification("aria2.onDownloadStart", gid);
      rpc.result("aria2.pause", gid);
      rpc.awaitNotification("aria2.onDownloadPause", gid);
    }
    int before = origin.testHeaders("/h.bin").size();
    origin.release("/h.bin");

    try (RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET)) {
      assertEquals("paused", rpc.result("aria2.tellStatus", gid, List.of("status"))
          .get("status").asText());
      rpc.result("aria2.unpause", gid);
      rpc.awaitNotification("aria2.onDownloadComplete", gid);
    }

    List<String> sent = origin.testHeaders("/h.bin");
    assertTrue(before >= 1 && sent.size() > before, sent.toString());
    assertEquals(List.of("kept"), sent.stream().distinct().toList());
    assertEquals(OriginServer.sha256(content),
        OriginServer.sha256(Files.readAllBytes(dir.resolve("h.bin"))));
  }

  @Test
  void threadsAndChunkSize_cappedAtTheServersLimits() throws Exception {
    origin.file("/c.bin", SIZE);
    try (RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET)) {
      String gid = rpc.result("aria2.addUri", List.of(origin.uri("/c.bin").toString()),
          Map.of("split", "64", "max-connection-per-server", "16", "min-split-size", "1024M"))
          .asText();
      rpc.awaitNotification("aria2.onDownloadComplete", gid);

      JsonNode options = rpc.result("aria2.getOption", gid);
      assertEquals("4", options.get("split").asText());
      assertEquals("65536", options.get("min-split-size").asText());
      assertEquals("16", rpc.result("aria2.tellStatus", gid, List.of("numPieces"))
          .get("numPieces").asText());
      assertTrue(origin.requests("/c.bin").stream().allMatch(r -> r.length() <= 65536),
          origin.requests("/c.bin").toString());
    }
  }

  @Test
  void speedLimits_theDownloadsAndTheServersRateLimitsAsWsShowsThem() throws Exception {
    origin.file("/s.bin", SIZE);
    var reached = origin.hold("/s.bin");
    try (RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET);
        ProtocolClient ws = ProtocolClient.connect(server.api(),
            Map.of("Authorization", "Bearer " + SECRET))) {
      ws.assertHello();
      ws.await("list");
      String gid = rpc.result("aria2.addUri", List.of(origin.uri("/s.bin").toString()),
          Map.of("max-download-limit", "64K")).asText();
      assertTrue(reached.await(60, TimeUnit.SECONDS));
      String id = ws.request("l", "{\"op\":\"list\"}").get("downloads").get(0).get("id")
          .asText();

      assertEquals("65536", rpc.result("aria2.getOption", gid).get("max-download-limit")
          .asText());
      assertEquals("OK", rpc.result("aria2.changeOption", gid,
          Map.of("max-download-limit", "128K")).asText());
      assertEquals(131072, ws.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}")
          .get("download").get("limitBps").asLong());
      rpc.result("aria2.changeOption", gid, Map.of("max-download-limit", "0"));
      assertEquals("0", rpc.result("aria2.getOption", gid).get("max-download-limit").asText());

      assertEquals("OK", rpc.result("aria2.changeGlobalOption",
          Map.of("max-overall-download-limit", "2M")).asText());
      assertEquals("2097152", rpc.result("aria2.getGlobalOption")
          .get("max-overall-download-limit").asText());
      assertEquals(2097152, ws.request("s", "{\"op\":\"setLimits\"}").get("limits")
          .get("downloadBps").asLong());
      rpc.result("aria2.changeGlobalOption", Map.of("max-overall-download-limit", "0"));
      assertTrue(ws.request("t", "{\"op\":\"setLimits\"}").get("limits").get("downloadBps")
          .isNull());
      origin.release("/s.bin");
      rpc.awaitNotification("aria2.onDownloadComplete", gid);
    }
  }

  @Test
  void shutdown_allowedBySetting_repliesOkThenStops() throws Exception {
    RunningServer server = start(ServerConfig.newBuilder().rpcAllowShutdown(true));
    URI health = server.http("/healthz");
    try (Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET)) {
      HttpResponse<String> reply = rpc.post(rpc.request("aria2.shutdown").toString());

      assertEquals(200, reply.statusCode());
      assertEquals("OK", Aria2RpcClient.json(reply.body()).get("result").asText());
      CompletableFuture.runAsync(() -> {
        try {
          server.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }).get(60, TimeUnit.SECONDS);
      Exception refused = assertThrows(Exception.class, () -> HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.discarding()));
      assertTrue(refused instanceof ConnectException, refused.toString());
    } finally {
      server.close();
    }
  }

  private RunningServer start(ServerConfig.Builder config) throws Exception {
    return RunningServer.start(dir, config.token(SECRET)
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(64 * 1024).build()));
  }
}
