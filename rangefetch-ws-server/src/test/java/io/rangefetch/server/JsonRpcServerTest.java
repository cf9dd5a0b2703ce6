package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
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
  private TestOrigin origin;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
  }

  @AfterEach
  void stop() throws Exception {
    origin.close();
  }

  @Test
  void headerOption_sentWithEveryRequestAndKeptAcrossARestart() throws Exception {
    byte[] content = origin.file("/h.bin", SIZE);
    var reached = origin.hold("/h.bin");
    String gid;
    try (RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET)) {
      gid = rpc.result("aria2.addUri", List.of(origin.uri("/h.bin").toString()),
          Map.of("header", List.of("X-Test-Header: kept"), "out", "h.bin")).asText();
      rpc.awaitNotification("aria2.onDownloadStart", gid);
      // The first request has reached the origin (with its header) before the pause.
      assertTrue(reached.await(60, java.util.concurrent.TimeUnit.SECONDS));
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
    assertEquals(Sha256.of(content),
        Sha256.of(Files.readAllBytes(dir.resolve("h.bin"))));
  }

  @Test
  void severalUris_areMirrorsOfOneFile_inGetUrisGetServersAndChangeUri() throws Exception {
    // given the same file on a slow origin and a fast one
    byte[] content = origin.file("/m.bin", SIZE);
    origin.throttle("/m.bin", 8 * 1024, java.time.Duration.ofMillis(40));
    try (TestOrigin mirror = new TestOrigin();
        RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET)) {
      mirror.file("/m.bin", SIZE);
      String first = origin.uri("/m.bin").toString();
      String second = mirror.uri("/m.bin").toString();

      // when added with both URIs, paused, and a third URI added with changeUri
      String gid = rpc.result("aria2.addUri", List.of(first, second)).asText();
      rpc.awaitNotification("aria2.onDownloadStart", gid);
      rpc.result("aria2.pause", gid);
      rpc.awaitNotification("aria2.onDownloadPause", gid);
      JsonNode uris = rpc.result("aria2.getUris", gid);
      JsonNode changed = rpc.result("aria2.changeUri", gid, 1, List.of(),
          List.of(origin.uri("/other-mirror.bin").toString()));
      JsonNode files = rpc.result("aria2.getFiles", gid);
      rpc.result("aria2.unpause", gid);
      rpc.awaitNotification("aria2.onDownloadComplete", gid);

      // then both URIs were listed in aria2's shapes, and the file is right
      assertEquals(first, uris.get(0).get("uri").asText(), uris.toString());
      assertEquals(second, uris.get(1).get("uri").asText(), uris.toString());
      assertEquals("waiting", uris.get(0).get("status").asText(), uris.toString());
      assertEquals(0, changed.get(0).asInt());
      assertEquals(1, changed.get(1).asInt());
      assertEquals(3, files.get(0).get("uris").size(), files.toString());
      assertEquals(Sha256.of(content),
          Sha256.of(Files.readAllBytes(dir.resolve("m.bin"))));
      assertTrue(mirror.requests("/m.bin").size() > 1, () -> mirror.requests().toString());
    }
  }

  @Test
  void uriWithBlanksAroundIt_isKeptAsChecked_andTheDownloadStaysReadable() throws Exception {
    // given the same file on two origins
    byte[] content = origin.file("/w.bin", SIZE);
    try (TestOrigin mirror = new TestOrigin();
        RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET)) {
      mirror.file("/w.bin", SIZE);
      String second = mirror.uri("/w.bin").toString();

      // when added with blanks around the URIs, as a hand-written call may have them
      String gid = rpc.result("aria2.addUri",
          List.of(" " + origin.uri("/w.bin") + "\n", "  " + second)).asText();
      rpc.awaitNotification("aria2.onDownloadComplete", gid);

      // then the URIs are kept as checked, without the blanks, and the download is listed
      JsonNode uris = rpc.result("aria2.getUris", gid);
      assertEquals(origin.uri("/w.bin").toString(), uris.get(0).get("uri").asText());
      assertEquals(second, uris.get(1).get("uri").asText(), uris.toString());
      assertEquals("complete", rpc.result("aria2.tellStatus", gid, List.of("status"))
          .get("status").asText());
      assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(dir.resolve("w.bin"))));
    }
  }

  @Test
  void getServers_listsEachSourceFetchedFrom() throws Exception {
    // given a slow download from two URIs of one file
    origin.file("/s.bin", SIZE);
    origin.throttle("/s.bin", 1024, java.time.Duration.ofMillis(100));
    try (TestOrigin mirror = new TestOrigin();
        RunningServer server = start(ServerConfig.newBuilder());
        Aria2RpcClient rpc = Aria2RpcClient.connect(server, SECRET);
        ProtocolClient watcher = ProtocolClient.connect(server.api(),
            Map.of("Authorization", "Bearer " + SECRET))) {
      mirror.file("/s.bin", SIZE);
      mirror.throttle("/s.bin", 1024, java.time.Duration.ofMillis(100));
      String gid = rpc.result("aria2.addUri", List.of(origin.uri("/s.bin").toString(),
          mirror.uri("/s.bin").toString())).asText();

      // when the mirror has been checked and is fetched from
      watcher.awaitJson(node -> node.path("download").path("mirrors").path(1).path("state")
          .asText().equals("active") && node.path("download").path("state").asText()
          .equals("downloading"), "an active mirror");
      JsonNode servers = rpc.result("aria2.getServers", gid);

      // then both are listed, each with its URI
      JsonNode listed = servers.get(0).get("servers");
      assertEquals(2, listed.size(), servers.toString());
      assertEquals(origin.uri("/s.bin").toString(), listed.get(0).get("uri").asText());
      assertEquals(mirror.uri("/s.bin").toString(), listed.get(1).get("uri").asText());
    }
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
