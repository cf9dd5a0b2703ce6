package io.rangefetch;

import static io.rangefetch.testing.RangeDispatcher.anyRequest;
import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Framing;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;

/**
 * Hostile framing and headers end in the right file or a clear {@link DownloadException}, and
 * never hang (every wait is bounded by {@link Outcome#PATIENCE}). Credentials never leak.
 */
class HostileServerTest extends ServedFileTest {
  private static final byte[] CONTENT = SeededBytes.of(200 * 1024, 7);
  private static final long TEN_TO_THE_FIFTEEN = 1_000_000_000_000_000L;

  private Path target() {
    return dir.resolve("file.bin");
  }

  private Outcome<DownloadResult> download(RangeDownloader.Builder builder, URI uri) {
    try (RangeDownloader downloader = builder.build()) {
      return Outcome.of(downloader.start(DownloadRequest.newBuilder(uri, target()).build()));
    }
  }

  private Outcome<DownloadResult> download() {
    return download(TestDownloaders.newBuilder(), uri());
  }

  /**
   * A success must be the right file. A failure must say SERVER_MISBEHAVED, which the Reason
   * javadoc promises for "a bad length, malformed headers", and leave no file under the name.
   */
  private void assertRightFileOrClearFailure(Outcome<DownloadResult> outcome) {
    if (outcome.succeeded()) {
      assertEquals(Sha256.of(CONTENT), Sha256.of(target()), "the file has wrong bytes");
      assertEquals(Sha256.of(CONTENT), outcome.result().sha256());
    } else {
      DownloadException failure = outcome.failed();
      assertEquals(Reason.SERVER_MISBEHAVED, failure.reason(), failure::getMessage);
      assertFalse(Files.exists(target()), "a failed download left a file under the final name");
    }
  }

  @Test
  void duplicateDifferingContentLengthEndsInTheRightFileOrServerMisbehaved() {
    serve(CONTENT).contentLengthHeaders(String.valueOf(CHUNK), String.valueOf(CHUNK - 1));
    assertRightFileOrClearFailure(download());
  }

  @Test
  void negativeContentLengthEndsInTheRightFileOrServerMisbehaved() {
    serve(CONTENT).contentLengthHeaders("-5");
    assertRightFileOrClearFailure(download());
  }

  @Test
  void nonNumericContentLengthEndsInTheRightFileOrServerMisbehaved() {
    serve(CONTENT).contentLengthHeaders("abc");
    assertRightFileOrClearFailure(download());
  }

  @Test
  void contentLengthOfTenToTheFifteenIsTooLarge() throws Exception {
    // given a 200 that announces 10^15 bytes, under the default ceiling of 1 TiB
    serve(CONTENT).ignoreRange().contentLengthHeaders(String.valueOf(TEN_TO_THE_FIFTEEN));

    // when
    DownloadException failure = download().failed();

    // then
    assertEquals(Reason.TOO_LARGE, failure.reason(), failure::getMessage);
    assertDirectoryEmpty();
  }

  @Test
  void contentRangeTotalOfTenToTheFifteenIsTooLarge() throws Exception {
    // given a 206 whose Content-Range claims a total of 10^15 bytes
    serve(CONTENT).announceTotal(TEN_TO_THE_FIFTEEN);

    // when
    DownloadException failure = download().failed();

    // then
    assertEquals(Reason.TOO_LARGE, failure.reason(), failure::getMessage);
    assertDirectoryEmpty();
  }

  @Test
  void fiveThousandResponseHeadersEndInTheRightFileOrServerMisbehaved() {
    serve(CONTENT).fillerHeaders(5000);
    assertRightFileOrClearFailure(download());
  }

  @Test
  void zeroLengthFileBecomesAnEmptyFile() throws Exception {
    // given an empty file: the first ranged GET is unsatisfiable, 416 bytes */0
    RangeDispatcher files = serve(new byte[0]);

    // when
    DownloadResult result = download().completed();

    // then
    assertEquals(416, files.exchanges().get(0).status());
    assertEquals(0, result.size());
    assertEquals(Sha256.EMPTY, result.sha256());
    assertTrue(Files.isRegularFile(target()));
    assertEquals(0, Files.size(target()));
  }

