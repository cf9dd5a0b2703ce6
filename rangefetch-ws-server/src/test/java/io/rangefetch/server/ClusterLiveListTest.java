package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One live list: a client of node A sees the progress of a download that runs on node B, and
 * pauses, updates, resumes and removes it through A; B carries the commands out.
 */
@Timeout(300)
class ClusterLiveListTest {
  @RegisterExtension static final LocalPostgres DATABASE = new LocalPostgres();
  private static final int SIZE = 2 * 1024 * 1024;

  @TempDir Path root;
  private TestOrigin origin;

  @BeforeEach
  void setUp() throws Exception {
    origin = new TestOrigin();
  }

  @AfterEach
  void tearDown() throws Exception {
    origin.close();
  }

  @Test
  void clientOfOneNodeSeesProgressOnAnotherAndPausesIt() throws Exception {
    byte[] slow = origin.file("/slow.bin", SIZE, 64 * 1024);
    String store = DATABASE.newDatabase();
    try (RunningServer b = ClusterQueueTest.startNode(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      // Added while B is the only node: B claims it.
      String id = clientOfB.request("add", "{\"op\":\"add\",\"url\":\"" + origin.uri("/slow.bin")
          + "\",\"threads\":2,\"chunkBytes\":262144}").get("download").get("id").asText();
      clientOfB.awaitJson(m -> isStatus(m, id, "downloading")
          && m.get("download").get("bytesDone").asLong() > 0, "progress on B");

      try (RunningServer a = ClusterQueueTest.startNode(root.resolve("a"), store, "node-a");
          ProtocolClient clientOfA = a.connectApi()) {
        // Live progress of B's download, pushed to A's client.
        JsonNode first = clientOfA.awaitJson(m -> isStatus(m, id, "downloading"),
            "a progress push from B").get("download");
        long before = first.get("bytesDone").asLong();
        JsonNode later = clientOfA.awaitJson(m -> isStatus(m, id, "downloading")
            && m.get("download").get("bytesDone").asLong() > before,
            "more progress from B").get("download");
        assertEquals("node-b", first.get("node").asText());
        assertEquals("node-b", later.get("node").asText());

        JsonNode paused = clientOfA.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
        assertEquals("ok", paused.get("type").asText(), paused.toString());
        assertEquals("paused", paused.get("download").get("state").asText());
        assertEquals("node-b", paused.get("download").get("node").asText());
        // B carried it out: its own client sees the pause.
        clientOfB.awaitJson(m -> isStatus(m, id, "paused"), "the pause on B");
        JsonNode onB = clientOfB.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}");
        assertEquals("paused", onB.get("download").get("state").asText());

        // update travels too: B takes A's limit, and both clients see it.
        JsonNode updated = clientOfA.request("u", "{\"op\":\"update\",\"id\":\"" + id
            + "\",\"limitBps\":1048576}");
        assertEquals(1048576, updated.get("download").get("limitBps").asLong(),
            updated.toString());
        clientOfB.awaitJson(m -> isStatus(m, id, "paused")
            && m.path("download").path("limitBps").asLong() == 1048576, "A's limit shown on B");

        origin.rate("/slow.bin", Long.MAX_VALUE);
        JsonNode resumed = clientOfA.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
        assertEquals("ok", resumed.get("type").asText(), resumed.toString());
        JsonNode done = clientOfA.awaitJson(m -> isStatus(m, id, "completed"),
            "the download completed").get("download");
        assertEquals("node-b", done.get("node").asText(), "resumed where its part file is");
        assertEquals(Sha256.of(slow), done.get("sha256").asText());
        assertEquals(b.port(), java.net.URI.create(done.get("fileUrl").asText()).getPort());
        assertTrue(done.get("file").asText().startsWith(root.resolve("b").toUri().toString()),
            done.toString());

        JsonNode removed = clientOfA.request("x", "{\"op\":\"remove\",\"id\":\"" + id + "\"}");
        assertEquals("ok", removed.get("type").asText(), removed.toString());
        clientOfB.awaitJson(m -> "removed".equals(m.path("type").asText())
            && id.equals(m.path("id").asText()), "the removal on B");
        assertEquals(404, b.get("/files/" + id).statusCode(), "B forgot it");
        assertEquals(0, clientOfA.request("l", "{\"op\":\"list\"}").get("downloads").size());
      }
    }
  }

  @Test
  void stoppedNodeHandsItsDownloadBackForAnotherToFinish() throws Exception {
    byte[] slow = origin.file("/slow.bin", SIZE, 64 * 1024);
    String store = DATABASE.newDatabase();
    String id;
    try (RunningServer b = ClusterQueueTest.startNode(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      id = clientOfB.request("add", "{\"op\":\"add\",\"url\":\"" + origin.uri("/slow.bin")
          + "\"}").get("download").get("id").asText();
      clientOfB.awaitState(id, "downloading");
    }
    // Stopped cleanly: the row is back in the queue at once, not held until the lease lapses.
    try (java.sql.Connection c = LocalPostgres.connect(store);
        java.sql.ResultSet row = c.createStatement().executeQuery(
            "SELECT owner, state FROM rangefetch_download WHERE id = " + id)) {
      assertTrue(row.next());
      assertEquals(null, row.getString("owner"));
      assertEquals("downloading", row.getString("state"));
    }
    origin.rate("/slow.bin", Long.MAX_VALUE);
    try (RunningServer a = ClusterQueueTest.startNode(root.resolve("a"), store, "node-a")) {
      // In A's first list if it completed before the session opened, else in a push.
      JsonNode done = a.awaitState(id, "completed");
      assertEquals("node-a", done.get("node").asText());
      assertEquals(Sha256.of(slow), done.get("sha256").asText());
    }
  }

  private static boolean isStatus(JsonNode message, String id, String state) {
    return "status".equals(message.path("type").asText())
        && !message.has("requestId")
        && id.equals(message.path("download").path("id").asText())
        && state.equals(message.path("download").path("state").asText());
  }
}
