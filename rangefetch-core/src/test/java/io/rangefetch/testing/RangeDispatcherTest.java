package io.rangefetch.testing;

import static io.rangefetch.testing.RangeDispatcher.anyRequest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fixture itself speaks real HTTP ranges and misbehaves exactly as described, checked with a
 * raw socket client that trusts nothing.
 */
class RangeDispatcherTest {
  private static final byte[] CONTENT = SeededBytes.of(10_000, 12);

  @StartStop private final MockWebServer server = new MockWebServer();
  private RangeDispatcher files;

  @BeforeEach
  void serve() {
    files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
  }

  /** A response as read off the wire. */
  private record Raw(String statusLine, List<String> headers, byte[] body, boolean endOfStream) {
    String header(String name) {
      return headers.stream().filter(h -> h.toLowerCase().startsWith(name.toLowerCase() + ":"))
          .map(h -> h.substring(name.length() + 1).trim()).findFirst().orElse(null);
    }

    int status() {
      return Integer.parseInt(statusLine.split(" ")[1]);
    }
  }

  /** Sends one GET and reads the response by its Content-Length, or until EOF or a timeout. */
  private Raw get(String... requestHeaders) throws IOException {
    try (Socket socket = new Socket(server.getHostName(), server.getPort())) {
      socket.setSoTimeout(1500);
      StringBuilder request = new StringBuilder("GET /file.bin HTTP/1.1\r\nHost: x\r\n");
      for (String h : requestHeaders) {
        request.append(h).append("\r\n");
      }
      socket.getOutputStream().write(request.append("\r\n").toString()
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      String statusLine = line(in);
      List<String> headers = new ArrayList<>();
      for (String h; !(h = line(in)).isEmpty(); ) {
        headers.add(h);
      }
      Raw head = new Raw(statusLine, headers, new byte[0], false);
      String length = head.header("Content-Length");
      boolean chunked = "chunked".equals(head.header("Transfer-Encoding"));
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      boolean eof = false;
      try {
        if (chunked) {
          for (int size; (size = Integer.parseInt(line(in), 16)) > 0; line(in)) {
            body.write(in.readNBytes(size));
          }
          line(in);
        } else if (length != null && !"close".equals(head.header("Connection"))) {
          byte[] buffer = new byte[4096];
          for (int left = Integer.parseInt(length), n; left > 0; left -= n) {
            n = in.read(buffer, 0, Math.min(left, buffer.length));
            if (n < 0) {
              eof = true;
              break;
            }
            body.write(buffer, 0, n);
          }
        } else {
          body.write(in.readAllBytes());
          eof = true;
        }
      } catch (SocketTimeoutException e) {
        eof = false;
      }
      return new Raw(statusLine, headers, body.toByteArray(), eof);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        throw new IOException("end of stream in a line");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void servesAClosedRangeAs206() throws Exception {
    Raw r = get("Range: bytes=100-199");
    assertEquals(206, r.status());
    assertEquals("bytes 100-199/10000", r.header("Content-Range"));
    assertEquals("100", r.header("Content-Length"));
    assertEquals(RangeDispatcher.ETAG, r.header("ETag"));
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 100, 200), r.body());
    assertEquals(100, files.bytesServed());
    assertEquals("bytes=100-199", files.exchanges().get(0).range());
  }

  @Test
  void clampsALastByteBeyondTheEnd() throws Exception {
    Raw r = get("Range: bytes=9990-20000");
    assertEquals("bytes 9990-9999/10000", r.header("Content-Range"));
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 9990, 10000), r.body());
  }

  @Test
  void servesTheWholeBodyWithoutRange() throws Exception {
    Raw r = get();
    assertEquals(200, r.status());
    assertArrayEquals(CONTENT, r.body());
  }

  @Test
  void answersAnUnsatisfiableRangeWith416() throws Exception {
    Raw r = get("Range: bytes=10000-10010");
    assertEquals(416, r.status());
    assertEquals("bytes */10000", r.header("Content-Range"));
  }

  @Test
  void answersAMismatchedIfRangeWithTheWholeBody() throws Exception {
    Raw r = get("Range: bytes=0-9", "If-Range: \"other\"");
    assertEquals(200, r.status());
    assertArrayEquals(CONTENT, r.body());
    Raw same = get("Range: bytes=0-9", "If-Range: " + RangeDispatcher.ETAG);
    assertEquals(206, same.status());
  }

  @Test
  void changesContentAndEtagAfterTheGivenRequests() throws Exception {
    byte[] changed = SeededBytes.of(10_000, 13);
    files.changeContentAfter(1, changed);
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 0, 10), get("Range: bytes=0-9").body());
    Raw second = get("Range: bytes=0-9");
    assertEquals(RangeDispatcher.CHANGED_ETAG, second.header("ETag"));
    assertArrayEquals(Arrays.copyOfRange(changed, 0, 10), second.body());
  }

  @Test
  void disconnectHalfwayDeliversExactlyHalfThenTheEndOfTheStream() throws Exception {
    files.inject(Fault.disconnectHalfway(), anyRequest(), 1);
    Raw cut = get("Range: bytes=0-999");
    assertEquals("1000", cut.header("Content-Length"));
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 0, 500), cut.body());
    assertTrue(cut.endOfStream());
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 0, 1000), get("Range: bytes=0-999").body());
  }

  @Test
  void shortBodyClaimsTheRangeButCarriesHalf() throws Exception {
    files.inject(Fault.shortBody(), anyRequest(), 1);
    Raw r = get("Range: bytes=0-999");
    assertEquals("bytes 0-999/10000", r.header("Content-Range"));
    assertEquals("500", r.header("Content-Length"));
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 0, 500), r.body());
  }

  @Test
  void stallSendsHeadersAndNoBodyUntilTheClientLeaves() throws Exception {
    files.inject(Fault.stall(), anyRequest(), 1);
    Raw r = get("Range: bytes=0-999");
    assertEquals(206, r.status());
    assertEquals(0, r.body().length);
    assertFalse(r.endOfStream(), "the client gave up; the server did not close");
    assertTrue(files.awaitIdle(Duration.ofSeconds(10)), "the stall ends when the client leaves");
  }

  @Test
  void stallHalfwaySendsHalfTheBodyThenNothing() throws Exception {
    files.inject(Fault.stallHalfway(), anyRequest(), 1);
    Raw r = get("Range: bytes=0-999");
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 0, 500), r.body());
    assertFalse(r.endOfStream(), "the client gave up; the server did not close");
    assertTrue(files.awaitIdle(Duration.ofSeconds(10)), "the stall ends when the client leaves");
  }

  @Test
  void shiftedContentRangeLabelsTheBytesItSends() throws Exception {
    files.inject(Fault.shiftedContentRange(1000), anyRequest(), 1);
    Raw r = get("Range: bytes=0-99");
    assertEquals("bytes 1000-1099/10000", r.header("Content-Range"));
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 1000, 1100), r.body());
  }

  @Test
  void statusFaultsComeFirstThenTheFile() throws Exception {
    files.inject(Fault.status(503, "Retry-After: 1"), anyRequest(), 1);
    Raw first = get("Range: bytes=0-9");
    assertEquals(503, first.status());
    assertEquals("1", first.header("Retry-After"));
    assertEquals(206, get("Range: bytes=0-9").status());
  }

  @Test
  void ignoringRangeStillAdvertisesRanges() throws Exception {
    files.ignoreRange();
    Raw r = get("Range: bytes=0-9");
    assertEquals(200, r.status());
    assertEquals("bytes", r.header("Accept-Ranges"));
    assertArrayEquals(CONTENT, r.body());
  }

  @Test
  void chunkedAndCloseDelimitedBodiesCarryTheWholeFile() throws Exception {
    files.ignoreRange().wholeBodyFraming(Framing.CHUNKED);
    Raw chunked = get();
    assertEquals(null, chunked.header("Content-Length"));
    assertArrayEquals(CONTENT, chunked.body());
    files.wholeBodyFraming(Framing.CLOSE_DELIMITED);
    Raw delimited = get();
    assertEquals(null, delimited.header("Content-Length"));
    assertArrayEquals(CONTENT, delimited.body());
  }

  @Test
  void hostileContentLengthsAreSentAsGiven() throws Exception {
    files.contentLengthHeaders("5", "6").fillerHeaders(3000);
    Raw r = get("Range: bytes=0-99");
    assertEquals(List.of("Content-Length: 5", "Content-Length: 6"), r.headers().stream()
        .filter(h -> h.startsWith("Content-Length")).toList());
    assertTrue(r.headers().size() > 3000);
  }

  @Test
  void requiresCredentialsWhenAsked() throws Exception {
    files.requireBasicAuth("user", "secret");
    assertEquals(401, get("Range: bytes=0-9").status());
    assertEquals(206, get("Range: bytes=0-9",
        "Authorization: " + RangeDispatcher.basic("user", "secret")).status());
  }

  @Test
  void redirectsWhereTold() throws Exception {
    files.redirect("/file.bin", 302, "ftp://example.org/x");
    Raw r = get();
    assertEquals(302, r.status());
    assertEquals("ftp://example.org/x", r.header("Location"));
  }

  @Test
  void countsResponsesInFlightAtOnce() throws Exception {
    files.throttle(500, Duration.ofMillis(20));
    CompletableFuture<Raw> one = CompletableFuture.supplyAsync(() -> quietly("bytes=0-4999"));
    CompletableFuture<Raw> two = CompletableFuture.supplyAsync(() -> quietly("bytes=5000-9999"));
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 0, 5000), one.get(10, TimeUnit.SECONDS).body());
    assertArrayEquals(Arrays.copyOfRange(CONTENT, 5000, 10000), two.get(10, TimeUnit.SECONDS).body());
    assertEquals(2, files.maxInFlight());
    assertTrue(files.awaitIdle(Duration.ofSeconds(5)));
    assertEquals(0, files.inFlight());
  }

  @Test
  void fullSpeedEndsTheThrottleOfAResponseAlreadyAskedFor() throws Exception {
    // one byte every 200 ms: the whole body would take more than half an hour
    files.throttle(1, Duration.ofMillis(200));
    CompletableFuture<Raw> whole = CompletableFuture.supplyAsync(() -> quietly("bytes=0-9999"));
    assertTrue(files.awaitRequest(anyRequest(), Duration.ofSeconds(10)) != null);

    files.fullSpeed();

    assertArrayEquals(CONTENT, whole.get(10, TimeUnit.SECONDS).body());
  }

  private Raw quietly(String range) {
    try {
      return get("Range: " + range);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void answersAMultiRangeRequestWhollyAndRecordsItAsNotSingle() throws Exception {
    Raw r = get("Range: bytes=0-9,20-29");
    assertEquals(200, r.status());
    assertEquals(1, files.exchanges().size());
    assertFalse(files.exchanges().get(0).isSingleClosedRange());
  }
}
