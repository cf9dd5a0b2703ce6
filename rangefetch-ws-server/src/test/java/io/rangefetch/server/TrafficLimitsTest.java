package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.testing.TestOrigin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rate limits and the per-host cap through {@code /ws}: {@code add} with {@code limitBps},
 * {@code update} and {@code setLimits}, against a real server, with the rate measured at the
 * origin (bytes it handed to its connections over time, after the buffers between it and the
 * downloader are full), never by the test's own clock.
 */
class TrafficLimitsTest {
  private static final int KIB = 1024;
  /** The origin's send buffer: small, so that it feels the downloader's pace soon. */
  private static final int SEND_BUFFER = 32 * KIB;
  /**
   * Bytes that may sit in buffers between the origin and the downloader's reads (send and
   * receive buffers of 4 connections, and what the downloader asks ahead); the rate is measured
   * after them.
   */
  private static final long BUFFERED = 640 * KIB;
  private static final int HOST_CAP = 4;

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin(SEND_BUFFER);
    server = RunningServer.start(dir, config());
    client = server.connectApi();
  }

  private static ServerConfig.Builder config() {
    return ServerConfig.newBuilder().limits(Limits.newBuilder().maxThreads(4)
        .maxBytesPerThread(64 * KIB).maxConnectionsPerHost(HOST_CAP).build());
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    server.close();
    origin.close();
  }

  /** A file the origin sends as fast as the downloader reads, recording when. */
  private void file(String path, int size) {
    origin.file(path, size, Long.MAX_VALUE);
  }

  private JsonNode add(String path, String extra) throws Exception {
    return client.request("add" + path, "{\"op\":\"add\",\"url\":\"" + origin.uri(path) + "\""
        + extra + "}").get("download");
  }

  private static void assertWithin(double expected, double actual, double tolerance, String what) {
    assertTrue(actual >= expected * (1 - tolerance) && actual <= expected * (1 + tolerance),
        what + ": " + Math.round(actual) + " B/s, expected " + Math.round(expected) + " B/s ± "
            + Math.round(tolerance * 100) + " %");
  }

  @Test
  void aDownloadAddedWithLimitBpsShowsItAndTheOriginSeesThatRate() throws Exception {
    file("/a.bin", 1536 * KIB);

    JsonNode added = add("/a.bin", ",\"limitBps\":262144");
    String id = added.get("id").asText();
    JsonNode done = client.awaitState(id, "completed");

    assertEquals(262144, added.get("limitBps").asLong());
    assertEquals(262144, done.get("limitBps").asLong());
    assertTrue(done.get("hostAllowance").isNull(), done.toString());
    assertWithin(262144, origin.rateBetween("/a.bin", BUFFERED, 1536 * KIB), 0.2,
        "the origin's rate");
  }

  @Test
  void updateChangesTheRateOfARunningDownload() throws Exception {
    file("/b.bin", 2048 * KIB);
    var slowPartSent = origin.whenSent("/b.bin", BUFFERED + 256 * KIB);
    String id = add("/b.bin", ",\"limitBps\":131072").get("id").asText();
    assertTrue(slowPartSent.await(60, TimeUnit.SECONDS));

    JsonNode ok = client.request("u", "{\"op\":\"update\",\"id\":\"" + id
        + "\",\"limitBps\":524288}");
    long changedAt = origin.sentBytes("/b.bin");
    client.awaitState(id, "completed");

    assertEquals("ok", ok.get("type").asText());
    assertEquals(524288, ok.get("download").get("limitBps").asLong());
    assertWithin(131072, origin.rateBetween("/b.bin", BUFFERED, BUFFERED + 256 * KIB), 0.25,
        "before the update");
    assertWithin(524288, origin.rateBetween("/b.bin", changedAt + BUFFERED, 2048 * KIB), 0.3,
        "after the update");
  }

  @Test
  void setLimitsChangesTheGlobalLimitShownByHelloAndTheReply() throws Exception {
    file("/c.bin", 1536 * KIB);
    try (ProtocolClient before = ProtocolClient.connect(server.api())) {
      JsonNode limits = before.nextJson().get("limits");
      assertTrue(limits.get("downloadBps").isNull(), limits.toString());
      assertEquals(HOST_CAP, limits.get("maxConnectionsPerHost").asInt());
    }

    JsonNode reply = client.request("s", "{\"op\":\"setLimits\",\"downloadBps\":262144,"
        + "\"maxConnectionsPerHost\":2}");
    String id = add("/c.bin", "").get("id").asText();
    client.awaitState(id, "completed");

    assertEquals("ok", reply.get("type").asText());
    assertEquals(262144, reply.get("limits").get("downloadBps").asLong());
    assertEquals(2, reply.get("limits").get("maxConnectionsPerHost").asInt());
    assertEquals(4, reply.get("limits").get("maxThreads").asInt(), "the same object as hello");
    try (ProtocolClient after = ProtocolClient.connect(server.api())) {
      assertEquals(reply.get("limits"), after.nextJson().get("limits"));
    }
    assertWithin(262144, origin.rateBetween("/c.bin", BUFFERED, 1536 * KIB), 0.2,
        "the origin's rate");
    assertTrue(origin.maxInFlight() <= 2, "at most 2 requests at once, was "
        + origin.maxInFlight());

    JsonNode lifted = client.request("n", "{\"op\":\"setLimits\",\"downloadBps\":null}");
    assertTrue(lifted.get("limits").get("downloadBps").isNull(), lifted.toString());
    assertEquals(2, lifted.get("limits").get("maxConnectionsPerHost").asInt());
  }

  @Test
  void aHostAnswering503ShowsItsCutAllowanceAndTheMetricsCountTheBackOff() throws Exception {
    origin.file("/g.bin", 1024 * KIB, 128 * KIB);
    origin.failLaterChunks("/g.bin", 1);

    String id = add("/g.bin", ",\"threads\":4").get("id").asText();
    JsonNode cut = client.awaitJson(node -> node.path("download").path("id").asText().equals(id)
        && node.path("download").path("hostAllowance").isInt(), "a status with hostAllowance")
        .get("download");
    client.awaitState(id, "completed");
    String metrics = new String(server.get("/metrics").body(), StandardCharsets.UTF_8);

    assertTrue(cut.get("hostAllowance").asInt() < HOST_CAP, cut.toString());
    assertEquals("downloading", cut.get("state").asText());
    assertTrue(metrics.contains("rangefetch_traffic_backoffs_total 1.0"), metrics);
    assertTrue(metrics.contains("rangefetch_traffic_host_connections_cap " + HOST_CAP + ".0"),
        metrics);
    assertTrue(metrics.contains("rangefetch_traffic_rate_limit_bytes 0.0"), metrics);
  }

  @Test
  void theMetricsShowTheGlobalLimitSetBySetLimits() throws Exception {
    client.request("s", "{\"op\":\"setLimits\",\"downloadBps\":262144,"
        + "\"maxConnectionsPerHost\":3}");

    String metrics = new String(server.get("/metrics").body(), StandardCharsets.UTF_8);

    assertTrue(metrics.contains("rangefetch_traffic_rate_limit_bytes 262144.0"), metrics);
    assertTrue(metrics.contains("rangefetch_traffic_host_connections_cap 3.0"), metrics);
    assertTrue(metrics.contains("rangefetch_traffic_hosts_throttled 0.0"), metrics);
  }

  @Test
  void badValuesAreRefusedAndChangeNothing() throws Exception {
    origin.file("/d.bin", 100_000);
    var reached = origin.hold("/d.bin");
    String id = add("/d.bin", ",\"limitBps\":65536").get("id").asText();
    assertTrue(reached.await(60, TimeUnit.SECONDS));
    String hello = Json.mapper().writeValueAsString(
        client.request("s0", "{\"op\":\"setLimits\"}").get("limits"));

    for (String bad : new String[] {
        "{\"op\":\"update\",\"id\":\"" + id + "\",\"limitBps\":0}",
        "{\"op\":\"update\",\"id\":\"" + id + "\",\"limitBps\":\"4M\"}",
        "{\"op\":\"update\",\"id\":\"" + id + "\",\"limitBps\":1.5}",
        "{\"op\":\"update\",\"id\":\"" + id + "\",\"limitBps\":2048,\"speed\":1}",
        "{\"op\":\"update\",\"limitBps\":2048}",
        "{\"op\":\"setLimits\",\"downloadBps\":-1}",
        "{\"op\":\"setLimits\",\"maxConnectionsPerHost\":0}",
        "{\"op\":\"setLimits\",\"downloadBps\":8192,\"maxConnectionsPerHost\":" + (HOST_CAP + 1)
            + "}",
        "{\"op\":\"setLimits\",\"downloadBps\":8192,\"limitBps\":1}"}) {
      JsonNode error = client.request("bad", bad);
      assertEquals("error", error.get("type").asText(), bad);
      assertEquals("bad_request", error.get("code").asText(), bad + " -> " + error);
    }

    JsonNode status = client.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}");
    assertEquals(65536, status.get("download").get("limitBps").asLong());
    assertEquals(hello, Json.mapper().writeValueAsString(
        client.request("s1", "{\"op\":\"setLimits\"}").get("limits")));
    JsonNode unknown = client.request("x", "{\"op\":\"update\",\"id\":\"999\",\"limitBps\":4096}");
    assertEquals("not_found", unknown.get("code").asText());
    origin.release("/d.bin");
  }

  @Test
  void aHostCapAboveTheConfiguredOneIsRefusedWithTheCapInTheMessage() throws Exception {
    JsonNode error = client.request("c", "{\"op\":\"setLimits\",\"maxConnectionsPerHost\":"
        + (HOST_CAP + 1) + "}");

    assertEquals("bad_request", error.get("code").asText());
    assertTrue(error.get("message").asText().contains("between 1 and " + HOST_CAP),
        error.toString());
  }

  @Test
  void aRateBelowTheLowestTheDownloaderTakesIsRaisedToItAndShown() throws Exception {
    origin.file("/e.bin", 100_000);
    var reached = origin.hold("/e.bin");
    String id = add("/e.bin", "").get("id").asText();
    assertTrue(reached.await(60, TimeUnit.SECONDS));

    JsonNode ok = client.request("u", "{\"op\":\"update\",\"id\":\"" + id + "\",\"limitBps\":1}");
    JsonNode lifted = client.request("v", "{\"op\":\"update\",\"id\":\"" + id
        + "\",\"limitBps\":null}");

    assertEquals(1024, ok.get("download").get("limitBps").asLong());
    assertTrue(lifted.get("download").get("limitBps").isNull(), lifted.toString());
    origin.release("/e.bin");
    client.awaitState(id, "completed");
    JsonNode done = client.request("d", "{\"op\":\"update\",\"id\":\"" + id
        + "\",\"limitBps\":4096}");
    assertEquals("conflict", done.get("code").asText());
  }

  @Test
  void aDownloadsLimitIsKeptAcrossARestart() throws Exception {
    origin.file("/f.bin", 100_000);
    var reached = origin.hold("/f.bin");
    String id = add("/f.bin", ",\"limitBps\":65536").get("id").asText();
    assertTrue(reached.await(60, TimeUnit.SECONDS));
    client.request("u", "{\"op\":\"update\",\"id\":\"" + id + "\",\"limitBps\":98304}");
    client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
    client.close();
    client = null;
    server.close();
    origin.release("/f.bin");

    server = RunningServer.start(dir, config());
    client = server.connectApi();
    JsonNode status = client.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}");

    assertEquals(98304, status.get("download").get("limitBps").asLong());
    assertEquals("paused", status.get("download").get("state").asText());
  }
}
