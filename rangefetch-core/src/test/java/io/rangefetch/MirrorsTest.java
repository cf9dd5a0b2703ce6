package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.FlightGauge;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.RecordingDownloadListener;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several URLs of one file: mirrors checked before use and spread over, dropped when they fail
 * or lie; a URL refreshed after a 403; a URL replaced on the handle.
 */
class MirrorsTest {
  private static final int THREADS = TestDownloaders.THREADS;
  private static final int CHUNK = TestDownloaders.CHUNK;
  private static final byte[] CONTENT = SeededBytes.of(40 * CHUNK + 321, 77);

  @StartStop private final MockWebServer first = new MockWebServer();
  @StartStop private final MockWebServer second = new MockWebServer();
  @TempDir Path dir;
  private final RecordingDownloadListener listener = new RecordingDownloadListener();
  private final FlightGauge gauge = new FlightGauge();

  private RangeDispatcher serve(MockWebServer server, byte[] content) {
    RangeDispatcher files = new RangeDispatcher(content).shareFlightGauge(gauge);
    server.setDispatcher(files);
    return files;
  }

  private static URI at(MockWebServer server, String path) {
    return server.url(path).uri();
  }

  private static RangeDownloader downloader() {
    return TestDownloaders.newBuilder().readTimeout(Duration.ofSeconds(10)).build();
  }

  private static void assertCapsHeld(RangeDispatcher files) {
    for (Exchange e : files.rangedExchanges()) {
      assertTrue(e.isSingleClosedRange() && e.last() - e.first() + 1 <= CHUNK,
          () -> "above the chunk cap: " + e);
    }
  }

  private static long servedBy(RangeDispatcher files) {
    return files.rangedExchanges().size();
  }

