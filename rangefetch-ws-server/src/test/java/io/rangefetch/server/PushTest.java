package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rangefetch.Limits;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Status pushes: every subscribed client sees every change, whatever the others do. */
class PushTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir, ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(8 * 1024).build()));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    origin.close();
  }

  @Test
  void everySubscribedClientSeesTheDownloadToItsEnd() throws Exception {
    byte[] content = origin.file("/a.bin", 400_000);
    try (ProtocolClient adder = server.connectApi();
        ProtocolClient second = server.connectApi();
        ProtocolClient third = server.connectApi()) {

      String id = adder.request("r", ApiCommandsTest.add(origin.uri("/a.bin")))
          .get("download").get("id").asText();

      for (ProtocolClient client : List.of(adder, second, third)) {
        JsonNode done = client.awaitState(id, "completed");
        assertEquals(Sha256.of(content), done.get("sha256").asText());
      }
    }
  }

  @Test
  void noReplyShowsAnOlderStatusThanAPushBeforeIt() throws Exception {
    // Downloads that fail at once (404): the core's failure races the reply to the add. The
    // reply, a push too as far as a client can tell, must not undo the failure it follows.
    int downloads = 40;
    try (ProtocolClient client = server.connectApi()) {
      for (int i = 0; i < downloads; i++) {
        client.send(ApiCommandsTest.add(origin.uri("/missing.bin?n=" + i))
            .replaceFirst("}$", ",\"requestId\":\"a" + i + "\"}"));
      }
      java.util.Map<String, String> lastState = new java.util.HashMap<>();
      java.util.Set<String> replied = new java.util.HashSet<>();
      while (replied.size() < downloads
          || lastState.values().stream().anyMatch(state -> !state.equals("failed"))) {
        JsonNode message = client.nextJson();
        JsonNode download = message.path("download");
        if (download.isMissingNode()) {
          continue;
        }
        lastState.put(download.get("id").asText(), download.get("state").asText());
        if (message.path("type").asText().equals("added")) {
          replied.add(download.get("id").asText());
        }
      }

      assertEquals(downloads, lastState.size());
    }
  }

  @Test
  void everyStateChangeIsPushedInOrderAndTheLastPushShowsTheFinalState() throws Exception {
    origin.file("/a.bin", 300_000);
    var reached = origin.hold("/a.bin");
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/a.bin")))
          .get("download").get("id").asText();
      assertTrue(reached.await(60, TimeUnit.SECONDS));
      client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      origin.release("/a.bin");
      client.request("q", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
      client.awaitState(id, "completed");
      client.request("l", "{\"op\":\"list\"}");

      List<String> states = new ArrayList<>();
      for (String frame : client.history()) {
        JsonNode node = JSON.readTree(frame);
        if ("status".equals(node.get("type").asText()) && !node.has("requestId")) {
          String state = node.get("download").get("state").asText();
          if (states.isEmpty() || !states.get(states.size() - 1).equals(state)) {
            states.add(state);
          }
        }
      }

      assertEquals("queued", states.get(0), states.toString());
      assertTrue(states.contains("paused"), states.toString());
      assertTrue(states.indexOf("paused") < states.size() - 2, "it ran again: " + states);
      assertEquals("completed", states.get(states.size() - 1), states.toString());
    }
  }

  @Test
  void eachPushOfADownloadShowsSomethingNewFromQueuedToCompleted() throws Exception {
    // Small downloads: the core's events come in bursts that change nothing visible in between
    // (the add's own notification, a queued event after it), and the last progress comes just
    // before the end. None of that may reach a client twice, and nothing may be lost.
    int downloads = 20;
    for (int i = 0; i < downloads; i++) {
      origin.file("/s" + i + ".bin", 30_000 + i);
    }
    try (ProtocolClient client = server.connectApi()) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < downloads; i++) {
        ids.add(client.request("r" + i, ApiCommandsTest.add(origin.uri("/s" + i + ".bin")))
            .get("download").get("id").asText());
      }
      for (String id : ids) {
        client.awaitState(id, "completed");
      }

      java.util.Map<String, List<JsonNode>> pushes = new java.util.HashMap<>();
      for (String frame : client.history()) {
        JsonNode node = JSON.readTree(frame);
        if ("status".equals(node.get("type").asText()) && !node.has("requestId")) {
          JsonNode download = node.get("download");
          pushes.computeIfAbsent(download.get("id").asText(), k -> new ArrayList<>())
              .add(download);
        }
      }
      for (int i = 0; i < downloads; i++) {
        List<JsonNode> seen = pushes.get(ids.get(i));
        assertEquals("queued", seen.get(0).get("state").asText(), seen.toString());
        for (int k = 1; k < seen.size(); k++) {
          assertTrue(!seen.get(k).equals(seen.get(k - 1)), "pushed twice: " + seen.get(k));
        }
        JsonNode last = seen.get(seen.size() - 1);
        assertEquals("completed", last.get("state").asText(), seen.toString());
        assertEquals(30_000 + i, last.get("bytesDone").asLong());
        assertEquals(1.0, last.get("progress").asDouble());
      }
    }
  }

  @Test
  void progressOfALongDownloadIsPushedWhileItRuns() throws Exception {
    origin.file("/slow.bin", 200_000);
    origin.rate("/slow.bin", 100_000);
    try (ProtocolClient client = server.connectApi()) {
      String id = client.request("r", ApiCommandsTest.add(origin.uri("/slow.bin")))
          .get("download").get("id").asText();

      JsonNode partway = client.awaitJson(node -> "status".equals(node.path("type").asText())
          && id.equals(node.path("download").path("id").asText())
          && "downloading".equals(node.path("download").path("state").asText())
          && node.path("download").path("bytesDone").asLong() > 0
          && node.path("download").path("bytesDone").asLong() < 200_000, "a progress push");

      assertTrue(partway.get("download").get("progress").asDouble() < 1.0);
      origin.rate("/slow.bin", Long.MAX_VALUE);
      client.awaitState(id, "completed");
    }
  }

  @Test
  void disconnectOfTheAddingClientStopsNothing() throws Exception {
    byte[] content = origin.file("/a.bin", 200_000);
    var reached = origin.hold("/a.bin");
    String id;
    try (ProtocolClient adder = server.connectApi()) {
      id = adder.request("r", ApiCommandsTest.add(origin.uri("/a.bin")))
          .get("download").get("id").asText();
      assertTrue(reached.await(60, TimeUnit.SECONDS));
    }

    try (ProtocolClient later = server.connectApi()) {
      origin.release("/a.bin");
      JsonNode done = later.awaitState(id, "completed");
      assertEquals(Sha256.of(content),
          Sha256.of(Files.readAllBytes(dir.resolve("a.bin"))));
      assertEquals("completed", done.get("state").asText());
    }
  }

  @Test
  void clientThatDoesNotReadSlowsNeitherTheDownloadNorOtherClients() throws Exception {
    try (ProtocolClient stuck = ProtocolClient.connectWithoutReading(server.api());
        ProtocolClient reader = server.connectApi()) {
      // Forty downloads make each list reply tens of kilobytes; three hundred of them are more
      // than the socket buffers hold, so the stuck client's sends back up in the server.
      for (int i = 0; i < 40; i++) {
        origin.file("/small/" + i, 10);
        String id = reader.request("s" + i, ApiCommandsTest.add(origin.uri("/small/" + i)))
            .get("download").get("id").asText();
        reader.awaitState(id, "completed");
      }
      for (int i = 0; i < 300; i++) {
        stuck.send("{\"op\":\"list\"}");
      }
      byte[] content = origin.file("/big.bin", 2_000_000);

      String id = reader.request("r", ApiCommandsTest.add(origin.uri("/big.bin")))
          .get("download").get("id").asText();
      JsonNode done = reader.awaitState(id, "completed");
      JsonNode get = reader.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}");

      assertEquals(Sha256.of(content), done.get("sha256").asText());
      assertEquals("completed", get.get("download").get("state").asText());
      stuck.startReading();
      assertEquals("completed", stuck.awaitState(id, "completed").get("state").asText(),
          "the stuck client gets the final state once it reads");
    }
  }
}
