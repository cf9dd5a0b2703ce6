package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restart with the same download directory keeps the list. */
class RestartTest {
  @TempDir Path dir;
  private OriginServer origin;

  @BeforeEach
  void startOrigin() throws Exception {
    origin = new OriginServer();
  }

  @AfterEach
  void stopOrigin() throws Exception {
    origin.close();
  }

  @Test
  void restartKeepsCompletedLinksPausedDownloadsAndRestartsRunningOnes() throws Exception {
    byte[] done = origin.file("/done.bin", 10_000);
    byte[] paused = origin.file("/paused.bin", 100_000);
    byte[] running = origin.file("/running.bin", 100_000);
    String doneId;
    String pausedId;
    String runningId;
    String doneFile;
    try (RunningServer first = RunningServer.start(dir);
        ProtocolClient client = first.connectApi()) {
      doneId = id(client.request("a", ApiCommandsTest.add(origin.uri("/done.bin"))));
      doneFile = client.awaitState(doneId, "completed").get("file").asText();
      var pausedReached = origin.hold("/paused.bin");
      pausedId = id(client.request("b", ApiCommandsTest.add(origin.uri("/paused.bin"))));
      assertTrue(pausedReached.await(60, TimeUnit.SECONDS));
      client.request("p", "{\"op\":\"pause\",\"id\":\"" + pausedId + "\"}");
      client.awaitState(pausedId, "paused");
      var runningReached = origin.hold("/running.bin");
      runningId = id(client.request("c", ApiCommandsTest.add(origin.uri("/running.bin"))));
      assertTrue(runningReached.await(60, TimeUnit.SECONDS));
    }
    try (var listing = Files.list(dir)) {
      List<String> names = listing.map(p -> p.getFileName().toString()).sorted().toList();
      assertFalse(names.contains("running.bin"), "nothing under a final name: " + names);
    }
    origin.release("/paused.bin");
    origin.release("/running.bin");
    int pausedRequests = origin.requests("/paused.bin").size();

    try (RunningServer second = RunningServer.start(dir);
        ProtocolClient client = ProtocolClient.connect(second.api())) {
      client.assertHello();
      JsonNode list = client.await("list").get("downloads");
      JsonNode restarted = list.get(0).get("state").asText().equals("completed") ? list.get(0)
          : client.awaitState(runningId, "completed");
      JsonNode stillPaused = client.request("g", "{\"op\":\"get\",\"id\":\"" + pausedId + "\"}")
          .get("download");
      JsonNode stillDone = client.request("h", "{\"op\":\"get\",\"id\":\"" + doneId + "\"}")
          .get("download");
      String nextId = id(client.request("n", ApiCommandsTest.add(origin.uri("/other"))));

      assertEquals(3, list.size());
      assertEquals(runningId, list.get(0).get("id").asText());
      assertEquals(OriginServer.sha256(running), restarted.get("sha256").asText());
      assertEquals("paused", stillPaused.get("state").asText());
      assertEquals(pausedRequests, origin.requests("/paused.bin").size(), "paused stays paused");
      assertEquals("completed", stillDone.get("state").asText());
      assertEquals(doneFile, stillDone.get("file").asText());
      assertEquals(OriginServer.sha256(done), stillDone.get("sha256").asText());
      assertEquals("4", nextId);

      client.request("r", "{\"op\":\"resume\",\"id\":\"" + pausedId + "\"}");
      assertEquals(OriginServer.sha256(paused),
          client.awaitState(pausedId, "completed").get("sha256").asText());
    }
    assertFalse(Files.exists(dir.resolve(".rangefetch-state.json.tmp")));
  }

  @Test
  void completedDownloadWhoseFileWasDeletedFailsWithAClearMessage() throws Exception {
    origin.file("/gone.bin", 1000);
    String id;
    String file;
    try (RunningServer first = RunningServer.start(dir);
        ProtocolClient client = first.connectApi()) {
      id = id(client.request("a", ApiCommandsTest.add(origin.uri("/gone.bin"))));
      file = client.awaitState(id, "completed").get("file").asText();
    }
    Files.delete(Path.of(URI.create(file)));

    try (RunningServer second = RunningServer.start(dir);
        ProtocolClient client = second.connectApi()) {
      JsonNode status = client.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}")
          .get("download");

      assertEquals("failed", status.get("state").asText());
      assertEquals("file_missing", status.get("error").get("code").asText());
      assertTrue(status.get("error").get("message").asText().contains("add the URL again"));
      assertTrue(status.get("file").isNull());
      assertEquals(404, second.get("/files/" + id).statusCode());
    }
  }

  @Test
  void unreadableStateFileIsSetAsideAndTheServerStartsEmpty() throws Exception {
    Files.writeString(dir.resolve(".rangefetch-state.json"), "{not json");

    try (RunningServer server = RunningServer.start(dir);
        ProtocolClient client = ProtocolClient.connect(server.api())) {
      client.assertHello();

      assertEquals(0, client.await("list").get("downloads").size());
      try (var files = Files.list(dir)) {
        assertTrue(files.anyMatch(p -> p.getFileName().toString()
            .startsWith(".rangefetch-state.json.broken-")));
      }
    }
  }

  private static String id(JsonNode reply) {
    return reply.get("download").get("id").asText();
  }
}
