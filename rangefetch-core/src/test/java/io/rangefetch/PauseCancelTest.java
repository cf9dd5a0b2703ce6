package io.rangefetch;

import static io.rangefetch.testing.RangeDispatcher.rangeStartingAt;
import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pause stops every request and keeps what was written; resume fetches the rest; cancel cleans up. */
class PauseCancelTest {
  private static final byte[] CONTENT = SeededBytes.of(512 * 1024, 9);
  private static final int THREADS = 2;
  private static final Duration FEW_SECONDS = Duration.ofSeconds(5);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;
  private RangeDispatcher files;
  private Path target;
  private final RecordingDownloadListener listener = new RecordingDownloadListener();

  @BeforeEach
  void serveContentSlowly() {
    // about 200 KB/s per response: a 64 KiB chunk takes about a third of a second
    files = new RangeDispatcher(CONTENT).throttle(4 * 1024, Duration.ofMillis(20));
    server.setDispatcher(files);
    target = dir.resolve("file.bin");
  }

  private DownloadHandle start(RangeDownloader downloader) {
    return downloader.start(DownloadRequest.newBuilder(server.url("/file.bin").uri(), target)
        .threads(THREADS).listener(listener).build());
  }

  private List<String> namesInDir() throws Exception {
    try (var listing = Files.list(dir)) {
      return listing.map(p -> p.getFileName().toString()).toList();
    }
  }

  @Test
  void pauseStopsEveryRequestAndResumeFetchesOnlyWhatIsMissing() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given a download that has finished at least one chunk
      DownloadHandle download = start(downloader);
      listener.await("chunkEnd", Outcome.PATIENCE);

      // when paused
      download.pause();
      listener.await("downloadPaused", FEW_SECONDS);

      // then it is paused, and the server soon has nothing in flight
      assertEquals(DownloadState.PAUSED, download.status().state());
      assertTrue(files.awaitIdle(FEW_SECONDS), () -> files.inFlight() + " responses in flight");
      assertEquals(0, download.status().activeThreads());
      int requestsAtPause = files.exchanges().size();
      List<Event> verified = listener.named("chunkEnd");

      // when resumed
      download.resume();
      DownloadResult result = Outcome.of(download).completed();

