package io.rangefetch;

import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Framing;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.RecordingDownloadListener;
import io.rangefetch.testing.RecordingDownloadListener.Event;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ranges are checked with a real ranged GET, never assumed, and the first body is used. */
class ProbeTest {
  private static final byte[] CONTENT = SeededBytes.of(300 * 1024, 1);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;
  private RangeDispatcher files;

  @BeforeEach
  void serveContent() {
    files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
  }

  private URI uri(String path) {
    return server.url(path).uri();
  }

  @Test
  void aProbeOfARequestSendsItsHeadersAsItsDownloadWould() throws Exception {
    // given a request with the cookie its server wants
    DownloadRequest request = DownloadRequest.toFile(uri("/file.bin"), dir.resolve("f"))
        .header("Cookie", "session=abc").build();

    // when only the server is asked
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Probe probe = downloader.probe(request).get(Outcome.PATIENCE.toSeconds(),
          java.util.concurrent.TimeUnit.SECONDS);

      // then the answer is the file's, the cookie went along, and nothing was written
      assertEquals(CONTENT.length, probe.size());
      assertEquals(RangeSupport.SUPPORTED, probe.ranges());
      List<Exchange> asked = files.exchanges();
      assertTrue(asked.stream().allMatch(e -> "session=abc".equals(e.header("Cookie"))),
          asked::toString);
      assertFalse(java.nio.file.Files.exists(dir.resolve("f")));
    }
  }

  @Test
  void fallsBackToOneStreamWhenServerIgnoresRange() throws Exception {
    // given a server that advertises Accept-Ranges but answers every GET with 200
    files.ignoreRange().advertiseRanges(true);
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle download =
          downloader.start(DownloadRequest.newBuilder(uri("/file.bin"), target).build());
      DownloadResult result = Outcome.of(download).completed();

      // then one stream, no HEAD, no more than two GETs, and the right bytes
      assertFalse(result.ranged(), "result.ranged()");
      assertEquals(RangeSupport.NOT_SUPPORTED, download.status().ranges());
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(Sha256.of(CONTENT), result.sha256());
      List<Exchange> requests = files.exchanges();
      assertTrue(requests.stream().noneMatch(e -> e.method().equals("HEAD")), requests::toString);
      assertTrue(requests.size() <= 2, () -> "at most 2 GETs, got " + requests);
    }
  }

  @Test
  void downloadsInParallelWhenServerServesRangesWithoutAdvertisingThem() throws Exception {
    // given a server that sends no Accept-Ranges but does answer 206, slowly enough to overlap
    files.advertiseRanges(false).throttle(8 * 1024, Duration.ofMillis(10));
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadResult result = Outcome.of(downloader.start(
          DownloadRequest.newBuilder(uri("/file.bin"), target).build())).completed();

      // then every chunk is its own ranged request and several ran at once
      assertTrue(result.ranged(), "result.ranged()");
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      int chunks = (CONTENT.length + CHUNK - 1) / CHUNK;
      assertEquals(chunks, files.rangedExchanges().size(), files.exchanges()::toString);
      assertTrue(files.maxInFlight() >= 2, () -> "max in flight " + files.maxInFlight());
    }
  }

  @Test
  void firstRequestIsRangedGetOfFirstChunkAndItsBodyIsNotFetchedTwice() throws Exception {
    // given a well-behaved server
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri("/file.bin"), target).build()))
          .completed();
    }

    // then the first request asks for the first chunk, and no byte is served twice
    Exchange first = files.exchanges().get(0);
    assertEquals("GET", first.method());
    assertEquals("bytes=0-" + (CHUNK - 1), first.range());
    assertEquals(CONTENT.length, files.bytesServed(), files.exchanges()::toString);
    assertEquals(1, files.exchanges().stream().filter(e -> e.first() == 0).count(),
        files.exchanges()::toString);
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void probeReportsWhatTheServerSaidAfterRedirects() throws Exception {
    // given a redirect to a file with a Content-Disposition name
    files.redirect("/go", 302, "/dl/file.bin")
        .contentDisposition("attachment; filename=\"report.pdf\"");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Probe probe = Outcome.of(downloader.probe(uri("/go")), "probe").completed();

      // then
      assertEquals("/dl/file.bin", probe.finalUri().getPath());
      assertEquals(206, probe.statusCode());
      assertEquals(RangeSupport.SUPPORTED, probe.ranges());
      assertEquals(CONTENT.length, probe.size());
      assertEquals(RangeDispatcher.ETAG, probe.etag());
      assertEquals(RangeDispatcher.LAST_MODIFIED, probe.lastModified());
      assertEquals("report.pdf", probe.fileName());
      assertTrue(downloader.active().isEmpty(), "a probe is not a download");
    }
    // and it sent only ranged GETs, and wrote nothing
    assertTrue(files.exchanges().stream().allMatch(e -> e.method().equals("GET")),
        files.exchanges()::toString);
    Exchange atFile = files.exchangesTo("/dl/file.bin").get(0);
    assertTrue(atFile.isSingleClosedRange() && atFile.first() == 0, atFile::toString);
    assertEquals(1, files.exchangesTo("/dl/file.bin").size(), files.exchanges()::toString);
    try (var listing = Files.list(dir)) {
      assertEquals(0, listing.count());
    }
  }

  @Test
  void probeOfServerIgnoringRangeSaysNotSupported() throws Exception {
    // given
    files.ignoreRange();

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Probe probe = Outcome.of(downloader.probe(uri("/file.bin")), "probe").completed();

      // then
      assertEquals(RangeSupport.NOT_SUPPORTED, probe.ranges());
      assertFalse(probe.rangesSupported());
      assertEquals(200, probe.statusCode());
      assertEquals(CONTENT.length, probe.size());
    }
  }

  @Test
  void probeOfChunkedBodyReportsUnknownSize() throws Exception {
    // given a server that ignores Range and sends the body chunked, without a length
    files.ignoreRange().wholeBodyFraming(Framing.CHUNKED);

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Probe probe = Outcome.of(downloader.probe(uri("/file.bin")), "probe").completed();

      // then
      assertEquals(-1, probe.size());
      assertEquals(RangeSupport.NOT_SUPPORTED, probe.ranges());
    }
  }

  @Test
  void downloadsRangedRequestAnsweredWith200AsOneStream() throws Exception {
    // given a server that answers the ranged first request with 200 and the whole body
    files.ignoreRange().advertiseRanges(false);
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadResult result = Outcome.of(downloader.start(
          DownloadRequest.newBuilder(uri("/file.bin"), target).build())).completed();

      // then the body of that 200 is the file: served once
      assertFalse(result.ranged());
      assertEquals(CONTENT.length, result.size());
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(CONTENT.length, files.bytesServed(), files.exchanges()::toString);
    }
  }

  @Test
  void downloadsChunkedBodyWithoutLengthWithProgressAndUnknownSize() throws Exception {
    // given a 200 with a chunked body and no length, slow enough for several progress calls
    files.ignoreRange().wholeBodyFraming(Framing.CHUNKED).throttle(16 * 1024, Duration.ofMillis(20));
    Path target = dir.resolve("file.bin");
    RecordingDownloadListener listener = new RecordingDownloadListener();

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder()
        .progressInterval(Duration.ofMillis(10)).build()) {
      DownloadResult result = Outcome.of(downloader.start(DownloadRequest
          .newBuilder(uri("/file.bin"), target).listener(listener).build())).completed();
      listener.awaitTerminal(Outcome.PATIENCE);

      // then the file is right, and progress came with an unknown size until the end
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(CONTENT.length, result.size());
      assertEquals(-1, listener.await("probeEnd", Duration.ZERO).probe().size());
      List<DownloadStatus> progress =
          listener.named("progress").stream().map(Event::status).toList();
      assertFalse(progress.isEmpty(), "no progress reported");
      assertTrue(progress.stream().filter(s -> s.bytesDone() < CONTENT.length)
          .allMatch(s -> s.size() == -1), progress::toString);
      assertTrue(progress.stream().anyMatch(s -> s.bytesDone() > 0 && s.bytesDone() < CONTENT.length),
          () -> "no progress while the body was streaming: " + progress);
      assertEquals(CONTENT.length, progress.get(progress.size() - 1).bytesDone());
    }
  }

  @Test
  void probeOfAMissingFileFailsWithTheStatus() {
    // given
    files.always(Fault.status(404), RangeDispatcher.anyRequest());

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Throwable failure = Outcome.of(downloader.probe(uri("/file.bin")), "probe").failure();

      // then
      assertTrue(failure instanceof DownloadException, () -> "not a DownloadException: " + failure);
      DownloadException exception = (DownloadException) failure;
      assertEquals(DownloadException.Reason.HTTP_STATUS, exception.reason());
      assertEquals(404, exception.statusCode());
      assertEquals(1, files.exchanges().size(), files.exchanges()::toString);
    }
  }

  @Test
  void probeRefusesARedirectToAnotherScheme() {
    // given
    files.redirect("/go", 302, "file:///etc/passwd");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Throwable failure = Outcome.of(downloader.probe(uri("/go")), "probe").failure();

      // then
      assertTrue(failure instanceof DownloadException, () -> "not a DownloadException: " + failure);
      assertEquals(DownloadException.Reason.REDIRECT, ((DownloadException) failure).reason());
    }
  }

  @Test
  void firstResponseWithAnotherRangeThanAskedIsReadAsOneStream() throws Exception {
    // given the first request is answered with bytes 1000 further on, labelled so
    files.always(Fault.shiftedContentRange(1000), RangeDispatcher.rangeStartingAt(0));
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle download =
          downloader.start(DownloadRequest.newBuilder(uri("/file.bin"), target).build());
      DownloadResult result = Outcome.of(download).completed();

      // then ranges are not trusted, and the file is right
      assertFalse(result.ranged(), "result.ranged()");
      assertEquals(RangeSupport.NOT_SUPPORTED, download.status().ranges());
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    }
  }
}
