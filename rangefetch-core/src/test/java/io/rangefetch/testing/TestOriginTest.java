package io.rangefetch.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The test origin serves each path as its own file and holds, freezes, changes and counts them as
 * its javadoc says, checked with the JDK's HTTP client.
 */
class TestOriginTest {
  private static final long WAIT_SECONDS = 30;

  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).build();
  private TestOrigin origin;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
  }

  @AfterEach
  void stop() {
    origin.close();
  }

  private CompletableFuture<HttpResponse<byte[]>> get(String path, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(origin.uri(path));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.sendAsync(request.build(), BodyHandlers.ofByteArray());
  }

  private static HttpResponse<byte[]> done(CompletableFuture<HttpResponse<byte[]>> response)
      throws Exception {
    return response.get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(WAIT_SECONDS, TimeUnit.SECONDS), what);
  }

  /** The origin counts a body just after the client may have read it: wait for the count. */
  private void assertCompleted(String path, long expected) throws InterruptedException {
    assertTrue(origin.awaitCompleted(path, expected, Duration.ofSeconds(WAIT_SECONDS)),
        () -> "bytes completed: " + origin.completedBytes(path) + ", expected " + expected);
    assertEquals(expected, origin.completedBytes(path), "bytes completed");
  }

  @Test
  void servesEachPathItsOwnFileWithRanges_andRecordsEveryRequest() throws Exception {
    byte[] a = origin.file("/a.bin", 5000);
    byte[] b = origin.file("/b.bin", 7000);

    HttpResponse<byte[]> whole = done(get("/a.bin", "X-Test-Header", "one"));
    HttpResponse<byte[]> range = done(get("/b.bin", "Range", "bytes=100-199"));
    HttpResponse<byte[]> missing = done(get("/none.bin"));

    assertEquals(200, whole.statusCode());
    assertArrayEquals(a, whole.body());
    assertEquals(206, range.statusCode());
    assertArrayEquals(Arrays.copyOfRange(b, 100, 200), range.body());
    assertEquals(404, missing.statusCode());
    assertEquals(List.of("/a.bin", "/b.bin", "/none.bin"),
        origin.requests().stream().map(Exchange::path).toList());
    assertEquals(100, origin.requests("/b.bin").get(0).length());
    assertEquals(List.of("one"), origin.testHeaders("/a.bin"));
    await(origin.whenSent("/a.bin", 5000), "the bytes of /a.bin counted");
    await(origin.whenSent("/b.bin", 100), "the bytes of /b.bin counted");
    assertEquals(5000 + 100, origin.sentBytes("/a.bin") + origin.sentBytes("/b.bin"),
        "bytes sent");
    assertCompleted("/a.bin", 5000);
  }

  /**
   * Gets {@code path}, which the test holds at {@code reached}: there it has sent
   * {@code sentWhileHeld} body bytes and the response is not done; after {@code release} the
   * whole {@code content} arrives and counts as completed.
   */
  private void assertHeldUntilReleased(String path, byte[] content, CountDownLatch reached,
      long sentWhileHeld, Runnable release) throws Exception {
    CompletableFuture<HttpResponse<byte[]>> response = get(path);
    await(reached, "the held request for " + path + " did not arrive");

    assertEquals(1, origin.requests(path).size());
    assertEquals(sentWhileHeld, origin.sentBytes(path));
    assertFalse(response.isDone());
    release.run();
    assertArrayEquals(content, done(response).body());
    assertCompleted(path, content.length);
  }

  @Test
  void holdSendsTheFirstKibibyteThenWaitsForTheRelease() throws Exception {
    byte[] content = origin.file("/h.bin", 50_000);
    CountDownLatch reached = origin.hold("/h.bin");

    assertHeldUntilReleased("/h.bin", content, reached, 1024, () -> origin.release("/h.bin"));
  }

  @Test
  void holdHeadersKeepsTheRequestBeforeAnyByteUntilReleased() throws Exception {
    byte[] content = origin.file("/p.bin", 3000);
    CountDownLatch reached = origin.holdHeaders("/p.bin");

    assertHeldUntilReleased("/p.bin", content, reached, 0, () -> origin.releaseHeaders("/p.bin"));
  }

  @Test
  void freezeStopsBodiesBetweenSlicesUntilThawed() throws Exception {
    byte[] content = origin.file("/f.bin", 1024 * 1024);
    origin.throttle("/f.bin", 1024, Duration.ZERO);
    CountDownLatch frozen = origin.freezeAfterSent("/f.bin", 8 * 1024);

    CompletableFuture<HttpResponse<byte[]>> response = get("/f.bin");
    await(frozen, "never frozen");
    origin.freeze();
    long sent = origin.sentBytes("/f.bin");

    assertEquals(8 * 1024, sent, "frozen on the slice that reached the threshold");
    assertEquals(0, origin.completedBytes("/f.bin"));
    assertFalse(response.isDone());
    origin.thaw();
    assertArrayEquals(content, done(response).body());
    assertCompleted("/f.bin", content.length);
    assertTrue(origin.rateBetween("/f.bin", 0, content.length) > 0);
  }

  @Test
  void freezeAfterStopsOnceThatManyBytesWereSentCompletely() throws Exception {
    origin.file("/c.bin", 40 * 1024);
    origin.throttle("/c.bin", 1024, Duration.ofMillis(1));
    origin.freezeAfter("/c.bin", 10 * 1024);

    CompletableFuture<HttpResponse<byte[]>> first = get("/c.bin", "Range", "bytes=0-10239");
    assertEquals(206, done(first).statusCode());
    CompletableFuture<HttpResponse<byte[]>> second = get("/c.bin", "Range", "bytes=10240-");
    assertNotNull(origin.awaitRequest("/c.bin", r -> "bytes=10240-".equals(r.range()),
        Duration.ofSeconds(WAIT_SECONDS)), "no second request");
    assertEquals(2, origin.requests("/c.bin").size());
    origin.freeze();

    assertEquals(10 * 1024, origin.sentBytes("/c.bin"), "frozen before the second's first slice");
    assertFalse(second.isDone());
    origin.thaw();
    assertEquals(30 * 1024, done(second).body().length);
    assertCompleted("/c.bin", 40 * 1024);
  }

  @Test
  void changeServesANewVersionWithANewEtag() throws Exception {
    byte[] old = origin.file("/v.bin", 4000);
    HttpResponse<byte[]> before = done(get("/v.bin"));

    byte[] changed = origin.change("/v.bin");
    HttpResponse<byte[]> after = done(get("/v.bin"));

    assertArrayEquals(old, before.body());
    assertArrayEquals(changed, after.body());
    assertFalse(Arrays.equals(old, changed));
    assertEquals(RangeDispatcher.ETAG, before.headers().firstValue("ETag").orElseThrow());
    assertEquals(RangeDispatcher.CHANGED_ETAG, after.headers().firstValue("ETag").orElseThrow());
  }

  @Test
  void removedFilesRedirectsAndLaterChunkFailuresAnswerWithTheirStatus() throws Exception {
    origin.file("/gone.bin", 1000);
    origin.file("/r.bin", 1000);
    origin.redirect("/moved", origin.uri("/r.bin").toString());
    origin.failLaterChunks("/r.bin", 1);
    origin.remove("/gone.bin");

    HttpResponse<byte[]> moved = done(get("/moved"));
    assertEquals(302, moved.statusCode());
    assertEquals(origin.uri("/r.bin").toString(),
        moved.headers().firstValue("Location").orElseThrow());
    assertEquals(404, done(get("/gone.bin")).statusCode());
    assertEquals(206, done(get("/r.bin", "Range", "bytes=0-99")).statusCode());
    assertEquals(503, done(get("/r.bin", "Range", "bytes=100-199")).statusCode());
    assertEquals(206, done(get("/r.bin", "Range", "bytes=100-199")).statusCode());
  }

  @Test
  void settingsOfAFileNeverAddedAreRefusedByName() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> origin.throttle("/x.bin", 1,
            Duration.ZERO));
    assertTrue(e.getMessage().contains("/x.bin"), e.getMessage());
  }

  @Test
  void maxInFlightCountsTheResponsesOfEveryFile() throws Exception {
    origin.file("/a.bin", 20_000);
    origin.file("/b.bin", 20_000);
    CountDownLatch a = origin.hold("/a.bin");
    CountDownLatch b = origin.hold("/b.bin");

    CompletableFuture<HttpResponse<byte[]>> first = get("/a.bin");
    CompletableFuture<HttpResponse<byte[]>> second = get("/b.bin");
    await(a, "a was not held");
    await(b, "b was not held");
    origin.release("/a.bin");
    origin.release("/b.bin");
    done(first);
    done(second);

    assertEquals(2, origin.maxInFlight());
  }
}
