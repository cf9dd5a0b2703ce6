package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an {@code add} on {@code /ws} says about its requests: headers and an expected SHA-256. */
class RequestOptionsTest {
  private static final String SECRET = "token-7f3a-secret";

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
  void headers_reachTheOrigin_andNeverAppearInTheStatus() throws Exception {
    byte[] content = origin.file("/h.bin", 200 * 1024);
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", "{\"op\":\"add\",\"url\":\"" + origin.uri("/h.bin")
          + "\",\"headers\":{\"X-Test-Header\":\"" + SECRET + "\"}}")
          .get("download").get("id").asText();
      JsonNode done = client.awaitState(id, "completed");

      assertEquals(Sha256.of(content), done.get("sha256").asText());
      List<String> seen = origin.testHeaders("/h.bin");
      assertFalse(seen.isEmpty());
      seen.forEach(header -> assertEquals(SECRET, header));
      // Every frame the server sent: replies, pushes, the final status.
      for (String frame : client.history()) {
        assertFalse(frame.contains(SECRET), frame);
      }
    }
  }

  @Test
  void refusedHeader_isABadRequestNamingIt() throws Exception {
    origin.file("/r.bin", 1024);
    try (ProtocolClient client = server.connectApi()) {
      JsonNode reply = client.request("r", "{\"op\":\"add\",\"url\":\"" + origin.uri("/r.bin")
          + "\",\"headers\":{\"Range\":\"bytes=0-1\"}}");

      assertEquals("error", reply.get("type").asText());
      assertEquals("bad_request", reply.get("code").asText());
      assertTrue(reply.get("message").asText().contains("Range"), reply.toString());
      assertTrue(origin.requests("/r.bin").isEmpty());
    }
  }

  @Test
  void jsonRpcChecksumMismatch_failsTheDownload_andLeavesNoFile() throws Exception {
    origin.file("/j.bin", 300 * 1024);
    Path rpcDir = dir.resolve("rpc");
    try (RunningServer rpcServer = RunningServer.start(rpcDir,
            io.rangefetch.server.ServerConfig.newBuilder().token("rpc-secret"));
        Aria2RpcClient rpc = Aria2RpcClient.connect(rpcServer, "rpc-secret")) {
      String gid = rpc.result("aria2.addUri", List.of(origin.uri("/j.bin").toString()),
          java.util.Map.of("checksum", "sha-256=" + "ab".repeat(32))).asText();
      rpc.awaitNotification("aria2.onDownloadError", gid);

      JsonNode status = rpc.result("aria2.tellStatus", gid,
          List.of("status", "errorCode", "errorMessage"));
      assertEquals("error", status.get("status").asText(), status.toString());
      assertEquals("32", status.get("errorCode").asText(), status.toString());
      assertTrue(status.get("errorMessage").asText().contains("ab".repeat(32)),
          status.toString());
      try (Stream<Path> files = Files.walk(rpcDir)) {
        assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith("j.bin"))
            .toList());
      }
    }
  }

  @Test
  void sha256Mismatch_failsWithChecksumMismatch_andLeavesNoFile() throws Exception {
    origin.file("/s.bin", 300 * 1024);
    String wrong = "0".repeat(64);
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", "{\"op\":\"add\",\"url\":\"" + origin.uri("/s.bin")
          + "\",\"sha256\":\"" + wrong + "\"}").get("download").get("id").asText();
      JsonNode failed = client.awaitState(id, "failed");

      assertEquals("CHECKSUM_MISMATCH", failed.get("error").get("code").asText()
          .toUpperCase(java.util.Locale.ROOT), failed.toString());
      assertTrue(failed.get("error").get("message").asText().contains(wrong), failed.toString());
      assertTrue(failed.get("file").isNull(), failed.toString());
      try (Stream<Path> files = Files.walk(dir)) {
        List<Path> left = files.filter(p -> p.getFileName().toString().startsWith("s.bin"))
            .toList();
        assertEquals(List.of(), left);
      }
    }
  }
}
