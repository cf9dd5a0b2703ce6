package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.server.cluster.ClusterSettings;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes on one PostgreSQL share one queue and one list: downloads added through any node
 * are each fetched once, by one node, and every client sees all of them.
 */
@Timeout(300)
class ClusterQueueTest {
  @RegisterExtension static final LocalPostgres DATABASE = new LocalPostgres();
  private static final int DOWNLOADS = 200;
  private static final List<String> NODES = List.of("node-a", "node-b", "node-c");

  @TempDir Path root;
  private TestOrigin origin;
  private final List<RunningServer> nodes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    origin = new TestOrigin();
    String store = DATABASE.newDatabase();
    for (String name : NODES) {
      nodes.add(startNode(root.resolve(name), store, name));
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    nodes.forEach(RunningServer::close);
    origin.close();
  }

  /** A node on its own download directory, with a short lease and 4 downloads at once. */
  static RunningServer startNode(Path dir, String store, String name) throws Exception {
    return RunningServer.start(dir, ServerConfig.newBuilder()
        .limits(io.rangefetch.Limits.newBuilder().maxConcurrentDownloads(4).build())
        .cluster(ClusterSettings.newBuilder(store).password(LocalPostgres.PASSWORD)
            .nodeId(name).lease(Duration.ofSeconds(6)).build()));
  }

  @Test
  void downloadsAddedThroughEveryNodeAreEachFetchedOnceByOneNode() throws Exception {
    Random random = new Random(16);
    Map<String, byte[]> content = new HashMap<>();
    for (int i = 0; i < DOWNLOADS; i++) {
      String path = "/f/" + i + ".bin";
      content.put(path, origin.file(path, 1_000 + random.nextInt(30_000)));
    }
    List<ProtocolClient> clients = new ArrayList<>();
    for (RunningServer node : nodes) {
      clients.add(node.connectApi());
    }
    ProtocolClient watcher = nodes.get(0).connectApi();

    Map<String, String> pathById = new HashMap<>();
    for (int i = 0; i < DOWNLOADS; i++) {
      String path = "/f/" + i + ".bin";
      JsonNode reply = clients.get(i % clients.size()).request("add" + i,
          "{\"op\":\"add\",\"url\":\"" + origin.uri(path) + "\"}");
      assertEquals("added", reply.get("type").asText(), reply.toString());
      pathById.put(reply.get("download").get("id").asText(), path);
    }
    assertEquals(DOWNLOADS, pathById.size(), "every add made its own download");
    Map<String, JsonNode> completed = awaitCompleted(watcher, pathById.size());

    Map<String, Integer> perNode = new TreeMap<>();
    for (Map.Entry<String, JsonNode> done : completed.entrySet()) {
      String path = pathById.get(done.getKey());
      JsonNode status = done.getValue();
      String node = status.get("node").asText();
      byte[] expected = content.get(path);
      assertEquals(1, origin.requests(path).size(), path + " was fetched more than once: "
          + origin.requests(path));
      assertEquals(Sha256.of(expected), status.get("sha256").asText(), path);
      Path file = Path.of(URI.create(status.get("file").asText()));
      assertTrue(file.startsWith(root.resolve(node)), "the file is on its node's disk: " + file);
      assertEquals(Sha256.of(expected), Sha256.of(Files.readAllBytes(file)));
      perNode.merge(node, 1, Integer::sum);
    }
    assertEquals(NODES, List.copyOf(perNode.keySet()), "every node took a share: " + perNode);
    System.out.println("ClusterQueueTest: " + DOWNLOADS + " downloads per node " + perNode);

    // Every client sees the whole cluster: the last node's list has them all, completed, once
    // the other nodes' last notifications have reached it.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    int attempt = 0;
    JsonNode list = clients.get(2).request("l" + attempt++, "{\"op\":\"list\"}").get("downloads");
    while (!allCompleted(list) && System.nanoTime() < deadline) {
      clients.get(2).poll(java.time.Duration.ofMillis(200)); // that node's next push, if coming
      list = clients.get(2).request("l" + attempt++, "{\"op\":\"list\"}").get("downloads");
    }
    assertEquals(DOWNLOADS, list.size());
    for (JsonNode status : list) {
      assertEquals("completed", status.get("state").asText(), status.toString());
    }
    // A file is served by the node that holds it, at the URL its status gives.
    JsonNode any = completed.values().iterator().next();
    RunningServer holder = nodes.get(NODES.indexOf(any.get("node").asText()));
    URI fileUrl = URI.create(any.get("fileUrl").asText());
    assertEquals(holder.port(), fileUrl.getPort());
    HttpResponse<byte[]> served = holder.get(fileUrl.getPath());
    assertEquals(200, served.statusCode());
    assertArrayEquals(content.get(pathById.get(any.get("id").asText())), served.body());
    for (RunningServer node : nodes) {
      assertEquals(200, node.get("/healthz").statusCode());
    }
    // The same URL added again, through another node than the first time: the same download.
    String firstId = pathById.entrySet().stream().filter(e -> e.getValue().equals("/f/0.bin"))
        .findFirst().orElseThrow().getKey();
    JsonNode again = clients.get(1).request("again", "{\"op\":\"add\",\"url\":\""
        + origin.uri("/f/0.bin") + "\"}");
    assertEquals(firstId, again.get("download").get("id").asText());
    assertEquals(1, origin.requests("/f/0.bin").size());
  }

  /** Reads pushes until {@code count} downloads are completed; fails on a failed one. */
  static Map<String, JsonNode> awaitCompleted(ProtocolClient watcher, int count)
      throws Exception {
    Map<String, JsonNode> completed = new HashMap<>();
    while (completed.size() < count) {
      JsonNode message = watcher.nextJson();
      if (!"status".equals(message.path("type").asText())) {
        continue;
      }
      JsonNode status = message.get("download");
      String state = status.get("state").asText();
      assertTrue(!state.equals("failed") && !state.equals("cancelled"), status.toString());
      if (state.equals("completed")) {
        completed.put(status.get("id").asText(), status);
      }
    }
    return completed;
  }

  private static boolean allCompleted(JsonNode list) {
    if (list.size() != DOWNLOADS) {
      return false;
    }
    for (JsonNode status : list) {
      if (!status.get("state").asText().equals("completed")) {
        return false;
      }
    }
    return true;
  }
}
