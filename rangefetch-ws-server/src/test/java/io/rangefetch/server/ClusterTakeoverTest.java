package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in a child JVM, killed with SIGKILL in the middle of a download: once its lease lapses,
 * a node sharing its download directory takes the download over and continues it from the bytes
 * on disk, which the origin is not asked for again.
 */
@Timeout(300)
class ClusterTakeoverTest {
  @RegisterExtension static final LocalPostgres DATABASE = new LocalPostgres();
  private static final int CHUNK = 256 * 1024;
  private static final int THREADS = 4;
  private static final int SIZE = 4 * 1024 * 1024;

  @TempDir Path root;
  private Path shared;
  private TestOrigin origin;

  @BeforeEach
  void setUp() throws Exception {
    shared = Files.createDirectories(root.resolve("shared"));
    origin = new TestOrigin();
  }

  @AfterEach
  void tearDown() throws Exception {
    origin.close();
  }

  @Test
  void downloadsOfAKilledNodeCompleteOnAnotherFromTheBytesOnDisk() throws Exception {
    byte[] big = origin.file("/big.bin", SIZE);
    origin.throttle("/big.bin", 16 * 1024, Duration.ofMillis(20));
    Path control = shared.resolve("big.bin.part.rangefetch");
    String store = DATABASE.newDatabase();
    String id;
    List<long[]> onDisk;
    int requestsBeforeKill;
    try (ChildServer doomed = ChildServer.start(shared, Files.createDirectories(
            root.resolve("work")),
            Map.of("RANGEFETCH_CLUSTER_PASSWORD", LocalPostgres.PASSWORD,
                "RANGEFETCH_CLUSTER_LEASE", "6s"),
            "--store", store, "--node-id", "doomed");
        ProtocolClient client = doomed.connectApi()) {
      client.await("list");
      // The origin stops between two slices once 4 chunks are sent: the download cannot end
      // before the kill, however slow this machine is.
      origin.freezeAfter("/big.bin", 4L * CHUNK);
      id = client.request("add", "{\"op\":\"add\",\"url\":\"" + origin.uri("/big.bin")
          + "\",\"threads\":" + THREADS + ",\"chunkBytes\":" + CHUNK + "}")
          .get("download").get("id").asText();
      assertTrue(CrashRestartTest.awaitInDir(shared,
          () -> CrashRestartTest.recordedBytes(control) >= 4L * CHUNK),
          "no progress recorded in " + control + "; node log:\n" + doomed.err());

      try (RunningServer survivor = ClusterQueueTest.startNode(shared, store, "survivor");
          ProtocolClient watcher = ProtocolClient.connect(survivor.api())) {
        watcher.assertHello();
        // The survivor lists the download running on the doomed node, its file named: the
        // record it will take over from says which part file is this download's.
        JsonNode running = null;
        for (JsonNode d : watcher.await("list").get("downloads")) {
          running = d.get("id").asText().equals(id) ? d : running;
        }
        assertTrue(running != null, "the survivor does not list the download");
        assertEquals("doomed", running.get("node").asText(), running.toString());
        assertEquals("big.bin", running.get("fileName").asText(), running.toString());
        assertEquals("downloading", running.get("state").asText());
        origin.freeze();
        assertTrue(CrashRestartTest.awaitInDir(shared, () -> CrashRestartTest
            .recordedBytes(control) == origin.completedBytes("/big.bin")),
            "the recorded ranges did not catch up with the bytes sent");
        onDisk = CrashRestartTest.doneRanges(control);
        doomed.kill();
        // Counted once the doomed node is dead: what comes after is the survivor's, which
        // cannot claim the download before the doomed node's lease has lapsed.
        requestsBeforeKill = origin.requests("/big.bin").size();
        origin.thaw();

        JsonNode done = watcher.awaitJson(m -> isStatus(m, id)
            && "completed".equals(m.get("download").get("state").asText()),
            "the download completed on the survivor").get("download");

        assertEquals("survivor", done.get("node").asText());
        assertEquals(Sha256.of(big), done.get("sha256").asText());
        assertEquals(shared.resolve("big.bin").toUri().toString(), done.get("file").asText());
        assertEquals(Sha256.of(big),
            Sha256.of(Files.readAllBytes(shared.resolve("big.bin"))));
        assertFalse(Files.exists(control), "the control file is gone once complete");
      }
    }
    List<Exchange> after = origin.requests("/big.bin")
        .subList(requestsBeforeKill, origin.requests("/big.bin").size());
    long recordedAtKill = onDisk.stream().mapToLong(r -> r[1] - r[0] + 1).sum();
    assertTrue(recordedAtKill >= 4L * CHUNK);
    long askedAfter = 0;
    for (int i = 0; i < after.size(); i++) {
      long[] span = span(after.get(i).range());
      askedAfter += span[1] - span[0] + 1;
      // Continued from the bytes on disk: after its probe (the first chunk, whose body the
      // core drops when that chunk is on disk), the survivor asks for none of them again.
      if (i > 0) {
        for (long[] done : onDisk) {
          assertTrue(span[1] < done[0] || span[0] > done[1], "the survivor asked again for "
              + after.get(i).range() + ", which was on disk: " + done[0] + "-" + done[1]);
        }
      }
    }
    assertTrue(askedAfter < SIZE, "the survivor asked for " + askedAfter + " bytes, the whole"
        + " file or more; " + recordedAtKill + " of " + SIZE + " were on disk");
    System.out.println("ClusterTakeoverTest: SIGKILL with " + recordedAtKill + " of " + SIZE
        + " bytes on disk; the survivor asked for " + askedAfter + " bytes");
  }

  private static boolean isStatus(JsonNode message, String id) {
    return "status".equals(message.path("type").asText())
        && id.equals(message.path("download").path("id").asText());
  }

  /** The bytes a request asked for, first and last: its Range, or the whole file. */
  private static long[] span(String range) {
    Matcher m = Pattern.compile("bytes=(\\d+)-(\\d*)").matcher(range == null ? "" : range);
    if (!m.matches()) {
      return new long[] {0, SIZE - 1};
    }
    long first = Long.parseLong(m.group(1));
    long last = m.group(2).isEmpty() ? SIZE - 1 : Math.min(SIZE - 1, Long.parseLong(m.group(2)));
    return new long[] {first, last};
  }
}
