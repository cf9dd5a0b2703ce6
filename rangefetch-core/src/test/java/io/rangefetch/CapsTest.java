package io.rangefetch;

import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static io.rangefetch.testing.TestDownloaders.THREADS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.RecordingDownloadListener;
import io.rangefetch.testing.RecordingDownloadListener.Event;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parallel and capped, asserted from the server's side; one file written in place. */
class CapsTest extends ServedFileTest {
  private static final byte[] CONTENT = SeededBytes.of(640 * 1024 + 123, 2);

  private DownloadHandle start(RangeDownloader downloader, DownloadRequest.Builder request) {
    return downloader.start(request.build());
  }

  @Test
  void everyRangeIsOneClosedRangeWithinTheChunkCapAndTheRangesTileTheFile() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT);
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), target))).completed();
    }

    // then each request is bytes=a-b with b-a+1 <= cap, and together they cover each byte once
    List<Exchange> ranged = files.rangedExchanges();
    assertEquals(files.exchanges().size(), ranged.size(), "every request is ranged");
    for (Exchange e : ranged) {
      assertTrue(e.isSingleClosedRange(), () -> "not one closed range: " + e);
      assertTrue(e.last() - e.first() + 1 <= CHUNK, () -> "above the chunk cap: " + e);
    }
    List<Exchange> sorted = ranged.stream().sorted(Comparator.comparingLong(Exchange::first)).toList();
    long next = 0;
    for (Exchange e : sorted) {
      assertEquals(next, e.first(), () -> "gap or overlap at " + e + " in " + sorted);
      next = e.last() + 1;
    }
    assertEquals(CONTENT.length, next, () -> "ranges end early: " + sorted);
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void requestsInFlightNeverExceedTheThreadCap() throws Exception {
    // given a server slow enough that requests overlap
    RangeDispatcher files = serve(CONTENT).throttle(8 * 1024, Duration.ofMillis(10));
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), target))).completed();
    }

    // then
    assertTrue(files.maxInFlight() <= THREADS, () -> "max in flight " + files.maxInFlight());
    assertTrue(files.maxInFlight() >= 2, () -> "not parallel: " + files.maxInFlight());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void requestForFewerThreadsThanTheCapGetsFewer() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT).throttle(8 * 1024, Duration.ofMillis(10));
    Path target = dir.resolve("file.bin");

    // when the request asks for 2 threads under a cap of 4
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle download =
          start(downloader, DownloadRequest.newBuilder(uri(), target).threads(2));
      Outcome.of(download).completed();

      // then
      assertEquals(2, download.status().maxThreads());
    }
    assertTrue(files.maxInFlight() <= 2, () -> "max in flight " + files.maxInFlight());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void requestAboveTheCapsGetsTheCaps() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT).throttle(8 * 1024, Duration.ofMillis(10));
    Path target = dir.resolve("file.bin");

    // when the request asks for 50 threads and 10 MiB chunks under caps of 4 and 64 KiB
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle download = start(downloader,
          DownloadRequest.newBuilder(uri(), target).threads(50).chunkBytes(10L << 20));
      Outcome.of(download).completed();

      // then the status shows the caps, and the server saw them kept
      assertEquals(THREADS, download.status().maxThreads());
      assertEquals(CHUNK, download.status().chunkBytes());
    }
    assertTrue(files.maxInFlight() <= THREADS, () -> "max in flight " + files.maxInFlight());
    assertTrue(files.rangedExchanges().stream().allMatch(e -> e.last() - e.first() + 1 <= CHUNK),
        files.exchanges()::toString);
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void requestForSmallerChunksGetsSmallerRanges() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT);
    Path target = dir.resolve("file.bin");
    int small = 16 * 1024;

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle download =
          start(downloader, DownloadRequest.newBuilder(uri(), target).chunkBytes(small));
      Outcome.of(download).completed();
      assertEquals(small, download.status().chunkBytes());
    }

    // then
    assertEquals((CONTENT.length + small - 1) / small, files.rangedExchanges().size());
    assertTrue(files.rangedExchanges().stream().allMatch(e -> e.last() - e.first() + 1 <= small),
        files.exchanges()::toString);
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void fileSmallerThanTheChunkIsExactlyOneRequest() throws Exception {
    // given
    byte[] small = SeededBytes.of(10 * 1024, 3);
    RangeDispatcher files = serve(small);
    Path target = dir.resolve("small.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), target))).completed();
    }

    // then
    assertEquals(1, files.exchanges().size(), files.exchanges()::toString);
    assertEquals(small.length, files.bytesServed());
    assertEquals(Sha256.of(small), Sha256.of(target));
  }

  @Test
  void rangedRequestsAskForIdentityEncoding() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT);

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("f"))))
          .completed();
    }

    // then
    assertTrue(files.rangedExchanges().size() > 1);
    for (Exchange e : files.rangedExchanges()) {
      assertTrue(e.acceptEncoding().equalsIgnoreCase("identity"), () -> "Accept-Encoding of " + e
          + ": " + e.acceptEncoding());
    }
  }

  @Test
  void successLeavesOnlyTheFinalFileWithItsRealDigest() throws Exception {
    // given
    serve(CONTENT);
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle download = start(downloader, DownloadRequest.newBuilder(uri(), target));
      DownloadResult result = Outcome.of(download).completed();

      // then no .part or other temp file remains, and the result tells the truth
      try (var listing = Files.list(dir)) {
        assertEquals(List.of(target.getFileName().toString()),
            listing.map(p -> p.getFileName().toString()).toList());
      }
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(Sha256.of(CONTENT), result.sha256());
      assertEquals(CONTENT.length, result.size());
      assertEquals(target.toAbsolutePath(), result.file());
      assertEquals(DownloadState.COMPLETED, download.status().state());
      assertEquals(CONTENT.length, download.status().bytesDone());
    }
  }

  @Test
  void downloadsAboveMaxConcurrentDownloadsWaitQueued() throws Exception {
    // given one download slot and a slow server
    RangeDispatcher files = serve(CONTENT).throttle(16 * 1024, Duration.ofMillis(10));
    Limits oneAtATime = TestDownloaders.smallLimits().toBuilder().maxConcurrentDownloads(1).build();

    // when two downloads start
    try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(oneAtATime).build()) {
      DownloadHandle first = downloader.start(
          DownloadRequest.newBuilder(server.url("/a.bin").uri(), dir.resolve("a.bin")).build());
      DownloadHandle second = downloader.start(
          DownloadRequest.newBuilder(server.url("/b.bin").uri(), dir.resolve("b.bin")).build());

      // then the second waits, knowing nothing yet, and asks nothing until the first is done
      DownloadStatus waiting = second.status();
      assertEquals(DownloadState.QUEUED, waiting.state());
      assertEquals(-1, waiting.size());
      assertEquals(RangeSupport.UNKNOWN, waiting.ranges());
      assertEquals(server.url("/b.bin").uri(), waiting.finalUri());
      Outcome.of(first).completed();
      Outcome.of(second).completed();
    }
    List<Exchange> requests = files.exchanges();
    int lastOfFirst = requests.stream().filter(e -> e.path().equals("/a.bin"))
        .mapToInt(Exchange::index).max().orElseThrow();
    int firstOfSecond = requests.stream().filter(e -> e.path().equals("/b.bin"))
        .mapToInt(Exchange::index).min().orElseThrow();
    assertTrue(firstOfSecond > lastOfFirst, requests::toString);
    assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve("a.bin")));
    assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve("b.bin")));
  }

  @Test
  void reorderQueueChangesTheOrderInWhichWaitingDownloadsStart() throws Exception {
    // given one download slot, a slow first download and three waiting behind it
    RangeDispatcher files = serve(CONTENT).throttle(16 * 1024, Duration.ofMillis(10));
    Limits oneAtATime = TestDownloaders.smallLimits().toBuilder().maxConcurrentDownloads(1).build();
    List<String> order = List.of("/a.bin", "/b.bin", "/c.bin", "/d.bin");

    try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(oneAtATime).build()) {
      List<DownloadHandle> handles = new java.util.ArrayList<>();
      for (String path : order) {
        handles.add(downloader.start(DownloadRequest.newBuilder(server.url(path).uri(),
            dir.resolve(path.substring(1))).build()));
      }

      // when d and c are moved to the front (a runs, b is skipped: it keeps its place behind)
      downloader.reorderQueue(List.of(handles.get(3), handles.get(0), handles.get(2)));

      // then they start in that order after a, and every file is complete
      for (DownloadHandle handle : handles) {
        Outcome.of(handle).completed();
      }
    }
    List<String> firstRequests = files.exchanges().stream().map(Exchange::path).distinct()
        .toList();
    assertEquals(List.of("/a.bin", "/d.bin", "/c.bin", "/b.bin"), firstRequests);
    for (String path : order) {
      assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve(path.substring(1))));
    }
  }

  @Test
  void everyRequestCarriesTheCallersHeadersAndTheUserAgent() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT);

    // when
    try (RangeDownloader downloader =
        TestDownloaders.newBuilder().userAgent("spec-test/1.0").build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("f"))
          .header("Cookie", "session=abc").header("X-Trace", "42"))).completed();
    }

    // then
    assertTrue(files.exchanges().size() > 1);
    for (Exchange e : files.exchanges()) {
      assertEquals("session=abc", e.header("Cookie"), e::toString);
      assertEquals("42", e.header("X-Trace"), e::toString);
      assertEquals("spec-test/1.0", e.header("User-Agent"), e::toString);
    }
  }

  @Test
  void theDefaultUserAgentNamesThePomsVersion() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT);
    String pomVersion = System.getProperty("rangefetch.pomVersion");
    assertNotNull(pomVersion, "surefire passes rangefetch.pomVersion (see the parent pom)");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("f"))))
          .completed();
    }

    // then
    assertFalse(files.exchanges().isEmpty());
    for (Exchange e : files.exchanges()) {
      assertEquals("rangefetch/" + pomVersion, e.header("User-Agent"), e::toString);
    }
  }

  @Test
  void statusNeverShowsMoreActiveThreadsThanInForce() throws Exception {
    // given a slow server and frequent progress
    serve(CONTENT).throttle(8 * 1024, Duration.ofMillis(10));
    RecordingDownloadListener listener = new RecordingDownloadListener();

    // when the request asks for 3 threads
    try (RangeDownloader downloader =
        TestDownloaders.newBuilder().progressInterval(Duration.ofMillis(10)).build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("f"))
          .threads(3).listener(listener))).completed();
      listener.awaitTerminal(Outcome.PATIENCE);
    }

    // then
    List<DownloadStatus> progress = listener.named("progress").stream()
        .map(Event::status).toList();
    assertTrue(progress.size() > 3, progress::toString);
    assertTrue(progress.stream().allMatch(s -> s.activeThreads() <= 3 && s.maxThreads() == 3),
        progress::toString);
    assertTrue(progress.stream().anyMatch(s -> s.activeThreads() >= 2), progress::toString);
  }

  @Test
  void oneThreadMeansOneRequestAtATime() throws Exception {
    // given
    RangeDispatcher files = serve(CONTENT).throttle(8 * 1024, Duration.ofMillis(5));

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("f")).threads(1)))
          .completed();
    }

    // then
    assertEquals(1, files.maxInFlight());
    assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve("f")));
  }

  @Test
  void tinyChunksTileAnOddSizedFileExactly() throws Exception {
    // given a 1000-byte file and 7-byte chunks
    byte[] odd = SeededBytes.of(1000, 13);
    RangeDispatcher files = serve(odd);

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("f"))
          .chunkBytes(7))).completed();
    }

    // then 143 ranges, 7 bytes each but the last, covering each byte once
    List<Exchange> sorted = files.rangedExchanges().stream()
        .sorted(Comparator.comparingLong(Exchange::first)).toList();
    assertEquals(143, sorted.size(), files.exchanges()::toString);
    for (int i = 0; i < sorted.size(); i++) {
      assertEquals("bytes=" + (7 * i) + "-" + Math.min(7 * i + 6, 999), sorted.get(i).range());
    }
    assertEquals(Sha256.of(odd), Sha256.of(dir.resolve("f")));
  }

  @Test
  void aFileOfExactlyOneChunkIsOneRequestAndOneByteMoreIsTwo() throws Exception {
    // given files of exactly one chunk and of one chunk and a byte
    byte[] one = SeededBytes.of(CHUNK, 14);
    byte[] oneAndAByte = SeededBytes.of(CHUNK + 1, 15);

    // when / then
    RangeDispatcher files = serve(one);
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("one"))))
          .completed();
    }
    assertEquals(List.of("bytes=0-" + (CHUNK - 1)),
        files.exchanges().stream().map(Exchange::range).toList());
    assertEquals(Sha256.of(one), Sha256.of(dir.resolve("one")));

    files = serve(oneAndAByte);
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(start(downloader, DownloadRequest.newBuilder(uri(), dir.resolve("more"))))
          .completed();
    }
    assertEquals(List.of("bytes=0-" + (CHUNK - 1), "bytes=" + CHUNK + "-" + CHUNK),
        files.exchanges().stream().map(Exchange::range).toList());
    assertEquals(Sha256.of(oneAndAByte), Sha256.of(dir.resolve("more")));
  }
}
