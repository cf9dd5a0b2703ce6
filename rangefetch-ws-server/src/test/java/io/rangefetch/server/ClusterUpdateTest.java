package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.server.cluster.ClusterSettings;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code update} across the cluster: a client of node A changes the rate limit and the URL of
 * downloads node B runs or holds, and of a download no live node runs; refusals are the same
 * as on the node itself; aria2's {@code changeOption} goes the same way. Rates are measured at
 * the origin, as in {@link TrafficLimitsTest}.
 */
@Timeout(300)
class ClusterUpdateTest {
  @RegisterExtension static final LocalPostgres DATABASE = new LocalPostgres();
  private static final int KIB = 1024;
  private static final int CHUNK = 64 * KIB;
  private static final int SIZE = 1_000_000;
  /** See {@link TrafficLimitsTest}: the origin's send buffer, and what buffers hold at most. */
  private static final int SEND_BUFFER = 32 * KIB;
  private static final long BUFFERED = 640 * KIB;

  @TempDir Path root;
  private TestOrigin first;
  private TestOrigin second;

  @AfterEach
  void tearDown() throws Exception {
    if (first != null) {
      first.close();
    }
    if (second != null) {
      second.close();
    }
  }

  /** The same file on {@link #first}, slow, and on {@link #second}. */
  private byte[] sameFileOnASlowAndAFastOrigin() throws Exception {
    first = new TestOrigin();
    second = new TestOrigin();
    byte[] content = first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    second.file("/a.bin", SIZE);
    return content;
  }

