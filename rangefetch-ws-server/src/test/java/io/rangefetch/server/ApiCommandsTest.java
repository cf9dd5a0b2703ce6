package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command of the JSON API on {@code /ws}, against a real server and a real origin. */
class ApiCommandsTest {
  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir, ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(64 * 1024).build())
        .maxDownloads(5));
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    server.close();
    origin.close();
  }

  @Test
  void greetsWithHelloThenTheList() throws Exception {
    client = ProtocolClient.connect(server.api());

    JsonNode hello = client.nextJson();
    JsonNode list = client.nextJson();

    assertEquals("hello", hello.get("type").asText());
    assertEquals(1, hello.get("protocol").asInt());
    assertEquals("rangefetch", hello.get("server").asText());
    assertFalse(hello.get("version").asText().isBlank());
    assertEquals(4, hello.get("limits").get("maxThreads").asInt());
    assertEquals(65536, hello.get("limits").get("maxBytesPerThread").asLong());
    assertEquals(4, hello.get("limits").get("maxConcurrentDownloads").asInt());
    assertEquals("list", list.get("type").asText());
    assertEquals(0, list.get("downloads").size());
  }

  @Test
  void addDownloadsTheFileAndPushesItUntilCompleted() throws Exception {
    byte[] content = origin.file("/data/a.bin", 300_000);
    client = server.connectApi();

    JsonNode added = client.request("r1", add(origin.uri("/data/a.bin")));
    String id = added.get("download").get("id").asText();
    JsonNode done = client.awaitState(id, "completed");

    assertEquals("added", added.get("type").asText());
    assertEquals(origin.uri("/data/a.bin").toString(), added.get("download").get("url").asText());
    assertEquals(300_000, done.get("size").asLong());
    assertEquals(300_000, done.get("bytesDone").asLong());
    assertEquals(1.0, done.get("progress").asDouble());
    assertEquals(Sha256.of(content), done.get("sha256").asText());
    assertEquals("a.bin", done.get("fileName").asText());
    assertTrue(done.get("rangesSupported").asBoolean());
    assertTrue(done.get("error").isNull());
    Path file = Path.of(URI.create(done.get("file").asText()));
    assertEquals(dir.toRealPath().resolve("a.bin"), file.toRealPath());
    assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(file)));
  }

  @Test
  void statusHasEveryFieldOfTheProtocol() throws Exception {
    origin.file("/a.bin", 1000);
    client = server.connectApi();

    JsonNode status = client.request("r", add(origin.uri("/a.bin"))).get("download");

    List<String> fields = List.of("id", "url", "finalUrl", "state", "size", "rangesSupported",
        "threads", "maxThreads", "chunkBytes", "bytesDone", "progress", "speedBps", "etaSeconds",
        "fileName", "file", "sha256", "error", "createdAt", "updatedAt");
    for (String field : fields) {
      assertTrue(status.has(field), "missing " + field + " in " + status);
    }
    assertTrue(List.of("queued", "probing", "downloading", "completed")
        .contains(status.get("state").asText()), status.toString());
  }

  @Test
  void capsTheThreadsAndChunkBytesAskedForAndReportsTheCapsInForce() throws Exception {
    origin.file("/a.bin", 1000);
    origin.file("/b.bin", 1000);
    client = server.connectApi();

    JsonNode above = client.request("r1",
        "{\"op\":\"add\",\"url\":\"" + origin.uri("/a.bin") + "\",\"threads\":1000,"
            + "\"chunkBytes\":999999999}").get("download");
    JsonNode below = client.request("r2",
        "{\"op\":\"add\",\"url\":\"" + origin.uri("/b.bin") + "\",\"threads\":2,"
            + "\"chunkBytes\":1024}").get("download");

    assertEquals(4, above.get("maxThreads").asInt());
    assertEquals(65536, above.get("chunkBytes").asLong());
    assertEquals(2, below.get("maxThreads").asInt());
    assertEquals(1024, below.get("chunkBytes").asLong());
  }

  @Test
  void addOfAKnownUrlReturnsTheExistingDownload() throws Exception {
    origin.file("/a.bin", 1000);
    client = server.connectApi();
    String id = client.request("r1", add(origin.uri("/a.bin"))).get("download").get("id").asText();
    client.awaitState(id, "completed");

    JsonNode again = client.request("r2", add(origin.uri("/a.bin")));

    assertEquals("added", again.get("type").asText());
    assertEquals(id, again.get("download").get("id").asText());
    assertEquals("completed", again.get("download").get("state").asText());
    assertEquals(1, client.request("r3", "{\"op\":\"list\"}").get("downloads").size());
    assertEquals(1, origin.requests("/a.bin").stream().filter(r -> r.range().startsWith("bytes=0-"))
        .count(), "the file was fetched once");
  }

  @Test
  void addOfAFailedUrlStartsANewDownload() throws Exception {
    client = server.connectApi();
    String first = client.request("r1", add(origin.uri("/missing.bin"))).get("download")
        .get("id").asText();
    client.awaitState(first, "failed");

    String second = client.request("r2", add(origin.uri("/missing.bin"))).get("download")
        .get("id").asText();

    assertFalse(first.equals(second));
  }

  @Test
  void failedDownloadCarriesTheCoreErrorCodeAndAMessage() throws Exception {
    client = server.connectApi();

    String id = client.request("r", add(origin.uri("/missing.bin"))).get("download").get("id")
        .asText();
    JsonNode failed = client.awaitState(id, "failed");

    assertEquals("http_status", failed.get("error").get("code").asText());
    assertFalse(failed.get("error").get("message").asText().isBlank());
    assertTrue(failed.get("file").isNull());
  }

  @Test
  void wrongSha256FailsWithChecksumMismatch() throws Exception {
    origin.file("/a.bin", 5000);
    client = server.connectApi();

    String id = client.request("r", "{\"op\":\"add\",\"url\":\"" + origin.uri("/a.bin")
        + "\",\"sha256\":\"" + "0".repeat(64) + "\"}").get("download").get("id").asText();
    JsonNode failed = client.awaitState(id, "failed");

    assertEquals("checksum_mismatch", failed.get("error").get("code").asText());
  }

  @Test
  void rightSha256Completes() throws Exception {
    byte[] content = origin.file("/a.bin", 5000);
    client = server.connectApi();

    String id = client.request("r", "{\"op\":\"add\",\"url\":\"" + origin.uri("/a.bin")
        + "\",\"sha256\":\"" + Sha256.of(content).toUpperCase() + "\"}")
        .get("download").get("id").asText();

    assertEquals(Sha256.of(content),
        client.awaitState(id, "completed").get("sha256").asText());
  }

  @Test
  void fileNameAskedForIsUsed() throws Exception {
    origin.file("/a.bin", 2000);
    client = server.connectApi();

    String id = client.request("r", "{\"op\":\"add\",\"url\":\"" + origin.uri("/a.bin")
        + "\",\"fileName\":\"chosen.dat\"}").get("download").get("id").asText();
    JsonNode done = client.awaitState(id, "completed");

    assertEquals("chosen.dat", done.get("fileName").asText());
    assertTrue(Files.isRegularFile(dir.resolve("chosen.dat")));
  }

  @Test
  void twoDownloadsOfTheSameNameGetTwoFiles() throws Exception {
    origin.file("/x/a.bin", 2000);
    origin.file("/y/a.bin", 3000);
    client = server.connectApi();

    String one = client.request("r1", add(origin.uri("/x/a.bin"))).get("download").get("id")
        .asText();
    String a = client.awaitState(one, "completed").get("file").asText();
    String two = client.request("r2", add(origin.uri("/y/a.bin"))).get("download").get("id")
        .asText();
    String b = client.awaitState(two, "completed").get("file").asText();

    assertFalse(a.equals(b));
    assertEquals(2000, Files.size(Path.of(URI.create(a))));
    assertEquals(3000, Files.size(Path.of(URI.create(b))));
  }

  @Test
  void listIsNewestFirst() throws Exception {
    origin.file("/a.bin", 100);
    origin.file("/b.bin", 100);
    client = server.connectApi();
    String a = client.request("r1", add(origin.uri("/a.bin"))).get("download").get("id").asText();
    String b = client.request("r2", add(origin.uri("/b.bin"))).get("download").get("id").asText();

    JsonNode list = client.request("r3", "{\"op\":\"list\"}");

    assertEquals("list", list.get("type").asText());
    assertEquals(b, list.get("downloads").get(0).get("id").asText());
    assertEquals(a, list.get("downloads").get(1).get("id").asText());
  }

  @Test
  void getReturnsTheStatus() throws Exception {
    origin.file("/a.bin", 100);
    client = server.connectApi();
    String id = client.request("r1", add(origin.uri("/a.bin"))).get("download").get("id").asText();
    client.awaitState(id, "completed");

    JsonNode reply = client.request("r2", "{\"op\":\"get\",\"id\":\"" + id + "\"}");

    assertEquals("status", reply.get("type").asText());
    assertEquals("completed", reply.get("download").get("state").asText());
  }

  @Test
  void unknownIdIsNotFound() throws Exception {
    client = server.connectApi();

    for (String op : List.of("get", "pause", "resume", "cancel", "remove")) {
      JsonNode reply = client.request(op, "{\"op\":\"" + op + "\",\"id\":\"404\"}");
      assertEquals("error", reply.get("type").asText(), op);
      assertEquals("not_found", reply.get("code").asText(), op);
    }
  }

  @Test
  void pauseAndResumeARunningDownload() throws Exception {
    byte[] content = origin.file("/slow.bin", 200_000);
    var reached = origin.hold("/slow.bin");
    client = server.connectApi();
    String id = client.request("r1", add(origin.uri("/slow.bin"))).get("download").get("id")
        .asText();
    assertTrue(reached.await(60, TimeUnit.SECONDS));

    JsonNode paused = client.request("r2", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
    client.awaitState(id, "paused");
    origin.release("/slow.bin");
    JsonNode resumed = client.request("r3", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
    JsonNode done = client.awaitState(id, "completed");

    assertEquals("ok", paused.get("type").asText());
    assertEquals("paused", paused.get("download").get("state").asText());
    assertEquals("ok", resumed.get("type").asText());
    assertFalse("paused".equals(resumed.get("download").get("state").asText()));
    assertEquals(Sha256.of(content), done.get("sha256").asText());
  }

  @Test
  void cancelStopsTheDownloadAndLeavesNoFile() throws Exception {
    origin.file("/slow.bin", 200_000);
    var reached = origin.hold("/slow.bin");
    client = server.connectApi();
    String id = client.request("r1", add(origin.uri("/slow.bin"))).get("download").get("id")
        .asText();
    assertTrue(reached.await(60, TimeUnit.SECONDS));

    JsonNode reply = client.request("r2", "{\"op\":\"cancel\",\"id\":\"" + id + "\"}");
    client.awaitState(id, "cancelled");
    origin.release("/slow.bin");

    assertEquals("ok", reply.get("type").asText());
    assertEquals("cancelled", reply.get("download").get("state").asText());
    assertEquals(List.of(), filesIn(dir));
  }

  @Test
  void removeOfARunningDownloadCancelsItAndPushesRemoved() throws Exception {
    origin.file("/slow.bin", 200_000);
    var reached = origin.hold("/slow.bin");
    client = server.connectApi();
    String id = client.request("r1", add(origin.uri("/slow.bin"))).get("download").get("id")
        .asText();
    assertTrue(reached.await(60, TimeUnit.SECONDS));

    JsonNode reply = client.request("r2", "{\"op\":\"remove\",\"id\":\"" + id + "\"}");
    JsonNode removed = client.await("removed");
    origin.release("/slow.bin");

    assertEquals("ok", reply.get("type").asText());
    assertEquals("cancelled", reply.get("download").get("state").asText());
    assertEquals(id, removed.get("id").asText());
    assertEquals(0, client.request("r3", "{\"op\":\"list\"}").get("downloads").size());
    JsonNode get = client.request("r4", "{\"op\":\"get\",\"id\":\"" + id + "\"}");
    assertEquals("not_found", get.get("code").asText());
  }

  @Test
  void removeOfACompletedDownloadKeepsTheFile() throws Exception {
    origin.file("/a.bin", 1000);
    client = server.connectApi();
    String id = client.request("r1", add(origin.uri("/a.bin"))).get("download").get("id").asText();
    Path file = Path.of(URI.create(client.awaitState(id, "completed").get("file").asText()));

    JsonNode reply = client.request("r2", "{\"op\":\"remove\",\"id\":\"" + id + "\"}");

    assertEquals("completed", reply.get("download").get("state").asText());
    assertTrue(Files.isRegularFile(file));
  }

  @Test
  void commandsThatDoNotFitTheStateAreConflicts() throws Exception {
    origin.file("/a.bin", 1000);
    client = server.connectApi();
    String id = client.request("r1", add(origin.uri("/a.bin"))).get("download").get("id").asText();
    client.awaitState(id, "completed");

    for (String op : List.of("pause", "resume", "cancel")) {
      JsonNode reply = client.request(op, "{\"op\":\"" + op + "\",\"id\":\"" + id + "\"}");
      assertEquals("error", reply.get("type").asText(), op);
      assertEquals("conflict", reply.get("code").asText(), op);
    }
    assertEquals("completed", client.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}")
        .get("download").get("state").asText());
  }

  @Test
  void badRequestsGetAnErrorAndTheConnectionStaysOpen() throws Exception {
    client = server.connectApi();
    List<String> bad = List.of(
        "{\"requestId\":\"b1\"}",
        "{\"requestId\":\"b2\",\"op\":\"fly\"}",
        "{\"requestId\":\"b3\",\"op\":42}",
        "{\"requestId\":\"b4\",\"op\":\"add\"}",
        "{\"requestId\":\"b5\",\"op\":\"add\",\"url\":\"http://h/a\",\"threads\":0}",
        "{\"requestId\":\"b6\",\"op\":\"add\",\"url\":\"http://h/a\",\"threads\":\"4\"}",
        "{\"requestId\":\"b7\",\"op\":\"add\",\"url\":\"http://h/a\",\"chunkBytes\":-1}",
        "{\"requestId\":\"b8\",\"op\":\"add\",\"url\":\"http://h/a\",\"sha256\":\"abc\"}",
        "{\"requestId\":\"b9\",\"op\":\"get\"}",
        "{\"requestId\":\"b10\",\"op\":\"pause\",\"id\":{}}",
        "{\"requestId\":\"b11\",\"op\":\"add\",\"url\":\"http://h/a\",\"fileName\":\"../x\"}",
        "{\"requestId\":\"b12\",\"op\":\"add\",\"url\":\"http://h/a\",\"fileName\":7}");

    for (String message : bad) {
      client.send(message);
      JsonNode reply = client.nextJson();
      assertEquals("error", reply.get("type").asText(), message);
      assertEquals("bad_request", reply.get("code").asText(), message);
      assertEquals(message.substring(14, message.indexOf('"', 14)),
          reply.get("requestId").asText(), message);
      assertFalse(reply.get("message").asText().isBlank());
    }
    assertEquals(0, client.request("after", "{\"op\":\"list\"}").get("downloads").size());
  }

  @Test
  void notJsonIsABadRequestWithoutRequestId() throws Exception {
    client = server.connectApi();

    for (String message : List.of("hello", "[1,2]", "{\"op\":", "\"list\"")) {
      client.send(message);
      JsonNode reply = client.nextJson();
      assertEquals("bad_request", reply.get("code").asText(), message);
      assertFalse(reply.has("requestId"), message);
    }
  }

  @Test
  void requestIdLongerThan64CharactersIsABadRequest() throws Exception {
    client = server.connectApi();

    client.send("{\"op\":\"list\",\"requestId\":\"" + "x".repeat(65) + "\"}");
    JsonNode reply = client.nextJson();

    assertEquals("bad_request", reply.get("code").asText());
  }

  @Test
  void urlsOtherThanHttpAndHttpsAreBadUrls() throws Exception {
    client = server.connectApi();
    List<String> urls = List.of("ftp://example.org/a.iso", "file:///etc/passwd",
        "javascript:alert(1)", "/relative/path", "http://", "http://exa mple.org/a",
        "gopher://h/", "data:text/plain,hi");

    for (String url : urls) {
      JsonNode reply = client.request("u", "{\"op\":\"add\",\"url\":\"" + url + "\"}");
      assertEquals("error", reply.get("type").asText(), url);
      assertEquals("bad_url", reply.get("code").asText(), url);
    }
    assertEquals(0, client.request("l", "{\"op\":\"list\"}").get("downloads").size());
  }

  @Test
  void addBeyondTheCapOfUnfinishedDownloadsIsALimit() throws Exception {
    client = server.connectApi();
    for (int i = 0; i < 5; i++) {
      origin.file("/f" + i, 10_000);
      origin.hold("/f" + i); // unfinished until released: held after its first 1024 bytes
      assertEquals("added", client.request("a" + i, add(origin.uri("/f" + i))).get("type").asText());
    }
    origin.file("/f5", 10);

    JsonNode reply = client.request("a5", add(origin.uri("/f5")));

    assertEquals("error", reply.get("type").asText());
    assertEquals("limit", reply.get("code").asText());
    assertTrue(reply.get("message").asText().contains("security.max-downloads"),
        reply.toString());
    assertEquals(5, client.request("l", "{\"op\":\"list\"}").get("downloads").size());
    for (int i = 0; i < 5; i++) {
      origin.release("/f" + i);
    }
  }

  @Test
  void unsubscribedSessionGetsNoPushesUntilItSubscribesAgain() throws Exception {
    origin.file("/a.bin", 100);
    origin.file("/b.bin", 100);
    client = server.connectApi();
    try (ProtocolClient watcher = server.connectApi()) {
      JsonNode off = client.request("u", "{\"op\":\"unsubscribe\"}");
      String a = client.request("r1", add(origin.uri("/a.bin"))).get("download").get("id")
          .asText();
      watcher.awaitState(a, "completed");
      client.send("{\"op\":\"list\",\"requestId\":\"l\"}");
      List<String> beforeList = new java.util.ArrayList<>();
      for (String frame = client.next(); !frame.contains("\"requestId\":\"l\"");
          frame = client.next()) {
        beforeList.add(frame);
      }
      JsonNode on = client.request("s", "{\"op\":\"subscribe\"}");
      String b = client.request("r2", add(origin.uri("/b.bin"))).get("download").get("id")
          .asText();

      assertEquals("ok", off.get("type").asText());
      assertEquals(List.of(), beforeList, "pushes while unsubscribed");
      assertEquals("ok", on.get("type").asText());
      assertEquals("completed", client.awaitState(b, "completed").get("state").asText());
    }
  }

  private static List<Path> filesIn(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> !p.getFileName().toString().startsWith(".rangefetch-state"))
          .toList();
    }
  }

  static String add(URI url) {
    return "{\"op\":\"add\",\"url\":\"" + url + "\"}";
  }
}
