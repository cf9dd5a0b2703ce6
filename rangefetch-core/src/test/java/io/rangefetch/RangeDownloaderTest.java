package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end behaviour of a download against a server that serves real ranges. */
class RangeDownloaderTest {
  private static final byte[] CONTENT = SeededBytes.of(300_000, 42);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;
  private RangeDispatcher files;

  @BeforeEach
  void serveContent() {
    files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
  }

  @Test
  void downloadsInParallelCappedChunksIntoOneVerifiedFile() throws Exception {
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(64 * 1024).build())
        .build()) {
      DownloadResult result = downloader.start(DownloadRequest.newBuilder(
              server.url("/files/data.bin").uri(), dir).build())
          .result().get(30, TimeUnit.SECONDS);

      assertEquals(dir.resolve("data.bin"), result.file());
      assertEquals(Sha256.of(CONTENT), result.sha256());
      assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
      assertTrue(result.ranged());
      assertEquals(5, files.ranges().size(), files.ranges()::toString);
      assertEquals("bytes=0-65535", files.ranges().get(0));
      assertFalse(Files.exists(dir.resolve("data.bin.part")));
    }
  }

  @Test
  void fallsBackToOneStreamWhenServerIgnoresRange() throws Exception {
    files.ignoreRange().advertiseRanges(false);
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxBytesPerThread(64 * 1024).build()).build()) {
      DownloadResult result = downloader.start(DownloadRequest.newBuilder(
              server.url("/a.bin").uri(), dir.resolve("a.bin")).build())
          .result().get(30, TimeUnit.SECONDS);

      assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
      assertFalse(result.ranged());
      assertEquals(1, files.ranges().size());
    }
  }

  @Test
  void pauseKeepsWrittenBytesAndResumeFetchesOnlyTheRest() throws Exception {
    AtomicInteger chunkEnds = new AtomicInteger();
    java.util.concurrent.CountDownLatch twoChunks = new java.util.concurrent.CountDownLatch(2);
    java.util.concurrent.CountDownLatch paused = new java.util.concurrent.CountDownLatch(1);
    DownloadListener listener = new DownloadListener() {
      @Override
      public void chunkEnd(DownloadHandle download, ByteRange range) {
        chunkEnds.incrementAndGet();
        twoChunks.countDown();
      }

      @Override
      public void downloadPaused(DownloadHandle download) {
        paused.countDown();
      }
    };
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(1).maxBytesPerThread(10_000).build()).build()) {
      DownloadHandle handle = downloader.start(DownloadRequest.newBuilder(
          server.url("/p.bin").uri(), dir.resolve("p.bin")).listener(listener).build());
      assertTrue(twoChunks.await(30, TimeUnit.SECONDS));
      handle.pause();
      assertTrue(paused.await(30, TimeUnit.SECONDS));
      assertEquals(DownloadState.PAUSED, handle.status().state());
      int before = files.ranges().size();

      handle.resume();
      DownloadResult result = handle.result().get(30, TimeUnit.SECONDS);

      assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
      long requested = files.ranges().stream().mapToLong(RangeDownloaderTest::length).sum();
      assertTrue(requested <= CONTENT.length + 10_000,
          "only the chunk the pause cut may be asked for twice: " + files.ranges());
      assertTrue(before >= 2);
    }
  }

  @Test
  void pausedAndResumedEventsAlternateHoweverFastTheCallsCome() throws Exception {
    files.throttle(1_000, Duration.ofMillis(10));
    List<String> events = new CopyOnWriteArrayList<>();
    DownloadListener recording = new DownloadListener() {
      @Override
      public void downloadPaused(DownloadHandle download) {
        events.add("paused");
      }

      @Override
      public void downloadResumed(DownloadHandle download) {
        events.add("resumed");
      }
    };
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(2).maxBytesPerThread(10_000).build()).build()) {
      DownloadHandle handle = downloader.start(DownloadRequest.newBuilder(
          server.url("/cycle.bin").uri(), dir.resolve("cycle.bin")).listener(recording).build());

      for (int i = 0; i < 30; i++) {
        handle.pause();
        handle.resume();
      }
      files.fullSpeed();
      DownloadResult result = handle.result().get(60, TimeUnit.SECONDS);

      assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
      for (int i = 0; i < events.size(); i++) {
        assertEquals(i % 2 == 0 ? "paused" : "resumed", events.get(i), "events: " + events);
      }
      assertEquals(0, events.size() % 2, "every pause was followed by its resume: " + events);
    }
  }

  private static long length(String range) {
    String[] parts = range.substring("bytes=".length()).split("-");
    return Long.parseLong(parts[1]) - Long.parseLong(parts[0]) + 1;
  }
}