  @Test
  void zeroLengthFileFromServerIgnoringRangeBecomesAnEmptyFile() throws Exception {
    // given
    serve(new byte[0]).ignoreRange();

    // when
    DownloadResult result = download().completed();

    // then
    assertEquals(Sha256.EMPTY, result.sha256());
    assertEquals(0, Files.size(target()));
  }

  @Test
  void chunkedBodyEndsInTheRightFile() {
    serve(CONTENT).ignoreRange().wholeBodyFraming(Framing.CHUNKED);
    Outcome<DownloadResult> outcome = download();
    assertEquals(Sha256.of(CONTENT), outcome.completed().sha256());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target()));
  }

  @Test
  void closeDelimitedBodyEndsInTheRightFile() {
    serve(CONTENT).ignoreRange().wholeBodyFraming(Framing.CLOSE_DELIMITED);
    Outcome<DownloadResult> outcome = download();
    assertEquals(Sha256.of(CONTENT), outcome.completed().sha256());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target()));
  }

  @Test
  void credentialsInTheUrlAreSentAsBasicAuthAndNeverShown() throws Exception {
    // given a server that wants user:secret
    RangeDispatcher files = serve(CONTENT).requireBasicAuth("user", "secret");
    URI uri = URI.create("http://user:secret@" + server.getHostName() + ":" + server.getPort()
        + "/file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadRequest request = DownloadRequest.newBuilder(uri, target()).build();
      DownloadHandle download = downloader.start(request);
      DownloadResult result = Outcome.of(download).completed();

      // then every answered request carried the credentials, and nothing shows them
      List<Exchange> served = files.exchanges().stream().filter(e -> e.status() != 401).toList();
      assertTrue(served.size() > 1, files.exchanges()::toString);
      for (Exchange e : served) {
        assertEquals(RangeDispatcher.basic("user", "secret"), e.authorization(), e::toString);
      }
      assertEquals(Sha256.of(CONTENT), Sha256.of(target()));
      assertFalse(request.toString().contains("secret"), request::toString);
      assertFalse(download.uri().toString().contains("secret"), download.uri()::toString);
      assertFalse(download.status().finalUri().toString().contains("secret"));
      assertFalse(result.finalUri().toString().contains("secret"), result::toString);
      assertFalse(result.toString().contains("secret"), result::toString);
    }
  }

  @Test
  void credentialsNeverAppearInFailures() {
    // given a server that answers 404
    serve(CONTENT).always(Fault.status(404), anyRequest());
    URI uri = URI.create("http://user:secret@" + server.getHostName() + ":" + server.getPort()
        + "/file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle download = downloader.start(DownloadRequest.newBuilder(uri, target()).build());
      DownloadException failure = Outcome.of(download).failed();

      // then neither the exception (nor its causes) nor the status show the password
      List<String> texts = new ArrayList<>();
      for (Throwable t = failure; t != null; t = t.getCause()) {
        texts.add(String.valueOf(t));
        texts.add(String.valueOf(t.getMessage()));
      }
      texts.add(failure.uri().toString());
      texts.add(download.status().toString());
      for (String text : texts) {
        assertFalse(text.contains("secret"), text);
      }
    }
  }

  @Test
  void credentialsAreNotSentToAnotherHostAfterARedirect() throws Exception {
    // given a server that wants user:secret and redirects to another host, 127.0.0.2
    try (MockWebServer other = new MockWebServer()) {
      other.start(InetAddress.getByName("127.0.0.2"), 0);
      RangeDispatcher elsewhere = new RangeDispatcher(CONTENT);
      other.setDispatcher(elsewhere);
      serve(CONTENT).requireBasicAuth("user", "secret")
          .redirect("/file.bin", 302, "http://127.0.0.2:" + other.getPort() + "/file.bin");
      URI uri = URI.create("http://user:secret@" + server.getHostName() + ":" + server.getPort()
          + "/file.bin");

      // when
      download(TestDownloaders.newBuilder(), uri).completed();

      // then the other host got the file requests, and never the credentials
      assertTrue(elsewhere.exchanges().size() > 1, elsewhere.exchanges()::toString);
      for (Exchange e : elsewhere.exchanges()) {
        assertEquals("", e.authorization(), e::toString);
      }
      assertEquals(Sha256.of(CONTENT), Sha256.of(target()));
    }
  }

  @Test
  void credentialsNeverAppearInTheLog() throws Exception {
    // given a download with credentials that retries once and then fails, logging as it goes
    serve(CONTENT).inject(Fault.disconnectHalfway(), anyRequest(), 1)
        .always(Fault.status(404), RangeDispatcher.rangeStartingWithin(1, CONTENT.length));
    URI uri = URI.create("http://user:secret@" + server.getHostName() + ":" + server.getPort()
        + "/file.bin");
    PrintStream original = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    // when the log (slf4j-simple writes to System.err) is captured
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try {
      download(TestDownloaders.newBuilder(), uri).failed();
    } finally {
      System.setErr(original);
    }

    // then something was logged about it, and never the password
    String text = log.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("/file.bin"), () -> "nothing logged about the download: " + text);
    assertFalse(text.contains("secret"), text);
  }

  @Test
  void contentLengthBeyondALongEndsInTheRightFileOrServerMisbehaved() {
    serve(CONTENT).ignoreRange().contentLengthHeaders("99999999999999999999999");
    assertRightFileOrClearFailure(download());
  }

  @Test
  void contentRangeWithNegativeNumbersEndsInTheRightFileOrServerMisbehaved() {
    // given every 206 labelled with a negative total
    serve(CONTENT).announceTotal(-5);
    assertRightFileOrClearFailure(download());
  }

  @Test
  void callersAuthorizationAndCookieAreNotSentToAnotherHostAfterARedirect() throws Exception {
    // given a server that redirects to another host, 127.0.0.2
    try (MockWebServer other = new MockWebServer()) {
      other.start(InetAddress.getByName("127.0.0.2"), 0);
      RangeDispatcher elsewhere = new RangeDispatcher(CONTENT);
      other.setDispatcher(elsewhere);
      serve(CONTENT).redirect("/file.bin", 302,
          "http://127.0.0.2:" + other.getPort() + "/file.bin");

      // when the caller adds a token and a cookie meant for the first host
      try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
        Outcome.of(downloader.start(DownloadRequest
            .newBuilder(uri(), target())
            .header("Authorization", "Bearer token-for-the-first-host")
            .header("Cookie", "session=for-the-first-host")
            .header("X-Trace", "42")
            .build())).completed();
      }

      // then the other host gets neither, as curl and browsers do, but gets the harmless header
      assertTrue(elsewhere.exchanges().size() > 1, elsewhere.exchanges()::toString);
      for (Exchange e : elsewhere.exchanges()) {
        assertEquals("", e.authorization(), e::toString);
        assertEquals("", e.header("Cookie"), e::toString);
        assertEquals("42", e.header("X-Trace"), e::toString);
      }
      assertEquals(Sha256.of(CONTENT), Sha256.of(target()));
    }
  }

  @Test
  void aCookieOneServerSetsIsNeverSentByTheDownloaderItself() throws Exception {
    // given a server that sets a cookie on every response (a server shared by many users'
    // downloads must not carry one user's cookie into another's requests)
    RangeDispatcher files = serve(CONTENT).setCookie("session=secret; Path=/");

    // when one downloader fetches the file twice, in several ranges each time
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri(), target()).build()))
          .completed();
      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri(), dir.resolve("again.bin"))
          .build())).completed();
    }

    // then no request carried it back: cookies are the caller's, sent only as headers it adds
    assertTrue(files.exchanges().size() > 2, files.exchanges()::toString);
    for (Exchange e : files.exchanges()) {
      assertEquals("", e.header("Cookie"), e::toString);
    }
    assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve("again.bin")));
  }
}