  private static RunningServer node(Path dir, String store, String name) throws Exception {
    return RunningServer.start(dir, ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxConcurrentDownloads(4).maxThreads(4)
            .maxBytesPerThread(CHUNK).build())
        .cluster(ClusterSettings.newBuilder(store).password(LocalPostgres.PASSWORD)
            .nodeId(name).lease(Duration.ofSeconds(6)).build()));
  }

  @Test
  void limitFromAClientOfANodeChangesTheRateOfADownloadRunningOnAnother() throws Exception {
    // given a download running on B at 128 KiB/s, its first part sent
    first = new TestOrigin(SEND_BUFFER);
    first.file("/b.bin", 2048 * KIB, Long.MAX_VALUE);
    var slowPartSent = first.whenSent("/b.bin", BUFFERED + 256 * KIB);
    String store = DATABASE.newDatabase();
    try (RunningServer b = node(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      String id = add(clientOfB, first.uri("/b.bin"), ",\"limitBps\":131072");
      clientOfB.awaitState(id, "downloading");
      try (RunningServer a = node(root.resolve("a"), store, "node-a");
          ProtocolClient clientOfA = a.connectApi()) {
        assertTrue(slowPartSent.await(60, TimeUnit.SECONDS));

        // when a client of A raises its limit to 512 KiB/s
        JsonNode ok = clientOfA.request("u", "{\"op\":\"update\",\"id\":\"" + id
            + "\",\"limitBps\":524288}");
        long changedAt = first.sentBytes("/b.bin");
        JsonNode done = clientOfA.awaitState(id, "completed");

        // then B runs it at the new rate, and every client sees the new limit
        assertEquals("ok", ok.get("type").asText(), ok.toString());
        assertEquals(524288, ok.get("download").get("limitBps").asLong(), ok.toString());
        assertEquals("node-b", ok.get("download").get("node").asText());
        clientOfB.awaitJson(m -> isStatusOf(m, id) && !"completed".equals(m.path("download")
            .path("state").asText()) && m.path("download").path("limitBps").asLong() == 524288,
            "the new limit shown to B's client while it runs");
        assertEquals("node-b", done.get("node").asText());
        assertEquals(524288, done.get("limitBps").asLong());
        assertWithin(131072, first.rateBetween("/b.bin", BUFFERED, BUFFERED + 256 * KIB), 0.25,
            "before the update");
        assertWithin(524288, first.rateBetween("/b.bin", changedAt + BUFFERED, 2048 * KIB), 0.3,
            "after the update");
      }
    }
  }

  @Test
  void newUrlFromAClientOfANodeOnAPausedDownloadOfAnotherKeepsItsBytes() throws Exception {
    // given a download paused on B with bytes on disk, and the same file elsewhere
    byte[] content = sameFileOnASlowAndAFastOrigin();
    String store = DATABASE.newDatabase();
    try (RunningServer b = node(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      String id = add(clientOfB, first.uri("/a.bin"), "");
      awaitBytes(clientOfB, id, CHUNK);
      clientOfB.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      long kept = clientOfB.awaitState(id, "paused").get("bytesDone").asLong();
      try (RunningServer a = node(root.resolve("a"), store, "node-a");
          ProtocolClient clientOfA = a.connectApi()) {

        // when a client of A gives it the other URL, and resumes it
        JsonNode updated = clientOfA.request("u", "{\"op\":\"update\",\"id\":\"" + id
            + "\",\"url\":\"" + second.uri("/a.bin") + "\"}");
        JsonNode resumed = clientOfA.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
        JsonNode done = clientOfA.awaitState(id, "completed");

        // then B carried it out, and the new URL served only what was missing
        assertEquals("ok", updated.get("type").asText(), updated.toString());
        assertEquals(second.uri("/a.bin").toString(), updated.get("download").get("url").asText());
        assertEquals("paused", updated.get("download").get("state").asText());
        assertEquals("ok", resumed.get("type").asText(), resumed.toString());
        clientOfB.awaitJson(m -> isStatusOf(m, id) && second.uri("/a.bin").toString()
            .equals(m.path("download").path("url").asText())
            && "paused".equals(m.path("download").path("state").asText()),
            "the new URL shown on B before the resume");
        assertEquals("node-b", done.get("node").asText());
        assertEquals(Sha256.of(content), sha256Of(done));
        assertTrue(kept > 0);
        assertTrue(second.sentBytes("/a.bin") > 0 && second.sentBytes("/a.bin") <= SIZE - kept + 1,
            () -> second.sentBytes("/a.bin") + " bytes sent after " + kept + " were kept");
      }
    }
  }

  @Test
  void newUrlOfADownloadNoNodeRunsIsKeptInItsRecordAndContinuesItsPartFile() throws Exception {
    // given a download paused on B, then B restarted: B holds its row, but runs nothing of it
    byte[] content = sameFileOnASlowAndAFastOrigin();
    String store = DATABASE.newDatabase();
    Path shared = root.resolve("shared"); // the part file is there for whichever node claims it
    String id;
    long kept;
    try (RunningServer b = node(shared, store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      id = add(clientOfB, first.uri("/a.bin"), "");
      awaitBytes(clientOfB, id, CHUNK);
      clientOfB.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      kept = clientOfB.awaitState(id, "paused").get("bytesDone").asLong();
    }
    try (RunningServer b = node(shared, store, "node-b");
        RunningServer a = node(shared, store, "node-a");
        ProtocolClient clientOfA = a.connectApi();
        ProtocolClient clientOfB = b.connectApi()) {

      // when a client of A gives it the other URL and a limit, and resumes it
      JsonNode updated = clientOfA.request("u", "{\"op\":\"update\",\"id\":\"" + id
          + "\",\"url\":\"" + second.uri("/a.bin") + "\",\"limitBps\":4194304}");
      Map<String, String> record = record(store, id);
      JsonNode resumed = clientOfA.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
      JsonNode done = clientOfA.awaitState(id, "completed");

      // then the record took it, the URL before kept, and the next run continued the part file
      assertEquals("ok", updated.get("type").asText(), updated.toString());
      assertEquals(second.uri("/a.bin").toString(), updated.get("download").get("url").asText());
      assertEquals("paused", updated.get("download").get("state").asText());
      assertEquals(4194304, updated.get("download").get("limitBps").asLong());
      assertEquals(second.uri("/a.bin").toString(), record.get("url"));
      assertEquals(first.uri("/a.bin").toString(), record.get("formerUrl"));
      assertEquals("4194304", record.get("limitBps"));
      assertEquals("node-b", record.get("owner"), "B keeps the part file until a node claims it");
      clientOfB.awaitJson(m -> isStatusOf(m, id) && second.uri("/a.bin").toString()
          .equals(m.path("download").path("url").asText())
          && "paused".equals(m.path("download").path("state").asText()),
          "the new URL shown on B before the resume");
      assertEquals("ok", resumed.get("type").asText(), resumed.toString());
      assertEquals(4194304, done.get("limitBps").asLong());
      assertEquals(Sha256.of(content), sha256Of(done));
      assertTrue(kept > 0);
      assertTrue(second.sentBytes("/a.bin") > 0
          && second.sentBytes("/a.bin") <= SIZE - kept + CHUNK,
          () -> second.sentBytes("/a.bin") + " bytes sent after " + kept + " were kept");
    }
  }

  @Test
  void newUrlOfAFailedDownloadNoNodeRunsQueuesItForAnyNodeFromTheBytesOnDisk() throws Exception {
    // given a download that failed on B when its link died, then B restarted
    byte[] content = sameFileOnASlowAndAFastOrigin();
    String store = DATABASE.newDatabase();
    Path shared = root.resolve("shared");
    String id;
    long kept;
    try (RunningServer b = node(shared, store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      id = add(clientOfB, first.uri("/a.bin"), "");
      awaitBytes(clientOfB, id, 2 * CHUNK);
      first.remove("/a.bin");
      kept = clientOfB.awaitState(id, "failed").get("bytesDone").asLong();
    }
    try (RunningServer b = node(shared, store, "node-b");
        RunningServer a = node(shared, store, "node-a");
        ProtocolClient clientOfA = a.connectApi()) {

      // when a client of A gives it the URL of the same file elsewhere
      JsonNode updated = clientOfA.request("u", "{\"op\":\"update\",\"id\":\"" + id
          + "\",\"url\":\"" + second.uri("/a.bin") + "\"}");
      JsonNode done = clientOfA.awaitState(id, "completed");

      // then it went back to the queue, and a node ran it from the bytes on disk
      assertEquals("ok", updated.get("type").asText(), updated.toString());
      assertTrue(updated.get("download").get("error").isNull(), updated.toString());
      assertTrue(kept > 0);
      assertEquals(Sha256.of(content), sha256Of(done));
      assertTrue(second.sentBytes("/a.bin") > 0
          && second.sentBytes("/a.bin") <= SIZE - kept + CHUNK,
          () -> second.sentBytes("/a.bin") + " bytes sent after " + kept + " were on disk");
    }
  }

  @Test
  void refusedUpdatesGetTheSameErrorThroughAnyNode() throws Exception {
    // given a download B completed
    first = new TestOrigin();
    first.file("/c.bin", 50_000);
    String store = DATABASE.newDatabase();
    try (RunningServer b = node(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      String id = add(clientOfB, first.uri("/c.bin"), "");
      clientOfB.awaitState(id, "completed");
      try (RunningServer a = node(root.resolve("a"), store, "node-a");
          ProtocolClient clientOfA = a.connectApi()) {
        String[] refused = {
            "{\"op\":\"update\",\"id\":\"" + id + "\",\"limitBps\":4096}",
            "{\"op\":\"update\",\"id\":\"" + id + "\",\"url\":\"" + first.uri("/d.bin") + "\"}",
            "{\"op\":\"update\",\"id\":\"" + id + "\",\"url\":\"ftp://example.org/c.bin\"}",
            "{\"op\":\"update\",\"id\":\"" + id + "\",\"mirrors\":[\"gopher://example.org/\"]}",
            "{\"op\":\"update\",\"id\":\"999\",\"limitBps\":4096}"};
        String[] codes = {"conflict", "conflict", "bad_url", "bad_url", "not_found"};
        for (int i = 0; i < refused.length; i++) {
          long commandsBefore = commandRows(store);

          // when B's client and A's client send the same refused update
          JsonNode onB = clientOfB.request("b" + i, refused[i]);
          JsonNode onA = clientOfA.request("a" + i, refused[i]);

          // then both get the same error; a bad URL is refused by A before anything is sent
          assertEquals("error", onA.get("type").asText(), onA.toString());
          assertEquals(codes[i], onA.get("code").asText(), onA.toString());
          assertEquals(onB.get("code").asText(), onA.get("code").asText(), onA.toString());
          assertEquals(onB.get("message").asText(), onA.get("message").asText());
          if (codes[i].equals("bad_url")) {
            assertEquals(commandsBefore, commandRows(store), "a bad URL went to B");
          }
        }
        JsonNode after = clientOfA.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}");
        assertTrue(after.get("download").get("limitBps").isNull(), after.toString());
        assertEquals(first.uri("/c.bin").toString(), after.get("download").get("url").asText());
      }
    }
  }

  @Test
  void aCommandANodeCannotReadIsRefusedAndTheCommandsAfterItAreCarriedOut() throws Exception {
    // given a download running on B, and a command row for B that B cannot read (as one from a
    // node of a newer version would be)
    first = new TestOrigin();
    first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    String store = DATABASE.newDatabase();
    try (RunningServer b = node(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      String id = add(clientOfB, first.uri("/a.bin"), "");
      awaitBytes(clientOfB, id, CHUNK);
      long unreadable;
      try (Connection c = LocalPostgres.connect(store);
          PreparedStatement ps = c.prepareStatement("INSERT INTO rangefetch_command"
              + " (download_id, node, op) VALUES (?, 'node-b', 'FROM_THE_FUTURE') RETURNING id")) {
        ps.setLong(1, Long.parseLong(id));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          unreadable = rs.getLong(1);
        }
      }
      try (RunningServer a = node(root.resolve("a"), store, "node-a");
          ProtocolClient clientOfA = a.connectApi()) {

        // when a client of A pauses the download
        JsonNode paused = clientOfA.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");

        // then B carried out the pause, and answered the row it could not read as refused
        assertEquals("ok", paused.get("type").asText(), paused.toString());
        clientOfB.awaitState(id, "paused");
        try (Connection c = LocalPostgres.connect(store);
            PreparedStatement ps = c.prepareStatement("SELECT done_at IS NOT NULL,"
                + " result->'error'->>'code' FROM rangefetch_command WHERE id = ?")) {
          ps.setLong(1, unreadable);
          try (ResultSet rs = ps.executeQuery()) {
            assertTrue(rs.next());
            assertTrue(rs.getBoolean(1), "the unreadable command is answered");
            assertEquals("bad_request", rs.getString(2));
          }
        }
      }
    }
  }

  @Test
  void aCommandItsSenderGaveUpOnIsLeftForNoNodeToCarryOutLater() throws Exception {
    // given a download paused on B, B stopped, and its row naming a node with a live lease
    // that does not answer (as one overloaded, or cut off from its work, would not)
    first = new TestOrigin();
    first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    String store = DATABASE.newDatabase();
    String id;
    try (RunningServer b = node(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      id = add(clientOfB, first.uri("/a.bin"), "");
      awaitBytes(clientOfB, id, CHUNK);
      clientOfB.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      clientOfB.awaitState(id, "paused");
    }
    try (Connection c = LocalPostgres.connect(store);
        PreparedStatement ps = c.prepareStatement("UPDATE rangefetch_download SET owner ="
            + " 'node-ghost', lease_until = now() + interval '1 hour' WHERE id = ?")) {
      ps.setLong(1, Long.parseLong(id));
      assertEquals(1, ps.executeUpdate());
    }
    try (RunningServer a = node(root.resolve("a"), store, "node-a");
        ProtocolClient clientOfA = a.connectApi()) {

      // when a client of A resumes it, and its node does not take the command in time
      JsonNode resumed = clientOfA.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");

      // then the client is told, and the command is marked as answered: a node-ghost that
      // comes back finds nothing to carry out (it takes only commands without done_at)
      assertEquals("error", resumed.get("type").asText(), resumed.toString());
      assertEquals("internal", resumed.get("code").asText(), resumed.toString());
      assertTrue(resumed.get("message").asText().contains("nothing was changed"),
          resumed.toString());
      try (Connection c = LocalPostgres.connect(store);
          ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FILTER (WHERE done_at"
              + " IS NULL), count(*) FILTER (WHERE result->'error'->>'code' = 'internal')"
              + " FROM rangefetch_command WHERE node = 'node-ghost'")) {
        assertTrue(rs.next());
        assertEquals(0, rs.getLong(1), "a command left for node-ghost to carry out");
        assertEquals(1, rs.getLong(2), "the resume, answered as failed");
      }
    }
  }

  @Test
  void aria2ChangeOptionThroughANodeLimitsADownloadOfAnother() throws Exception {
    // given a download running on B, its response held by the origin
    first = new TestOrigin();
    first.file("/h.bin", 200_000);
    var reached = first.hold("/h.bin");
    String store = DATABASE.newDatabase();
    try (RunningServer b = node(root.resolve("b"), store, "node-b");
        ProtocolClient clientOfB = b.connectApi()) {
      String id = add(clientOfB, first.uri("/h.bin"), "");
      assertTrue(reached.await(60, TimeUnit.SECONDS));
      try (RunningServer a = node(root.resolve("a"), store, "node-a");
          Aria2RpcClient rpc = Aria2RpcClient.connect(a, "unused")) {
        String gid = String.format(Locale.ROOT, "%016x", Long.parseLong(id));

        // when an aria2 client of A sets its max-download-limit
        JsonNode changed = rpc.result("aria2.changeOption", gid,
            Map.of("max-download-limit", "64K"));

        // then B's download takes it, and A shows it
        assertEquals("OK", changed.asText());
        clientOfB.awaitJson(m -> isStatusOf(m, id)
            && m.path("download").path("limitBps").asLong() == 65536, "B's download limited");
        assertEquals("65536", rpc.result("aria2.getOption", gid).get("max-download-limit")
            .asText());
        first.release("/h.bin");
        JsonNode done = clientOfB.awaitState(id, "completed");
        assertEquals(65536, done.get("limitBps").asLong());
      }
    }
  }

  private static String add(ProtocolClient client, java.net.URI url, String fields)
      throws Exception {
    JsonNode added = client.request("add", "{\"op\":\"add\",\"url\":\"" + url + "\"" + fields
        + "}");
    assertEquals("added", added.get("type").asText(), added.toString());
    return added.get("download").get("id").asText();
  }

  private static void awaitBytes(ProtocolClient client, String id, long atLeast)
      throws Exception {
    client.awaitJson(m -> isStatusOf(m, id)
        && m.path("download").path("bytesDone").asLong() >= atLeast,
        "download " + id + " with " + atLeast + " bytes");
  }

  private static boolean isStatusOf(JsonNode message, String id) {
    return "status".equals(message.path("type").asText())
        && id.equals(message.path("download").path("id").asText());
  }

  private static String sha256Of(JsonNode status) throws Exception {
    return Sha256.of(Files.readAllBytes(Path.of(java.net.URI.create(status.get("file")
        .asText()))));
  }

  private static void assertWithin(double expected, double actual, double tolerance,
      String what) {
    assertTrue(actual >= expected * (1 - tolerance) && actual <= expected * (1 + tolerance),
        what + ": " + Math.round(actual) + " B/s, expected " + Math.round(expected) + " B/s ± "
            + Math.round(tolerance * 100) + " %");
  }

  /** The download's row: its record's url, formerUrl and limitBps, and its owner. */
  private static Map<String, String> record(String store, String id) throws Exception {
    try (Connection c = LocalPostgres.connect(store);
        PreparedStatement ps = c.prepareStatement("SELECT record->>'url',"
            + " record->>'formerUrl', record->>'limitBps', owner FROM rangefetch_download"
            + " WHERE id = ?")) {
      ps.setLong(1, Long.parseLong(id));
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "no row for download " + id);
        return Map.of("url", String.valueOf(rs.getString(1)),
            "formerUrl", String.valueOf(rs.getString(2)),
            "limitBps", String.valueOf(rs.getString(3)),
            "owner", String.valueOf(rs.getString(4)));
      }
    }
  }

  private static long commandRows(String store) throws Exception {
    try (Connection c = LocalPostgres.connect(store);
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM rangefetch_command")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
