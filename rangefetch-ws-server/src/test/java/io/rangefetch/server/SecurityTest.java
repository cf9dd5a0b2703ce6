package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The security rules: token, Origin, Host, message limits, URL and file-name policies. */
class SecurityTest {
  private static final String TOKEN = "s3cret-token";

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;

  @BeforeEach
  void startOrigin() throws Exception {
    origin = new TestOrigin();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    origin.close();
  }

  @Test
  void refusesUpgradeWithoutToken() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().token(TOKEN));

    assertEquals(401, handshakeStatus(server.api(), Map.of()));
    assertEquals(401, handshakeStatus(server.console(), Map.of()));
  }

  @Test
  void refusesUpgradeWithWrongTokenAndDoesNotEchoIt() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().token(TOKEN));
    String guess = "guess-" + TOKEN;

    assertEquals(401, handshakeStatus(server.api(), Map.of("Authorization", "Bearer " + guess)));
    assertEquals(401, handshakeStatus(URI.create(server.api() + "?token=" + guess), Map.of()));
    String answer = rawRequest(server.port(), "GET /ws?token=" + guess + " HTTP/1.1",
        "Host: 127.0.0.1:" + server.port(), "Connection: Upgrade", "Upgrade: websocket",
        "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
    assertTrue(answer.startsWith("HTTP/1.1 401"), answer);
    assertFalse(answer.contains(guess), answer);
  }

  @Test
  void acceptsTokenAsBearerHeaderOrQueryParameter() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().token(TOKEN));

    try (ProtocolClient header = ProtocolClient.connect(server.api(),
            Map.of("Authorization", "Bearer " + TOKEN));
        ProtocolClient query = ProtocolClient.connect(URI.create(server.api() + "?token=" + TOKEN))) {
      header.assertHello();
      query.assertHello();
    }
  }

  @Test
  void filesNeedTheTokenToo() throws Exception {
    origin.file("/a.bin", 100);
    server = RunningServer.start(dir, ServerConfig.newBuilder().token(TOKEN));
    try (ProtocolClient client = ProtocolClient.connect(server.api(),
        Map.of("Authorization", "Bearer " + TOKEN))) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/a.bin")))
          .get("download").get("id").asText();
      client.awaitState(id, "completed");

      assertEquals(401, server.get("/files/" + id).statusCode());
      assertEquals(200, server.get("/files/" + id + "?token=" + TOKEN).statusCode());
    }
  }

  @Test
  void refusesUpgradeFromAForeignOrigin() throws Exception {
    server = RunningServer.start(dir);

    assertEquals(403, handshakeStatus(server.api(), Map.of("Origin", "https://evil.example")));
    assertEquals(403, handshakeStatus(server.console(), Map.of("Origin", "http://localhost:1")));
  }

  @Test
  void acceptsTheServersOwnOriginAndConfiguredOnes() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder()
        .allowedOrigins(List.of("https://dashboard.example")));

    try (ProtocolClient own = ProtocolClient.connect(server.api(),
            Map.of("Origin", "http://127.0.0.1:" + server.port()));
        ProtocolClient allowed = ProtocolClient.connect(server.api(),
            Map.of("Origin", "https://dashboard.example"))) {
      own.assertHello();
      allowed.assertHello();
    }
  }

  @Test
  void refusesAForeignHostHeaderWhenBoundToLoopback() throws Exception {
    server = RunningServer.start(dir);
    int port = server.port();

    String page = rawRequest(port, "GET / HTTP/1.1", "Host: evil.example:" + port);
    String upgrade = rawRequest(port, "GET /ws HTTP/1.1", "Host: rebound.example:" + port,
        "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
    String otherPort = rawRequest(port, "GET /healthz HTTP/1.1", "Host: 127.0.0.1:1");
    String local = rawRequest(port, "GET /healthz HTTP/1.1", "Host: localhost:" + port);

    assertTrue(page.startsWith("HTTP/1.1 403"), page);
    assertTrue(upgrade.startsWith("HTTP/1.1 403"), upgrade);
    assertTrue(otherPort.startsWith("HTTP/1.1 403"), otherPort);
    assertTrue(local.startsWith("HTTP/1.1 200"), local);
  }

  @Test
  void messageAboveTheLimitGetsALimitErrorThenClose1009() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().maxMessageBytes(1024));
    try (ProtocolClient client = server.connectApi()) {
      client.send("{\"op\":\"list\",\"pad\":\"" + "x".repeat(1500) + "\"}");

      JsonNode error = client.await("error");
      ProtocolClient.Closed closed = client.awaitClose();

      assertEquals("limit", error.get("code").asText());
      assertEquals(1009, closed.code());
    }
  }

  @Test
  void messageAboveTwiceTheLimitIsCutOffWith1009() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().maxMessageBytes(1024));
    try (ProtocolClient client = server.connectApi()) {
      client.sendUnfinished("x".repeat(1000), "x".repeat(1000), "x".repeat(1000));

      assertEquals(1009, client.awaitClose().code());
    }
  }

  @Test
  void binaryFrameClosesWith1003() throws Exception {
    server = RunningServer.start(dir);
    try (ProtocolClient client = server.connectApi()) {
      client.sendBinary(new byte[] {1, 2, 3});

      assertEquals(1003, client.awaitClose().code());
    }
  }

  @Test
  void hostileContentDispositionNamesStayInsideTheDownloadDir() throws Exception {
    server = RunningServer.start(dir);
    List<String> hostile = List.of("attachment; filename=\"../../escape.sh\"",
        "attachment; filename=\"/etc/cron.d/evil\"",
        "attachment; filename*=UTF-8''..%2F..%2Fescape2.sh",
        "attachment; filename=\"..\\\\..\\\\win.bat\"",
        "attachment; filename=\".rangefetch-state.json\"",
        "attachment; filename=\".rangefetch-state.journal\"");
    try (ProtocolClient client = server.connectApi()) {
      for (int i = 0; i < hostile.size(); i++) {
        origin.file("/h" + i, 100);
        origin.disposition("/h" + i, hostile.get(i));
        String id = client.request("r" + i, ApiCommandsTest.add(origin.uri("/h" + i)))
            .get("download").get("id").asText();
        JsonNode done = client.awaitState(id, "completed");

        Path file = Path.of(URI.create(done.get("file").asText()));
        assertEquals(dir.toRealPath(), file.toRealPath().getParent(), hostile.get(i));
      }
      try (Stream<Path> all = Files.walk(dir.getParent(), 1)) {
        assertTrue(all.noneMatch(p -> p.getFileName().toString().startsWith("escape")));
      }
      assertTrue(Files.readString(dir.resolve(".rangefetch-state.json")).contains("\"downloads\""),
          "the state file was not overwritten");
      assertEquals(hostile.size(), StateOnDisk.downloads(dir).size(),
          "the journal was not overwritten");
    }
  }

  @Test
  void redirectToASchemeOtherThanHttpFailsTheDownload() throws Exception {
    server = RunningServer.start(dir);
    origin.redirect("/moved", "file:///etc/passwd");
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/moved")))
          .get("download").get("id").asText();

      JsonNode failed = client.awaitState(id, "failed");

      assertEquals("redirect", failed.get("error").get("code").asText());
      // Nothing but the server's own state file, its journal and, while it is being replaced,
      // its temporary twin.
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(List.of(), files.map(p -> p.getFileName().toString())
            .filter(name -> !name.startsWith(".rangefetch-state.")).toList());
      }
      assertTrue(Files.exists(dir.resolve(".rangefetch-state.json")));
    }
  }

  @Test
  void redirectIsFollowedAndShownAsFinalUrl() throws Exception {
    server = RunningServer.start(dir);
    byte[] content = origin.file("/real.bin", 5000);
    origin.redirect("/short", origin.uri("/real.bin").toString());
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/short")))
          .get("download").get("id").asText();

      JsonNode done = client.awaitState(id, "completed");

      assertEquals(origin.uri("/short").toString(), done.get("url").asText());
      assertEquals(origin.uri("/real.bin").toString(), done.get("finalUrl").asText());
      assertEquals(Sha256.of(content), done.get("sha256").asText());
    }
  }

  @Test
  void blockPrivateNetworksRefusesLocalAddresses() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().blockPrivateNetworks(true));
    origin.file("/a.bin", 100);
    try (ProtocolClient client = server.connectApi()) {
      JsonNode literal = client.request("l", ApiCommandsTest.add(origin.uri("/a.bin")));
      JsonNode metadata = client.request("m",
          ApiCommandsTest.add(URI.create("http://169.254.169.254/latest/meta-data/")));
      URI byName = URI.create(origin.uri("/a.bin").toString().replace("127.0.0.1", "localhost"));
      String id = client.request("n", ApiCommandsTest.add(byName)).get("download").get("id")
          .asText();
      JsonNode failed = client.awaitState(id, "failed");

      assertEquals("bad_url", literal.get("code").asText());
      assertEquals("bad_url", metadata.get("code").asText());
      assertEquals("address_refused", failed.get("error").get("code").asText());
      assertTrue(origin.requests("/a.bin").isEmpty(), "the origin was never contacted");
    }
  }

  @Test
  void refusesSessionsBeyondTheCapWith503() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().maxSessions(2));
    try (ProtocolClient one = server.connectApi(); ProtocolClient two = server.connectApi()) {

      int third = handshakeStatus(server.api(), Map.of());

      assertEquals(503, third);
      assertEquals("list", one.request("l", "{\"op\":\"list\"}").get("type").asText());
      assertEquals("list", two.request("l", "{\"op\":\"list\"}").get("type").asText());
    }
  }

  @Test
  void sessionStaysOpenPastTheIdleTimeoutWhileTheClientAnswersPings() throws Exception {
    server = RunningServer.start(dir, ServerConfig.newBuilder().idleTimeout(Duration.ofSeconds(1)));
    try (ProtocolClient client = server.connectApi()) {

      Object frame = client.poll(Duration.ofSeconds(4));

      assertNull(frame, "nothing, and above all no close, within four idle timeouts");
      assertEquals("list", client.request("l", "{\"op\":\"list\"}").get("type").asText());
    }
  }

  private static int handshakeStatus(URI uri, Map<String, String> headers) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> ProtocolClient.connect(uri, headers).close());
    assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
    return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
  }

  private static String rawRequest(int port, String... lines) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write((String.join("\r\n", lines) + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
