package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The caps, checked where they matter: on the HTTP side of the origin server. */
class CapsTest {
  private static final int CHUNK = 16 * 1024;

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir, ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxThreads(2).maxBytesPerThread(CHUNK)
            .maxConcurrentDownloads(1).build()));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    origin.close();
  }

  @Test
  void noRequestAsksForMoreThanMaxBytesPerThreadEvenWhenTheClientAsksForMore() throws Exception {
    byte[] content = origin.file("/a.bin", 20 * CHUNK + 123);
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", "{\"op\":\"add\",\"url\":\"" + origin.uri("/a.bin")
          + "\",\"chunkBytes\":100000000,\"threads\":64}").get("download").get("id").asText();
      JsonNode done = client.awaitState(id, "completed");

      assertEquals(Sha256.of(content), done.get("sha256").asText());
      List<Exchange> requests = origin.requests("/a.bin");
      assertTrue(requests.size() >= 21, "ranged requests: " + requests.size());
      for (Exchange request : requests) {
        assertTrue(request.length() >= 1 && request.length() <= CHUNK,
            "request for " + request.range());
      }
    }
  }

  @Test
  void runsOneDownloadAtATimeWithAtMostMaxThreadsRequestsInFlight() throws Exception {
    List<String> ids = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();
    try (ProtocolClient client = server.connectApi()) {
      for (int i = 0; i < 3; i++) {
        contents.add(origin.file("/f" + i, 30 * CHUNK));
        ids.add(client.request("r" + i, ApiCommandsTest.add(origin.uri("/f" + i)))
            .get("download").get("id").asText());
      }
      for (int i = 0; i < 3; i++) {
        assertEquals(Sha256.of(contents.get(i)),
            client.awaitState(ids.get(i), "completed").get("sha256").asText());
      }
      List<String> order = origin.requests().stream().map(Exchange::path).toList();

      assertTrue(origin.maxInFlight() <= 2, "in flight at once: " + origin.maxInFlight());
      assertTrue(order.lastIndexOf("/f0") < order.indexOf("/f1")
          && order.lastIndexOf("/f1") < order.indexOf("/f2"),
          "one download at a time, in the order added: " + order);
    }
  }
}
