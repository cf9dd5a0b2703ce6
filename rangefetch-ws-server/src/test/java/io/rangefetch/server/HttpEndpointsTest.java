package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plain HTTP endpoints: dashboard, health, metrics, files. */
class HttpEndpointsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    origin.close();
  }

  @Test
  void rootServesTheDashboardPageFromTheClasspath() throws Exception {
    HttpResponse<byte[]> page = server.get("/");
    HttpResponse<byte[]> same = server.get("/web/index.html");

    assertEquals(200, page.statusCode());
    assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").get());
    assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("<html"));
    assertEquals(200, same.statusCode());
    assertArrayEquals(page.body(), same.body());
  }

  @Test
  void webFilesOutsideTheFolderOrMissingAre404() throws Exception {
    assertEquals(404, server.get("/web/missing.js").statusCode());
    assertRefused(server.get("/web/..%2Fversion.properties").statusCode());
    assertEquals(404, server.get("/web/.hidden").statusCode());
    assertEquals(404, server.get("/nothing-here").statusCode());
  }

  @Test
  void healthzAnswers200WithJson() throws Exception {
    HttpResponse<byte[]> health = server.get("/healthz");

    assertEquals(200, health.statusCode());
    assertEquals("application/json", health.headers().firstValue("Content-Type").get());
    JsonNode body = JSON.readTree(health.body());
    assertEquals("up", body.get("status").asText());
    assertEquals(0, body.get("downloads").asInt());
  }

  @Test
  void metricsCountDownloadsBytesThreadsRetriesAndSessions() throws Exception {
    byte[] content = origin.file("/m.bin", 100_000);
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/m.bin")))
          .get("download").get("id").asText();
      client.awaitState(id, "completed");

      HttpResponse<byte[]> metrics = server.get("/metrics");
      String text = new String(metrics.body(), StandardCharsets.UTF_8);

      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.headers().firstValue("Content-Type").get().startsWith("text/plain"));
      assertTrue(text.contains("rangefetch_downloads{state=\"completed\"} 1.0"), text);
      assertTrue(text.contains("rangefetch_downloads{state=\"downloading\"} 0.0"), text);
      assertTrue(text.contains("rangefetch_download_bytes_total " + content.length + ".0"), text);
      assertTrue(text.contains("rangefetch_threads_active 0.0"), text);
      assertTrue(text.contains("rangefetch_chunk_retries_total 0.0"), text);
      assertTrue(text.contains("rangefetch_websocket_sessions 1.0"), text);
    }
  }

  @Test
  void metricsCountRetriedChunks() throws Exception {
    byte[] content = origin.file("/r.bin", 3 * 1024 * 1024);
    origin.failLaterChunks("/r.bin", 2);
    server.close();
    server = RunningServer.start(dir, ServerConfig.newBuilder().limits(
        io.rangefetch.Limits.newBuilder().maxThreads(1).maxBytesPerThread(1024 * 1024).build()));
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/r.bin")))
          .get("download").get("id").asText();
      assertEquals(Sha256.of(content),
          client.awaitState(id, "completed").get("sha256").asText());

      String text = new String(server.get("/metrics").body(), StandardCharsets.UTF_8);

      assertTrue(text.contains("rangefetch_chunk_retries_total 2.0"), text);
    }
  }

  @Test
  void metricsCountWhatTheChunkSchedulerDid() throws Exception {
    byte[] content = origin.file("/s.bin", 3 * 1024 * 1024);
    server.close();
    server = RunningServer.start(dir, ServerConfig.newBuilder().limits(
        io.rangefetch.Limits.newBuilder().maxThreads(2).maxBytesPerThread(1024 * 1024).build()));
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/s.bin")))
          .get("download").get("id").asText();
      assertEquals(Sha256.of(content),
          client.awaitState(id, "completed").get("sha256").asText());

      String text = new String(server.get("/metrics").body(), StandardCharsets.UTF_8);

      // three chunks: at least three range requests, each event named with its own series
      java.util.regex.Matcher requests = java.util.regex.Pattern.compile(
          "rangefetch_transfer_events_total\\{event=\"request\",?\\} ([0-9.]+)").matcher(text);
      assertTrue(requests.find(), text);
      assertTrue(Double.parseDouble(requests.group(1)) >= 3, text);
      for (String event : List.of("pipelined", "steal", "race", "reconnect", "short_response")) {
        assertTrue(text.contains("rangefetch_transfer_events_total{event=\"" + event + "\""),
            () -> event + " missing in " + text);
      }
    }
  }

  @Test
  void filesServesACompletedDownloadWithRanges() throws Exception {
    byte[] content = origin.file("/f.bin", 50_000);
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/f.bin")))
          .get("download").get("id").asText();
      client.awaitState(id, "completed");

      HttpResponse<byte[]> whole = server.get("/files/" + id);
      HttpResponse<byte[]> part = server.get("/files/" + id, "Range", "bytes=100-199");

      assertEquals(200, whole.statusCode());
      assertArrayEquals(content, whole.body());
      assertEquals(206, part.statusCode());
      assertEquals("bytes 100-199/50000", part.headers().firstValue("Content-Range").get());
      assertArrayEquals(Arrays.copyOfRange(content, 100, 200), part.body());
    }
  }

  @Test
  void filesOfUnknownOrUnfinishedDownloadsAre404() throws Exception {
    origin.file("/slow.bin", 100_000);
    origin.hold("/slow.bin");
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/slow.bin")))
          .get("download").get("id").asText();

      assertEquals(404, server.get("/files/" + id).statusCode());
      assertEquals(404, server.get("/files/999").statusCode());
      assertRefused(server.get("/files/..%2F..%2Fetc%2Fpasswd").statusCode());
    }
  }

  @Test
  void otherMethodsThanGetAre405() throws Exception {
    var request = java.net.http.HttpRequest.newBuilder(server.http("/healthz"))
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build();
    var response = java.net.http.HttpClient.newHttpClient().send(request,
        HttpResponse.BodyHandlers.discarding());

    assertEquals(405, response.statusCode());
  }

  @Test
  void webSocketsOverLoopbackAreNotCompressed() throws Exception {
    // What a browser or Python's websockets offers by default.
    String head = upgradeResponseHead(server.port(), "GET /ws HTTP/1.1",
        "Host: 127.0.0.1:" + server.port(), "Connection: Upgrade", "Upgrade: websocket",
        "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits");

    assertTrue(head.startsWith("HTTP/1.1 101"), head);
    assertFalse(head.toLowerCase(Locale.ROOT).contains("sec-websocket-extensions"), head);
  }

  /** Sends an upgrade request and returns the response's status line and headers. */
  private static String upgradeResponseHead(int port, String... lines) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write((String.join("\r\n", lines) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder head = new StringBuilder();
      while (head.indexOf("\r\n\r\n") < 0) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.append((char) b);
      }
      return head.toString();
    }
  }

  /** Jetty itself answers 400 to an encoded slash; either way nothing is served. */
  private static void assertRefused(int status) {
    assertTrue(status == 400 || status == 404, "status " + status);
  }
}
