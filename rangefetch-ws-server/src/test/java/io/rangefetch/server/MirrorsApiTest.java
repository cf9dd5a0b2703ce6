package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mirrors on {@code /ws}: {@code add} with {@code mirrors}, the status's {@code mirrors}, and
 * {@code update} with a new {@code url} on a paused and on a failed download, of the same file
 * (the bytes on disk are kept) and of another one (it starts over and says why).
 */
class MirrorsApiTest {
  private static final int SIZE = 1_000_000;
  private static final int CHUNK = 64 * 1024;

  @TempDir Path dir;
  private TestOrigin first;
  private TestOrigin second;
  private RunningServer server;
  private ProtocolClient client;

  @BeforeEach
  void start() throws Exception {
    first = new TestOrigin();
    second = new TestOrigin();
    startServer();
  }

  private void startServer() throws Exception {
    server = RunningServer.start(dir, io.rangefetch.server.ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(CHUNK).build()));
    client = server.connectApi();
  }

  /** A paused download: its id, and the bytes it had on disk. */
  private record Paused(String id, long kept) {}

  /** Adds {@code url}, and pauses the download once it has a chunk on disk. */
  private Paused pausedWithBytes(URI url) throws Exception {
    String id = addAndGetId(add(url));
    awaitBytes(id, CHUNK);
    client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
    return new Paused(id, client.awaitState(id, "paused").get("bytesDone").asLong());
  }

  /** Stops the server and starts it again on the same download directory. */
  private void restartServer() throws Exception {
    client.close();
    server.close();
    startServer();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    first.close();
    second.close();
  }

  private static String add(URI url, URI... mirrors) {
    StringBuilder json = new StringBuilder("{\"op\":\"add\",\"url\":\"" + url + "\"");
    if (mirrors.length > 0) {
      json.append(",\"mirrors\":[");
      for (int i = 0; i < mirrors.length; i++) {
        json.append(i == 0 ? "" : ",").append('"').append(mirrors[i]).append('"');
      }
      json.append(']');
    }
    return json.append('}').toString();
  }

  private String addAndGetId(String json) throws Exception {
    JsonNode added = client.request("add", json);
    assertEquals("added", added.get("type").asText(), added.toString());
    return added.get("download").get("id").asText();
  }

  private JsonNode awaitBytes(String id, long atLeast) throws Exception {
    return client.awaitJson(node -> id.equals(node.path("download").path("id").asText())
        && node.path("download").path("bytesDone").asLong() >= atLeast,
        "download " + id + " with " + atLeast + " bytes").get("download");
  }

  private static String sha256Of(JsonNode status) throws Exception {
    return Sha256.of(Files.readAllBytes(Path.of(URI.create(status.get("file").asText()))));
  }

  @Test
  void addWithMirrorsFetchesFromBothAndShowsEachSource() throws Exception {
    // given the same file on a slow origin and on a fast one
    byte[] content = first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    second.file("/a.bin", SIZE);

    // when added with the fast one as a mirror
    String id = addAndGetId(add(first.uri("/a.bin"), second.uri("/a.bin")));
    JsonNode done = client.awaitState(id, "completed");

    // then the file is right, both served, and the status lists both with their bytes
    assertEquals(Sha256.of(content), sha256Of(done));
    JsonNode mirrors = done.get("mirrors");
    assertEquals(2, mirrors.size(), done.toString());
    assertEquals(first.uri("/a.bin").toString(), mirrors.get(0).get("url").asText());
    assertEquals(second.uri("/a.bin").toString(), mirrors.get(1).get("url").asText());
    assertEquals("active", mirrors.get(1).get("state").asText());
    assertEquals(SIZE, mirrors.get(0).get("bytes").asLong() + mirrors.get(1).get("bytes").asLong());
    assertTrue(second.requests("/a.bin").size() > 1, () -> second.requests().toString());
    assertTrue(first.maxInFlight() + second.maxInFlight() <= 4 + 4, "caps");
  }

  @Test
  void addWithABadMirrorIsRefused() throws Exception {
    JsonNode badUrl = client.request("b1", "{\"op\":\"add\",\"url\":\"" + first.uri("/a.bin")
        + "\",\"mirrors\":[\"ftp://example.org/a.bin\"]}");
    JsonNode notArray = client.request("b2", "{\"op\":\"add\",\"url\":\"" + first.uri("/a.bin")
        + "\",\"mirrors\":\"" + second.uri("/a.bin") + "\"}");
    JsonNode twice = client.request("b3", add(first.uri("/a.bin"), first.uri("/a.bin")));

    assertEquals("bad_url", badUrl.get("code").asText(), badUrl.toString());
    assertEquals("bad_request", notArray.get("code").asText(), notArray.toString());
    assertTrue(notArray.get("message").asText().contains("mirrors"), notArray.toString());
    assertEquals("bad_request", twice.get("code").asText(), twice.toString());
  }

  @Test
  void newUrlOfTheSameFileOnAPausedDownloadKeepsItsBytes() throws Exception {
    // given a paused download with bytes on disk
    byte[] content = first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    second.file("/a.bin", SIZE);
    Paused paused = pausedWithBytes(first.uri("/a.bin"));
    String id = paused.id();
    long kept = paused.kept();

    // when given the URL of the same file elsewhere, and resumed
    JsonNode updated = client.request("u", "{\"op\":\"update\",\"id\":\"" + id
        + "\",\"url\":\"" + second.uri("/a.bin") + "\"}");
    client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
    JsonNode done = client.awaitState(id, "completed");

    // then the new URL served only what was missing
    assertEquals("ok", updated.get("type").asText(), updated.toString());
    assertEquals(second.uri("/a.bin").toString(), updated.get("download").get("url").asText());
    assertEquals(Sha256.of(content), sha256Of(done));
    assertTrue(second.sentBytes("/a.bin") > 0 && second.sentBytes("/a.bin") <= SIZE - kept + 1,
        () -> second.sentBytes("/a.bin") + " bytes sent after " + kept + " were kept");
    assertTrue(done.get("mirrors").get(0).get("note").asText().contains("kept"), done.toString());
  }

  @Test
  void newUrlOfTheSameFileOnAFailedDownloadRetriesFromTheBytesOnDisk() throws Exception {
    // given a download that failed after some chunks because its link died
    byte[] content = first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    second.file("/a.bin", SIZE);
    String id = addAndGetId(add(first.uri("/a.bin")));
    awaitBytes(id, 2 * CHUNK);
    first.remove("/a.bin");
    long kept = client.awaitState(id, "failed").get("bytesDone").asLong();

    // when given the URL of the same file elsewhere
    JsonNode updated = client.request("u", "{\"op\":\"update\",\"id\":\"" + id
        + "\",\"url\":\"" + second.uri("/a.bin") + "\"}");
    JsonNode done = client.awaitState(id, "completed");

    // then it ran again at once, and the new URL served only what was missing
    assertEquals("ok", updated.get("type").asText(), updated.toString());
    assertTrue(updated.get("download").get("error").isNull(), updated.toString());
    assertEquals(Sha256.of(content), sha256Of(done));
    assertTrue(kept > 0);
    assertTrue(second.sentBytes("/a.bin") > 0 && second.sentBytes("/a.bin") <= SIZE - kept + CHUNK,
        () -> second.sentBytes("/a.bin") + " bytes sent after " + kept + " were on disk");
  }

  @Test
  void newUrlOfAnotherFileOnAFailedDownloadStartsOverAndSaysWhy() throws Exception {
    // given a failed download with bytes on disk
    first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    byte[] other = second.file("/b.bin", SIZE - 1000);
    String id = addAndGetId(add(first.uri("/a.bin")));
    awaitBytes(id, 2 * CHUNK);
    first.remove("/a.bin");
    client.awaitState(id, "failed");

    // when given the URL of another file
    client.request("u", "{\"op\":\"update\",\"id\":\"" + id + "\",\"url\":\""
        + second.uri("/b.bin") + "\"}");
    JsonNode done = client.awaitState(id, "completed");

    // then it holds the new file, fetched whole, and the status says why it started over
    assertEquals(Sha256.of(other), sha256Of(done));
    assertEquals(SIZE - 1000, second.sentBytes("/b.bin"));
    String note = done.get("mirrors").get(0).get("note").asText();
    assertTrue(note.contains("serves another file") && note.contains("started over"), note);
  }

  @Test
  void newUrlOfAnotherFileOnAPausedDownloadStartsOverAndSaysWhy() throws Exception {
    // given a paused download with bytes on disk
    first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    byte[] other = second.file("/b.bin", SIZE - 1000);
    String id = addAndGetId(add(first.uri("/a.bin")));
    awaitBytes(id, CHUNK);
    client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
    client.awaitState(id, "paused");

    // when given the URL of another file, and resumed
    client.request("u", "{\"op\":\"update\",\"id\":\"" + id + "\",\"url\":\""
        + second.uri("/b.bin") + "\"}");
    client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
    JsonNode done = client.awaitState(id, "completed");

    // then it holds the new file, and the status says why it started over
    assertEquals(Sha256.of(other), sha256Of(done));
    String note = done.get("mirrors").get(0).get("note").asText();
    assertTrue(note.contains("serves another file") && note.contains("started over"), note);
  }

  @Test
  void mirrorsSurviveARestartAndAPausedDownloadTakesANewUrlAfterIt() throws Exception {
    // given a paused download with a mirror, and a server restarted since
    byte[] content = first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    second.file("/a.bin", SIZE);
    String id = addAndGetId(add(first.uri("/a.bin"), second.uri("/a.bin")));
    awaitBytes(id, CHUNK);
    client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
    client.awaitState(id, "paused");
    restartServer();
    JsonNode restored = client.request("g", "{\"op\":\"get\",\"id\":\"" + id + "\"}")
        .get("download");
    long kept = restored.get("bytesDone").asLong();
    long sentBefore = second.sentBytes("/a.bin");

    // when its mirror becomes its URL, and it resumes
    client.request("u", "{\"op\":\"update\",\"id\":\"" + id + "\",\"url\":\""
        + second.uri("/a.bin") + "\",\"mirrors\":[]}");
    client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
    JsonNode done = client.awaitState(id, "completed");

    // then the restart kept the mirror, and the new URL continued the part file
    assertEquals("paused", restored.get("state").asText());
    assertEquals(second.uri("/a.bin").toString(),
        restored.get("mirrors").get(1).get("url").asText(), restored.toString());
    assertEquals(Sha256.of(content), sha256Of(done));
    assertEquals(second.uri("/a.bin").toString(), done.get("url").asText());
    assertTrue(kept > 0);
    long sent = second.sentBytes("/a.bin") - sentBefore;
    assertTrue(sent > 0 && sent <= SIZE - kept + CHUNK,
        () -> sent + " bytes sent after " + kept + " were on disk");
  }

  @Test
  void aNewUrlGivenBeforeARestartStillContinuesThePartFileAfterIt() throws Exception {
    // given a paused download given the URL of the same file elsewhere, and a restart since
    byte[] content = first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    second.file("/a.bin", SIZE);
    Paused paused = pausedWithBytes(first.uri("/a.bin"));
    String id = paused.id();
    long kept = paused.kept();
    JsonNode updated = client.request("u", "{\"op\":\"update\",\"id\":\"" + id
        + "\",\"url\":\"" + second.uri("/a.bin") + "\"}");
    assertEquals("ok", updated.get("type").asText(), updated.toString());
    restartServer();

    // when it resumes
    client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
    JsonNode done = client.awaitState(id, "completed");

    // then the new URL served only what was missing (give or take the chunk the pause cut
    // short, as after any restart): the restart remembered the old URL whose part file it
    // continues. Without it, the whole file is fetched again.
    assertEquals(Sha256.of(content), sha256Of(done));
    assertTrue(kept > 0);
    assertTrue(second.sentBytes("/a.bin") > 0
        && second.sentBytes("/a.bin") <= SIZE - kept + CHUNK,
        () -> second.sentBytes("/a.bin") + " bytes sent after " + kept + " were kept");
  }

  @Test
  void twoNewUrlsAndARestartBeforeTheResumeStillContinueThePartFileOfTheFirst() throws Exception {
    // given a paused download with bytes on disk, and the same file at two other URLs
    byte[] content = first.file("/a.bin", SIZE);
    first.throttle("/a.bin", 8 * 1024, Duration.ofMillis(40));
    second.file("/a.bin", SIZE);
    try (TestOrigin third = new TestOrigin()) {
      third.file("/a.bin", SIZE);
      Paused paused = pausedWithBytes(first.uri("/a.bin"));
      String id = paused.id();
      long kept = paused.kept();

      // when given one new URL, then another, and resumed after a restart (a new run of the
      // core, which knows only what the server kept)
      client.request("u1", "{\"op\":\"update\",\"id\":\"" + id
          + "\",\"url\":\"" + second.uri("/a.bin") + "\"}");
      client.request("u2", "{\"op\":\"update\",\"id\":\"" + id
          + "\",\"url\":\"" + third.uri("/a.bin") + "\"}");
      restartServer();
      client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
      JsonNode done = client.awaitState(id, "completed");

      // then the last URL served only what was missing (give or take the chunk the pause cut
      // short, as after any restart): the part file was the first URL's
      assertEquals(Sha256.of(content), sha256Of(done));
      assertEquals(third.uri("/a.bin").toString(), done.get("url").asText());
      assertTrue(third.sentBytes("/a.bin") > 0
          && third.sentBytes("/a.bin") <= SIZE - kept + CHUNK,
          () -> third.sentBytes("/a.bin") + " bytes sent after " + kept + " were kept");
      assertEquals(0, second.sentBytes("/a.bin"), "the second URL was never fetched");
    }
  }

  @Test
  void updateOfACompletedDownloadIsAConflictAndAnEmptyOneABadRequest() throws Exception {
    first.file("/a.bin", 10_000);
    String id = addAndGetId(add(first.uri("/a.bin")));
    client.awaitState(id, "completed");

    JsonNode conflict = client.request("u1", "{\"op\":\"update\",\"id\":\"" + id
        + "\",\"url\":\"" + second.uri("/a.bin") + "\"}");
    JsonNode empty = client.request("u2", "{\"op\":\"update\",\"id\":\"" + id + "\"}");

    assertEquals("conflict", conflict.get("code").asText(), conflict.toString());
    assertEquals("bad_request", empty.get("code").asText(), empty.toString());
  }
}
