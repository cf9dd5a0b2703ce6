package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database goes down under a node: {@code /healthz} fails, the node parks its running
 * download before its lease could lapse, and once the database is back the node resumes it
 * and claims new work again.
 */
@Timeout(300)
class ClusterDatabaseOutageTest {
  @RegisterExtension static final LocalPostgres DATABASE = new LocalPostgres();
  private static final Duration BOUND = Duration.ofSeconds(90);

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
  void nodeThatLosesTheDatabaseFailsHealthParksItsDownloadAndGoesOnWhenItIsBack()
      throws Exception {
    byte[] slow = origin.file("/slow.bin", 1024 * 1024, 32 * 1024);
    byte[] small = origin.file("/small.bin", 5_000);
    String store = DATABASE.newDatabase();
    try (RunningServer node = ClusterQueueTest.startNode(root.resolve("a"), store, "node-a");
        ProtocolClient client = node.connectApi()) {
      String id = client.request("add", "{\"op\":\"add\",\"url\":\"" + origin.uri("/slow.bin")
          + "\"}").get("download").get("id").asText();
      client.awaitState(id, "downloading");
      assertEquals(200, node.get("/healthz").statusCode());

      DATABASE.stop();
      awaitHealth(node, 503);
      // Parked before the lease (6 s) could lapse: no other node could fetch it meanwhile.
      client.awaitState(id, "paused");

      DATABASE.start();
      awaitHealth(node, 200);
      origin.rate("/slow.bin", Long.MAX_VALUE);
      JsonNode done = client.awaitState(id, "completed");
      assertEquals(Sha256.of(slow), done.get("sha256").asText());
      assertEquals("node-a", done.get("node").asText());

      // It claims new work again.
      String next = client.request("add2", "{\"op\":\"add\",\"url\":\""
          + origin.uri("/small.bin") + "\"}").get("download").get("id").asText();
      assertEquals(Sha256.of(small),
          client.awaitState(next, "completed").get("sha256").asText());
    }
  }

  /** Polls {@code /healthz} every 100 ms until it answers {@code status}, for at most 90 s. */
  private static void awaitHealth(RunningServer node, int status) throws Exception {
    long deadline = System.nanoTime() + BOUND.toNanos();
    int last;
    do {
      last = node.get("/healthz").statusCode();
      if (last == status) {
        return;
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    } while (System.nanoTime() < deadline);
    assertTrue(false, "/healthz answered " + last + ", not " + status + ", for " + BOUND);
  }
}
