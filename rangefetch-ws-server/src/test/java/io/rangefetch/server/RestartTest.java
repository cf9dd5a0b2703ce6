package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
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
  private TestOrigin origin;

  @BeforeEach
  void startOrigin() throws Exception {
    origin = new TestOrigin();
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
    List<String> names = namesIn(dir);
    assertFalse(names.contains("running.bin"), "nothing under a final name: " + names);
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
      assertEquals(Sha256.of(running), restarted.get("sha256").asText());
      assertEquals("paused", stillPaused.get("state").asText());
      assertEquals(pausedRequests, origin.requests("/paused.bin").size(), "paused stays paused");
      assertEquals("completed", stillDone.get("state").asText());
      assertEquals(doneFile, stillDone.get("file").asText());
      assertEquals(Sha256.of(done), stillDone.get("sha256").asText());
      assertEquals("4", nextId);

      client.request("r", "{\"op\":\"resume\",\"id\":\"" + pausedId + "\"}");
      assertEquals(Sha256.of(paused),
          client.awaitState(pausedId, "completed").get("sha256").asText());
    }
    assertFalse(Files.exists(dir.resolve(".rangefetch-state.json.tmp")));
  }

  @Test
  void completedDownloadWhoseFileWasDeletedWhileStoppedShowsItsFileMissing() throws Exception {
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

      assertEquals("completed", status.get("state").asText());
      assertTrue(status.get("fileMissing").asBoolean(), status.toString());
      assertEquals(file, status.get("file").asText(), "where the file was");
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

  @Test
  void restartRestoresIdsUrlsOptionsStatesAndErrorsExactly() throws Exception {
    byte[] named = origin.file("/named.bin", 50_000);
    origin.file("/paused.bin", 100_000);
    String options = ",\"threads\":2,\"chunkBytes\":4096,\"fileName\":\"chosen.bin\","
        + "\"sha256\":\"" + Sha256.of(named) + "\"}";
    JsonNode before;
    JsonNode listBefore;
    try (RunningServer first = RunningServer.start(dir);
        ProtocolClient client = first.connectApi()) {
      String done = id(client.request("a", ApiCommandsTest.add(origin.uri("/named.bin"))
          .replaceFirst("}$", options)));
      client.awaitState(done, "completed");
      String failed = id(client.request("b", ApiCommandsTest.add(origin.uri("/missing.bin"))));
      client.awaitState(failed, "failed");
      var reached = origin.hold("/paused.bin");
      String paused = id(client.request("c", ApiCommandsTest.add(origin.uri("/paused.bin"))
          .replaceFirst("}$", ",\"threads\":3,\"chunkBytes\":8192,\"fileName\":\"p.bin\"}")));
      assertTrue(reached.await(60, TimeUnit.SECONDS));
      client.request("p", "{\"op\":\"pause\",\"id\":\"" + paused + "\"}");
      listBefore = client.request("l", "{\"op\":\"list\"}").get("downloads");
    }
    origin.release("/paused.bin");
    before = Json.mapper().readTree(dir.resolve(".rangefetch-state.json").toFile());

    try (RunningServer second = RunningServer.start(dir);
        ProtocolClient client = ProtocolClient.connect(second.api())) {
      client.assertHello();
      JsonNode listAfter = client.await("list").get("downloads");
      JsonNode after = Json.mapper().readTree(dir.resolve(".rangefetch-state.json").toFile());

      assertEquals(3, before.get("downloads").size(), before.toPrettyString());
      assertEquals(before, after, "the state file is written back as it was read");
      // The list after the restart is what the state file kept, newest first; the list taken
      // right after the pause may be a few bytes behind, as the workers were still stopping.
      com.fasterxml.jackson.databind.node.ArrayNode kept = Json.mapper().createArrayNode();
      for (int i = before.get("downloads").size() - 1; i >= 0; i--) {
        kept.add(before.get("downloads").get(i).get("status"));
      }
      assertEquals(withoutMoving(kept), listAfter);
      assertEquals(listBefore.size(), listAfter.size());
      JsonNode stored = before.get("downloads");
      assertEquals("chosen.bin", stored.get(0).get("fileName").asText());
      assertEquals(2, stored.get(0).get("threads").asInt());
      assertEquals(4096, stored.get(0).get("chunkBytes").asLong());
      assertEquals(Sha256.of(named), stored.get(0).get("expectedSha256").asText());
      assertEquals("http_status", stored.get(1).get("status").get("error").get("code").asText());
      assertEquals("paused", stored.get(2).get("status").get("state").asText());
      assertEquals(3, stored.get(2).get("threads").asInt());
    }
  }

  /** The list as a restart shows it: a paused download has no speed, no threads and no ETA. */
  private static JsonNode withoutMoving(JsonNode list) {
    JsonNode copy = list.deepCopy();
    for (JsonNode d : copy) {
      if (!d.get("state").asText().equals("downloading")) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) d).put("threads", 0);
      }
    }
    return copy;
  }

  @Test
  void downloadPausedDuringItsProbeResumesAndCompletes() throws Exception {
    byte[] content = origin.file("/probe.bin", 200_000);
    var reached = origin.holdHeaders("/probe.bin");
    try (RunningServer server = RunningServer.start(dir);
        ProtocolClient client = server.connectApi()) {
      String id = id(client.request("a", ApiCommandsTest.add(origin.uri("/probe.bin"))));
      assertTrue(reached.await(60, TimeUnit.SECONDS));
      JsonNode paused = client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      origin.releaseHeaders("/probe.bin");
      JsonNode resumed = client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
      JsonNode done = client.awaitState(id, "completed");

      assertEquals("paused", paused.get("download").get("state").asText());
      assertFalse(resumed.has("error"), resumed.toString());
      assertEquals(Sha256.of(content), done.get("sha256").asText());
      assertEquals(dir.resolve("probe.bin").toUri().toString(), done.get("file").asText());
    }
    assertEquals(List.of(".rangefetch-state.json", "probe.bin"), namesIn(dir));
  }

  @Test
  void downloadPausedDuringItsProbeResumesAfterARestart() throws Exception {
    byte[] content = origin.file("/probe.bin", 200_000);
    var reached = origin.holdHeaders("/probe.bin");
    String id;
    try (RunningServer first = RunningServer.start(dir);
        ProtocolClient client = first.connectApi()) {
      id = id(client.request("a", ApiCommandsTest.add(origin.uri("/probe.bin"))));
      assertTrue(reached.await(60, TimeUnit.SECONDS));
      client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
    }
    origin.releaseHeaders("/probe.bin");

    try (RunningServer second = RunningServer.start(dir);
        ProtocolClient client = second.connectApi()) {
      assertEquals("paused", client.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}")
          .get("download").get("state").asText());
      client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
      JsonNode done = client.awaitState(id, "completed");

      assertEquals(Sha256.of(content), done.get("sha256").asText());
      assertEquals(dir.resolve("probe.bin").toUri().toString(), done.get("file").asText());
    }
    assertEquals(List.of(".rangefetch-state.json", "probe.bin"), namesIn(dir));
  }

  @Test
  void cancelOfADownloadPausedBeforeARestartDeletesItsPartFile() throws Exception {
    origin.file("/paused.bin", 300_000);
    origin.throttle("/paused.bin", 4096, java.time.Duration.ofMillis(20));
    Path control = dir.resolve("paused.bin.part.rangefetch");
    String id;
    try (RunningServer first = RunningServer.start(dir);
        ProtocolClient client = first.connectApi()) {
      // The origin stops after one chunk, so the download cannot end first, and no checkpoint
      // comes between the look at the control file and the pause.
      origin.freezeAfter("/paused.bin", 16384);
      id = id(client.request("a", ApiCommandsTest.add(origin.uri("/paused.bin"))
          .replaceFirst("}$", ",\"threads\":2,\"chunkBytes\":16384}")));
      assertTrue(CrashRestartTest.awaitInDir(dir,
          () -> CrashRestartTest.recordedBytes(control) >= 16384));
      origin.freeze();
      assertTrue(CrashRestartTest.awaitInDir(dir, () -> CrashRestartTest.recordedBytes(control)
          == origin.completedBytes("/paused.bin")));
      Object before = CrashRestartTest.fileKey(control);
      client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      assertTrue(CrashRestartTest.awaitInDir(dir,
          () -> !java.util.Objects.equals(before, CrashRestartTest.fileKey(control))));
    }
    origin.thaw();
    assertTrue(Files.exists(dir.resolve("paused.bin.part")), "the pause keeps the part file");
    // A live record, as a SIGKILL before the pause's durable record would have left it.
    Files.writeString(dir.resolve("paused.bin.part.rangefetch-live"), "rangefetch-live-1\n");

    try (RunningServer second = RunningServer.start(dir);
        ProtocolClient client = second.connectApi()) {
      JsonNode reply = client.request("c", "{\"op\":\"cancel\",\"id\":\"" + id + "\"}");

      assertEquals("cancelled", reply.get("download").get("state").asText());
    }
    assertEquals(List.of(".rangefetch-state.json"), namesIn(dir));
  }

  /** The names in {@code dir}, sorted. */
  private static List<String> namesIn(Path dir) throws java.io.IOException {
    try (var listing = Files.list(dir)) {
      return listing.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static String id(JsonNode reply) {
    return reply.get("download").get("id").asText();
  }
}
