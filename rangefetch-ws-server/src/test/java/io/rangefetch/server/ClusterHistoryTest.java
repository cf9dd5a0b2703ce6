package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.server.cluster.ClusterSettings;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The history in a cluster: beyond {@code history.max-finished} the downloads that finished
 * first leave the shared list on every node (their files stay on their nodes' disks), and only
 * unfinished downloads count against {@code security.max-downloads}. A file gone from the disk
 * of the node that wrote it shows as missing on every node, and an add of its URL on any node
 * downloads it again.
 */
@Timeout(300)
class ClusterHistoryTest {
  @RegisterExtension static final LocalPostgres DATABASE = new LocalPostgres();

  @TempDir Path root;
  private TestOrigin origin;
  private final List<RunningServer> nodes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    origin = new TestOrigin();
    String store = DATABASE.newDatabase();
    for (String name : List.of("node-a", "node-b")) {
      nodes.add(RunningServer.start(root.resolve(name), ServerConfig.newBuilder()
          .maxDownloads(2).maxFinished(2)
          .cluster(ClusterSettings.newBuilder(store).password(LocalPostgres.PASSWORD)
              .nodeId(name).lease(Duration.ofSeconds(6)).build())));
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    nodes.forEach(RunningServer::close);
    origin.close();
  }

  @Test
  void finishedDownloadsBeyondTheHistoryLeaveEveryNodesListAndKeepTheirFiles()
      throws Exception {
    try (ProtocolClient a = nodes.get(0).connectApi();
        ProtocolClient b = nodes.get(1).connectApi()) {
      List<String> ids = new ArrayList<>();
      List<JsonNode> done = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        byte[] content = origin.file("/c" + i + ".bin", 10_000 + i);
        ProtocolClient via = i % 2 == 0 ? a : b;
        String id = via.request("a" + i, ApiCommandsTest.add(origin.uri("/c" + i + ".bin")))
            .get("download").get("id").asText();
        JsonNode completed = a.awaitState(id, "completed");
        assertEquals(Sha256.of(content), completed.get("sha256").asText());
        ids.add(id);
        done.add(completed);
      }

      for (ProtocolClient client : List.of(a, b)) {
        awaitRemoved(client, ids.get(0));
        awaitRemoved(client, ids.get(1));
        assertEquals(List.of(ids.get(3), ids.get(2)), awaitListOf(client, 2));
      }
      for (JsonNode status : done) {
        Path file = Path.of(URI.create(status.get("file").asText()));
        assertTrue(Files.isRegularFile(file), "the file stays on its node: " + file);
      }
    }
  }

  @Test
  void onlyUnfinishedDownloadsCountAgainstTheClusterLimit() throws Exception {
    try (ProtocolClient a = nodes.get(0).connectApi()) {
      for (String path : List.of("/u0.bin", "/u1.bin", "/u2.bin")) {
        origin.file(path, 5_000);
      }
      origin.hold("/u0.bin");
      origin.hold("/u1.bin");
      String u0 = a.request("a0", ApiCommandsTest.add(origin.uri("/u0.bin")))
          .get("download").get("id").asText();
      String u1 = a.request("a1", ApiCommandsTest.add(origin.uri("/u1.bin")))
          .get("download").get("id").asText();

      JsonNode refused = a.request("a2", ApiCommandsTest.add(origin.uri("/u2.bin")));
      origin.release("/u0.bin");
      origin.release("/u1.bin");
      a.awaitState(u0, "completed");
      a.awaitState(u1, "completed");
      JsonNode accepted = a.request("a3", ApiCommandsTest.add(origin.uri("/u2.bin")));

      assertEquals("limit", refused.get("code").asText(), refused.toString());
      assertEquals("added", accepted.get("type").asText(), accepted.toString());
    }
  }

  @Test
  void fileGoneFromItsNodeShowsMissingEverywhereAndAnAddOnAnotherNodeFetchesItAgain()
      throws Exception {
    byte[] content = origin.file("/m.bin", 20_000);
    try (ProtocolClient a = nodes.get(0).connectApi();
        ProtocolClient b = nodes.get(1).connectApi()) {
      String first = a.request("a", ApiCommandsTest.add(origin.uri("/m.bin")))
          .get("download").get("id").asText();
      JsonNode done = b.awaitState(first, "completed");
      Path file = Path.of(URI.create(done.get("file").asText()));
      RunningServer writer = nodes.get(List.of("node-a", "node-b")
          .indexOf(done.get("node").asText()));
      ProtocolClient other = writer == nodes.get(0) ? b : a;

      Files.delete(file);
      JsonNode missing = other.awaitJson(m -> "status".equals(m.path("type").asText())
          && first.equals(m.path("download").path("id").asText())
          && m.path("download").path("fileMissing").asBoolean(), "fileMissing from the writer")
          .get("download");
      String second = other.request("again", ApiCommandsTest.add(origin.uri("/m.bin")))
          .get("download").get("id").asText();
      awaitRemoved(other, first);
      JsonNode again = other.awaitState(second, "completed");

      assertEquals("completed", missing.get("state").asText());
      assertTrue(!second.equals(first), "a new download: " + second);
      Path fetched = Path.of(URI.create(again.get("file").asText()));
      assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(fetched)));
      assertEquals(404, writer.get("/files/" + first).statusCode(), "the dead entry is gone");
    }
  }

  private static void awaitRemoved(ProtocolClient client, String id) throws Exception {
    client.awaitJson(node -> "removed".equals(node.path("type").asText())
        && id.equals(node.path("id").asText()), "the removal of download " + id);
  }

  /** The list's ids once it has {@code size} downloads (the last removals may be on their way). */
  private static List<String> awaitListOf(ProtocolClient client, int size) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int attempt = 0;
    while (true) {
      JsonNode list = client.request("l" + attempt++, "{\"op\":\"list\"}").get("downloads");
      if (list.size() == size || System.nanoTime() > deadline) {
        List<String> ids = new ArrayList<>();
        list.forEach(d -> ids.add(d.get("id").asText()));
        return ids;
      }
      client.poll(Duration.ofMillis(200)); // the next push, if one is coming
    }
  }
}