      // then the file is right, and no verified chunk was fetched again
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(Sha256.of(CONTENT), result.sha256());
      assertTrue(listener.names().contains("downloadResumed"), listener.names()::toString);
      List<Exchange> afterResume = files.exchanges().subList(requestsAtPause, files.exchanges().size());
      for (Event chunk : verified) {
        ByteRange done = chunk.range();
        for (Exchange e : afterResume) {
          assertFalse(e.first() <= done.last() && e.last() >= done.first(),
              () -> "verified chunk " + done + " fetched again by " + e);
        }
      }
      assertTrue(files.bytesServed() <= CONTENT.length + (long) THREADS * CHUNK,
          () -> files.bytesServed() + " bytes served for " + CONTENT.length);
    }
  }

  @Test
  void pauseAndResumeFuturesCompleteWhenTheStateHolds() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given a download that has finished at least one chunk
      DownloadHandle download = start(downloader);
      listener.await("chunkEnd", Outcome.PATIENCE);

      // when paused, and waiting on the pause alone
      DownloadStatus paused = download.pause().get(Outcome.PATIENCE.toSeconds(), TimeUnit.SECONDS);

      // then the pause holds when the future completes, and the listeners heard it first
      assertEquals(DownloadState.PAUSED, paused.state());
      assertEquals(DownloadState.PAUSED, download.status().state());
      assertTrue(listener.names().contains("downloadPaused"), listener.names()::toString);
      // a second pause of a paused download completes at once
      assertEquals(DownloadState.PAUSED, download.pause().getNow(null).state());

      // when resumed
      DownloadStatus running = download.resume().get(Outcome.PATIENCE.toSeconds(), TimeUnit.SECONDS);

      // then it runs again, and the listeners heard that first
      assertNotEquals(DownloadState.PAUSED, running.state());
      assertTrue(listener.names().contains("downloadResumed"), listener.names()::toString);
      Outcome.of(download).completed();
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    }
  }

  @Test
  void aPartialDownloadLeftOnDiskIsSeenAndCanBeDiscarded() throws Exception {
    try (RangeDownloader first = TestDownloaders.newBuilder().build()) {
      // given a download paused after a chunk
      DownloadHandle download = start(first);
      listener.await("chunkEnd", Outcome.PATIENCE);
      download.pause().get(Outcome.PATIENCE.toSeconds(), TimeUnit.SECONDS);

      // then its partial download is there, and not for deleting while its downloader holds it
      assertTrue(RangeDownloader.hasPartial(target));
      assertThrows(IllegalStateException.class, () -> first.discardPartial(target));
    } // closing keeps the part file, as a crash would

    // when another downloader (a new process) discards it
    try (RangeDownloader second = TestDownloaders.newBuilder().build()) {
      assertTrue(RangeDownloader.hasPartial(target), namesInDir()::toString);
      assertTrue(second.discardPartial(target));

      // then nothing of it is left, and discarding again finds nothing
      assertFalse(RangeDownloader.hasPartial(target));
      assertEquals(List.of(), namesInDir());
      assertFalse(second.discardPartial(target));
    }
  }

  @Test
  void aFutureOfResultCannotChangeTheDownloadsOutcome() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given a running download
      DownloadHandle download = start(downloader);

      // when a caller completes and cancels the futures it was given
      download.result().complete(null);
      download.result().cancel(true);

      // then the download goes on and ends with its file
      DownloadResult result = Outcome.of(download).completed();
      assertEquals(Sha256.of(CONTENT), result.sha256());
      assertEquals(target, download.result().join().file());
    }
  }

  @Test
  void cancelStopsTheDownloadAndDeletesThePartialFile() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given a download that has finished at least one chunk
      DownloadHandle download = start(downloader);
      listener.await("chunkEnd", Outcome.PATIENCE);

      // when
      download.cancel();

      // then
      assertTrue(Outcome.of(download).cancelled(), "the result future is cancelled");
      assertEquals("downloadCancelled", listener.awaitTerminal(FEW_SECONDS).name());
      assertEquals(DownloadState.CANCELLED, download.status().state());
      assertTrue(files.awaitIdle(FEW_SECONDS), () -> files.inFlight() + " responses in flight");
      assertEquals(List.of(), namesInDir(), "no partial file may remain");
    }
  }

  @Test
  void cancelOfAPausedDownloadDeletesThePartialFile() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given a paused download
      DownloadHandle download = start(downloader);
      listener.await("chunkEnd", Outcome.PATIENCE);
      download.pause();
      listener.await("downloadPaused", FEW_SECONDS);

      // when
      download.cancel();

      // then
      assertTrue(Outcome.of(download).cancelled(), "the result future is cancelled");
      assertEquals("downloadCancelled", listener.awaitTerminal(FEW_SECONDS).name());
      assertEquals(List.of(), namesInDir(), "no partial file may remain");
    }
  }

  @Test
  void pauseAndResumeOfAFinishedDownloadAreRejectedAndCancelDoesNothing() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given a completed download
      DownloadHandle download = start(downloader);
      Outcome.of(download).completed();

      // when / then
      assertThrows(IllegalStateException.class, download::pause);
      assertThrows(IllegalStateException.class, download::resume);
      download.cancel();
      assertEquals(DownloadState.COMPLETED, download.status().state());
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    }
  }

  @Test
  void pauseTwiceIsAllowed() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given a paused download
      DownloadHandle download = start(downloader);
      listener.await("chunkEnd", Outcome.PATIENCE);
      download.pause();
      listener.await("downloadPaused", FEW_SECONDS);

      // when paused again, then resumed
      download.pause();
      download.resume();

      // then
      Outcome.of(download).completed();
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(1, listener.named("downloadPaused").size(), listener.names()::toString);
    }
  }

  /**
   * Starts a one-thread download whose third chunk stalls after half its bytes, and returns once
   * those bytes are written: the worker is then blocked reading a silent connection.
   */
  private DownloadHandle startAndStallInTheThirdChunk(RangeDownloader downloader)
      throws Exception {
    files.inject(Fault.stallHalfway(), rangeStartingAt(2L * CHUNK), 1);
    DownloadHandle download = downloader.start(DownloadRequest
        .newBuilder(server.url("/file.bin").uri(), target).threads(1).listener(listener).build());
    long stalledAt = 2L * CHUNK + CHUNK / 2;
    listener.await(e -> e.name().equals("progress") && e.status().bytesDone() >= stalledAt,
        "progress up to the stall", Outcome.PATIENCE);
    return download;
  }

  @Test
  void pauseStopsEvenARequestThatIsStalledAndResumeAsksOnlyForTheRest() throws Exception {
    // given a read timeout far longer than the test waits, and a worker blocked on a stall
    try (RangeDownloader downloader = TestDownloaders.newBuilder()
        .readTimeout(Duration.ofSeconds(60)).progressInterval(Duration.ofMillis(10)).build()) {
      DownloadHandle download = startAndStallInTheThirdChunk(downloader);

      // when
      download.pause();

      // then the stalled connection is closed at once, not after the read timeout
      listener.await("downloadPaused", FEW_SECONDS);
      assertTrue(files.awaitIdle(FEW_SECONDS), () -> files.inFlight() + " responses in flight");

      // and once resumed, only the missing half of the stalled chunk is asked for
      download.resume();
      Outcome.of(download).completed();
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      List<Exchange> third = files.rangedExchanges().stream()
          .filter(e -> e.first() >= 2L * CHUNK && e.first() < 3L * CHUNK).toList();
      assertEquals(2, third.size(), files.exchanges()::toString);
      assertEquals("bytes=" + (2L * CHUNK + CHUNK / 2) + "-" + (3L * CHUNK - 1), third.get(1).range());
    }
  }

  @Test
  void cancelStopsEvenARequestThatIsStalled() throws Exception {
    // given a read timeout far longer than the test waits, and a worker blocked on a stall
    try (RangeDownloader downloader = TestDownloaders.newBuilder()
        .readTimeout(Duration.ofSeconds(60)).progressInterval(Duration.ofMillis(10)).build()) {
      DownloadHandle download = startAndStallInTheThirdChunk(downloader);

      // when
      download.cancel();

      // then
      assertEquals("downloadCancelled", listener.awaitTerminal(FEW_SECONDS).name());
      assertTrue(files.awaitIdle(FEW_SECONDS), () -> files.inFlight() + " responses in flight");
      assertEquals(List.of(), namesInDir(), "no partial file may remain");
    }
  }

  @Test
  void pauseAndResumeWithoutRangesStartsOverAndGivesTheRightFile() throws Exception {
    // given a slow server that ignores Range
    files.ignoreRange();
    try (RangeDownloader downloader = TestDownloaders.newBuilder()
        .progressInterval(Duration.ofMillis(10)).build()) {
      DownloadHandle download = start(downloader);
      listener.await(e -> e.name().equals("progress") && e.status().bytesDone() > 0,
          "some progress", Outcome.PATIENCE);

      // when
      download.pause();
      listener.await("downloadPaused", FEW_SECONDS);
      assertTrue(files.awaitIdle(FEW_SECONDS), () -> files.inFlight() + " responses in flight");
      download.resume();

      // then
      DownloadResult result = Outcome.of(download).completed();
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(Sha256.of(CONTENT), result.sha256());
    }
  }

  @Test
  void cancelOfAQueuedDownloadEndsItWithoutARequest() throws Exception {
    // given one download slot, taken by a slow download
    Limits oneAtATime = TestDownloaders.smallLimits().toBuilder().maxConcurrentDownloads(1).build();
    try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(oneAtATime).build()) {
      DownloadHandle running = downloader.start(DownloadRequest
          .newBuilder(server.url("/running.bin").uri(), dir.resolve("running.bin")).build());
      DownloadHandle queued = start(downloader);
      assertEquals(DownloadState.QUEUED, queued.status().state());

      // when
      queued.cancel();
      queued.cancel();

      // then
      assertTrue(Outcome.of(queued).cancelled(), "the result future is cancelled");
      listener.awaitTerminal(FEW_SECONDS);
      assertEquals(List.of("downloadQueued", "downloadCancelled"), listener.namesWithoutProgress());
      Outcome.of(running).completed();
      assertTrue(files.exchangesTo("/file.bin").isEmpty(), files.exchanges()::toString);
    }
  }

  /** Runs a one-thread download that fails for good (404) on its third chunk. */
  private void failOnTheThirdChunk() {
    files.inject(Fault.status(404), rangeStartingAt(2L * CHUNK), 1);
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadException failure = Outcome.of(downloader.start(DownloadRequest
          .newBuilder(server.url("/file.bin").uri(), target).threads(1).build())).failed();
      assertEquals(404, failure.statusCode(), failure::getMessage);
    }
  }

  @Test
  void theNextRunAfterAFailureFetchesOnlyWhatIsMissing() throws Exception {
    // given a first run that wrote two chunks and then failed
    failOnTheThirdChunk();
    int firstRun = files.exchanges().size();

    // when the same URL is downloaded to the same target by a new downloader
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadResult result = Outcome.of(start(downloader)).completed();

      // then the two chunks on disk are kept, and only the rest is asked for
      assertEquals(Sha256.of(CONTENT), result.sha256());
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    }
    assertEquals(2L * CHUNK, (Long) listener.await("downloadContinued", FEW_SECONDS).args().get(0));
    List<Exchange> secondRun = files.exchanges().subList(firstRun + 1, files.exchanges().size());
    for (Exchange e : secondRun) {
      assertTrue(e.first() >= 2L * CHUNK, () -> "fetched again: " + e + " in " + secondRun);
    }
    assertEquals(List.of("file.bin"), namesInDir());
  }

  @Test
  void theNextRunAfterAFailureStartsOverWhenTheFileChanged() throws Exception {
    // given a first run that wrote two chunks and failed, and then the file changed
    failOnTheThirdChunk();
    byte[] changed = SeededBytes.of(CONTENT.length, 90);
    files.changeContentAfter(files.exchanges().size(), changed);

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadResult result = Outcome.of(start(downloader)).completed();

      // then the file is the new version entirely
      assertArrayEquals(changed, Files.readAllBytes(target), "two versions spliced");
      assertEquals(Sha256.of(changed), result.sha256());
    }
    assertTrue(listener.named("downloadContinued").isEmpty(), listener.names()::toString);
  }

  @Test
  void closingTheDownloaderStopsItsDownloadsAndANewOneContinuesThem() throws Exception {
    // given a running download that has finished at least one chunk
    RangeDownloader downloader = TestDownloaders.newBuilder().build();
    DownloadHandle download = start(downloader);
    listener.await("chunkEnd", Outcome.PATIENCE);
    assertEquals(List.of(download), downloader.active());

    // when
    downloader.close();

    // then it ends as cancelled, but keeps its part file for a later run
    assertTrue(Outcome.of(download).cancelled(), "the result future is cancelled");
    assertEquals("downloadCancelled", listener.awaitTerminal(FEW_SECONDS).name());
    assertEquals(DownloadState.CANCELLED, download.status().state());
    assertTrue(files.awaitIdle(FEW_SECONDS), () -> files.inFlight() + " responses in flight");
    assertThrows(IllegalStateException.class,
        () -> downloader.probe(server.url("/file.bin").uri()));
    assertFalse(Files.exists(target), "an incomplete file under the final name");

    // when a new downloader starts the same request
    RecordingDownloadListener again = new RecordingDownloadListener();
    try (RangeDownloader next = TestDownloaders.newBuilder().build()) {
      DownloadResult result = Outcome.of(next.start(DownloadRequest
          .newBuilder(server.url("/file.bin").uri(), target).listener(again).build())).completed();

      // then it continues from what is on disk and ends with the right file, alone
      assertEquals(Sha256.of(CONTENT), result.sha256());
    }
    long kept = (Long) again.await("downloadContinued", FEW_SECONDS).args().get(0);
    assertTrue(kept >= CHUNK, () -> kept + " bytes kept, events " + again.names());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertEquals(List.of("file.bin"), namesInDir());
  }

  @Test
  void aFinishedDownloadLeavesTheActiveList() throws Exception {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // given
      DownloadHandle download = start(downloader);

      // when
      Outcome.of(download).completed();

      // then
      assertEquals(List.of(), downloader.active());
    }
  }

  @Test
  void aPausedQueuedDownloadWaitsUntilResumed() throws Exception {
    // given one download slot, taken by a slow download, and a second one queued
    Limits oneAtATime = TestDownloaders.smallLimits().toBuilder().maxConcurrentDownloads(1).build();
    try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(oneAtATime).build()) {
      DownloadHandle running = downloader.start(DownloadRequest
          .newBuilder(server.url("/running.bin").uri(), dir.resolve("running.bin")).build());
      DownloadHandle queued = start(downloader);

      // when the queued one is paused, and the slot becomes free
      queued.pause();
      Outcome.of(running).completed();

      // then it stays paused and asks nothing, until resumed
      assertEquals(DownloadState.PAUSED, queued.status().state());
      assertTrue(files.exchangesTo("/file.bin").isEmpty(), files.exchanges()::toString);
      queued.resume();
      Outcome.of(queued).completed();
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(List.of("downloadQueued", "downloadPaused", "downloadResumed"),
          listener.namesWithoutProgress().subList(0, 3));
    }
  }
}