  @Test
  void fasterMirrorServesMoreAndTheCapsHoldOverBoth() throws Exception {
    // given a slow first URL (about 160 KB/s per response) and a fast mirror of the same file
    RangeDispatcher slow = serve(first, CONTENT).throttle(8 * 1024, Duration.ofMillis(50));
    RangeDispatcher fast = serve(second, CONTENT);
    Path target = dir.resolve("file.bin");

    // when downloaded from both
    DownloadStatus last;
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target)
          .mirror(at(second, "/mirror/file.bin")).listener(listener).build());
      Outcome.of(download).completed();
      last = download.status();
    }

    // then the file is right, the mirror served more requests, and the caps held together
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertTrue(servedBy(fast) > servedBy(slow),
        () -> "fast mirror " + servedBy(fast) + " requests, slow URL " + servedBy(slow));
    assertTrue(gauge.max() <= THREADS, () -> "in flight over both: " + gauge.max());
    assertCapsHeld(slow);
    assertCapsHeld(fast);
    List<SourceStatus> sources = last.sources();
    assertEquals(2, sources.size());
    assertEquals(at(first, "/file.bin"), sources.get(0).uri());
    assertEquals(SourceStatus.State.ACTIVE, sources.get(1).state());
    assertEquals(CONTENT.length, sources.get(0).bytes() + sources.get(1).bytes());
    assertTrue(sources.get(1).bytes() > sources.get(0).bytes(), sources::toString);
  }

  @Test
  void mirrorThatLiesAboutItsLengthIsDroppedWithANoteAndNeverUsed() throws Exception {
    // given a mirror whose file is longer than the first URL's
    serve(first, CONTENT).throttle(16 * 1024, Duration.ofMillis(10));
    byte[] longer = SeededBytes.of(CONTENT.length + 1000, 77);
    RangeDispatcher liar = serve(second, longer);
    Path target = dir.resolve("file.bin");

    // when downloaded with it
    DownloadStatus last;
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target)
          .mirrors(List.of(at(second, "/file.bin"))).listener(listener).build());
      Outcome.of(download).completed();
      last = download.status();
    }

    // then the file is the first URL's, and the mirror was asked only for its first byte
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertEquals(1, liar.exchanges().size(), () -> liar.exchanges().toString());
    SourceStatus mirror = last.sources().get(1);
    assertEquals(SourceStatus.State.DROPPED, mirror.state());
    assertTrue(mirror.note().contains((CONTENT.length + 1000) + " bytes, not " + CONTENT.length),
        mirror.note());
    assertEquals(0, mirror.bytes());
    assertTrue(listener.named("sourceChanged").stream()
        .anyMatch(e -> ((SourceStatus) e.args().get(0)).state() == SourceStatus.State.DROPPED),
        () -> listener.names().toString());
  }

  @Test
  void mirrorFailingMidRunIsDroppedAndTheOthersFinish() throws Exception {
    // given a slow first URL, and a fast mirror that answers 404 from its sixth request on
    serve(first, CONTENT).throttle(8 * 1024, Duration.ofMillis(30));
    RangeDispatcher failing = serve(second, CONTENT)
        .always(Fault.status(404), e -> e.index() > 5);
    Path target = dir.resolve("file.bin");

    // when downloaded from both
    DownloadStatus last;
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target)
          .mirror(at(second, "/file.bin")).listener(listener).build());
      Outcome.of(download).completed();
      last = download.status();
    }

    // then the file is complete, and the mirror was dropped with the status it gave
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertTrue(failing.exchanges().size() > 5, () -> failing.exchanges().toString());
    SourceStatus mirror = last.sources().get(1);
    assertEquals(SourceStatus.State.DROPPED, mirror.state());
    assertTrue(mirror.note().contains("404"), mirror.note());
    assertEquals(CONTENT.length, last.sources().get(0).bytes() + mirror.bytes());
  }

  @Test
  void refresherGivesAFreshUrlAfter403AndTheBytesAreKept() throws Exception {
    // given a signed link that answers 403 from its fifth request on, and a fresh link
    RangeDispatcher files = serve(first, CONTENT)
        .always(Fault.status(403), e -> e.path().startsWith("/signed") && e.index() > 4);
    Path target = dir.resolve("file.bin");
    URI fresh = at(first, "/fresh/file.bin");
    List<URI> expired = new CopyOnWriteArrayList<>();

    // when downloaded with a refresher
    DownloadStatus last;
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/signed/file.bin?sig=1"), target)
          .urlRefresher((d, uri, code) -> {
            expired.add(uri);
            return code == 403 ? Optional.of(fresh) : Optional.empty();
          })
          .listener(listener).build());
      Outcome.of(download).completed();
      last = download.status();
    }

    // then the file is right, the fresh link served the rest, and no byte was fetched twice
    // over: the bodies sent add up to the file, plus the fresh link's one-byte check
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertEquals(List.of(at(first, "/signed/file.bin?sig=1")), expired);
    assertTrue(!files.exchangesTo("/fresh/file.bin").isEmpty(), () -> files.exchanges().toString());
    assertTrue(files.bytesServed() <= CONTENT.length + 1 + (long) THREADS * CHUNK,
        () -> files.bytesServed() + " bytes served for a file of " + CONTENT.length);
    SourceStatus source = last.sources().get(0);
    assertEquals(fresh, source.uri());
    assertTrue(source.note().contains("refreshed after a 403"), source.note());
  }

  @Test
  void withoutRefresherA403FailsTheDownload() throws Exception {
    // given a signed link that answers 403 from its fifth request on, and no refresher
    serve(first, CONTENT).always(Fault.status(403), e -> e.index() > 4);
    Path target = dir.resolve("file.bin");

    // when downloaded
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/signed/file.bin"), target).build());
      Outcome<DownloadResult> outcome = Outcome.of(download);

      // then it fails with the status
      assertEquals(DownloadException.Reason.HTTP_STATUS,
          ((DownloadException) outcome.failure()).reason());
    }
  }

  @Test
  void newUrlOfTheSameFileOnAPausedDownloadKeepsItsBytes() throws Exception {
    // given a paused download that has some chunks
    RangeDispatcher old = serve(first, CONTENT).throttle(8 * 1024, Duration.ofMillis(20));
    RangeDispatcher moved = serve(second, CONTENT);
    Path target = dir.resolve("file.bin");
    DownloadStatus last;
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target).listener(listener).build());
      listener.await("chunkEnd", Outcome.PATIENCE);
      download.pause();
      listener.await("downloadPaused", Outcome.PATIENCE);
      assertTrue(old.awaitIdle(Outcome.PATIENCE));
      long before = download.status().bytesDone();

      // when its URL is replaced and it resumes
      download.replaceUri(at(second, "/moved/file.bin"));
      download.resume();
      Outcome.of(download).completed();
      last = download.status();

      // then the new URL served only what was missing
      assertTrue(moved.bytesServed() <= CONTENT.length - before + 1,
          () -> moved.bytesServed() + " bytes served after " + before + " were kept");
    }
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    SourceStatus main = last.sources().get(0);
    assertEquals(at(second, "/moved/file.bin"), main.uri());
    assertTrue(main.note().contains("bytes already fetched are kept"), main.note());
  }

  @Test
  void aRunningDownloadGivenANewUrlMayKeepItsOldOneAsAMirror() throws Exception {
    // given a running download
    serve(first, CONTENT).throttle(8 * 1024, Duration.ofMillis(20));
    serve(second, CONTENT);
    Path target = dir.resolve("file.bin");
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target).listener(listener).build());
      listener.await("chunkEnd", Outcome.PATIENCE);

      // when given a new URL and, at once, its old one as a mirror (aria2's changeUri at
      // position 0 does this), before the workers take the new URL
      download.replaceUri(at(second, "/file.bin"));
      download.replaceMirrors(List.of(at(first, "/file.bin")));

      // then both are taken, and the file is right
      Outcome.of(download).completed();
    }
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void newUrlOfAnotherFileStartsOverAndSaysWhy() throws Exception {
    // given a paused download
    serve(first, CONTENT).throttle(8 * 1024, Duration.ofMillis(20));
    byte[] other = SeededBytes.of(CONTENT.length - 5000, 78);
    serve(second, other);
    Path target = dir.resolve("file.bin");
    DownloadStatus last;
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target).listener(listener).build());
      listener.await("chunkEnd", Outcome.PATIENCE);
      download.pause();
      listener.await("downloadPaused", Outcome.PATIENCE);

      // when its URL is replaced by one of another file, and it resumes
      download.replaceUri(at(second, "/other.bin"));
      download.resume();
      Outcome.of(download).completed();
      last = download.status();
    }

    // then the file is the new URL's, and the status says why it started over
    assertEquals(Sha256.of(other), Sha256.of(target));
    String note = last.sources().get(0).note();
    assertTrue(note.contains("serves another file") && note.contains("started over"), note);
  }

  @Test
  void newUrlOnARunningDownloadTakesTheNextRequests() throws Exception {
    // given a running download
    serve(first, CONTENT).throttle(8 * 1024, Duration.ofMillis(20));
    RangeDispatcher moved = serve(second, CONTENT);
    Path target = dir.resolve("file.bin");
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target).listener(listener).build());
      listener.await("chunkEnd", Outcome.PATIENCE);

      // when its URL is replaced
      download.replaceUri(at(second, "/file.bin"));
      Outcome.of(download).completed();
    }

    // then the new URL served the rest, and nothing twice
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertTrue(moved.rangedExchanges().size() > 1, () -> moved.exchanges().toString());
    assertTrue(moved.bytesServed() < CONTENT.length, () -> moved.bytesServed() + " bytes");
  }

  @Test
  void mirrorAddedToARunningDownloadIsCheckedAndUsed() throws Exception {
    // given a running download from a slow URL, without mirrors
    serve(first, CONTENT).throttle(8 * 1024, Duration.ofMillis(30));
    RangeDispatcher added = serve(second, CONTENT);
    Path target = dir.resolve("file.bin");
    DownloadStatus last;
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target).listener(listener).build());
      listener.await("chunkEnd", Outcome.PATIENCE);

      // when a mirror is added
      download.replaceMirrors(List.of(at(second, "/file.bin")));
      Outcome.of(download).completed();
      last = download.status();
    }

    // then it was checked, and served part of the file
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertTrue(added.rangedExchanges().size() > 1, () -> added.exchanges().toString());
    assertEquals(SourceStatus.State.ACTIVE, last.sources().get(1).state());
    assertTrue(last.sources().get(1).bytes() > 0, last.sources()::toString);
  }

  @Test
  void perHostCapHoldsOverTheSourcesOfOneHost() throws Exception {
    // given a URL and a mirror on one host, which allows 2 connections, and 4 threads
    RangeDispatcher files = serve(first, CONTENT).throttle(16 * 1024, Duration.ofMillis(5));
    RangeDispatcher other = serve(second, CONTENT);
    Path target = dir.resolve("file.bin");
    DownloadStatus last;
    try (RangeDownloader downloader = TestDownloaders.newBuilder()
        .limits(TestDownloaders.smallLimits().toBuilder().maxConnectionsPerHost(2).build())
        .readTimeout(Duration.ofSeconds(10)).build()) {
      // when downloaded from both paths of the first host and from a second host
      DownloadHandle download = downloader.start(DownloadRequest
          .newBuilder(at(first, "/file.bin"), target)
          .mirrors(List.of(at(first, "/mirror/file.bin"), at(second, "/file.bin"))).build());
      Outcome.of(download).completed();
      last = download.status();
    }

    // then the first host never had more than 2 responses at once, and all 3 sources served
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertTrue(files.maxInFlight() <= 2, () -> "in flight on one host: " + files.maxInFlight());
    assertTrue(gauge.max() <= THREADS, () -> "in flight over both hosts: " + gauge.max());
    assertTrue(!files.exchangesTo("/mirror/file.bin").isEmpty(), files.exchanges()::toString);
    assertTrue(!other.rangedExchanges().isEmpty());
    assertEquals(SourceStatus.State.ACTIVE, last.sources().get(1).state());
  }

  @Test
  void mirrorAndNewUrlAreChecked() {
    DownloadRequest.Builder builder = DownloadRequest.newBuilder(at(first, "/a"), dir);
    assertThrows(IllegalArgumentException.class, () -> builder.mirror(URI.create("ftp://h/a")));
    assertThrows(IllegalArgumentException.class, () -> builder.mirror(at(first, "/a")));
  }
}
