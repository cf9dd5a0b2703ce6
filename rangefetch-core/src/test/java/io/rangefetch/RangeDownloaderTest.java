package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end behaviour of a download against a server that serves real ranges. */
class RangeDownloaderTest {
  @TempDir Path dir;
  private final MockWebServer server = new MockWebServer();
  private final byte[] content = new byte[300_000];
  private final List<String> ranges = new CopyOnWriteArrayList<>();
  private volatile boolean honourRanges = true;
  private volatile boolean throttle;

  @BeforeEach
  void start() throws Exception {
    new Random(42).nextBytes(content);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        String range = request.getHeaders().get("Range");
        ranges.add(String.valueOf(range));
        if (range == null || !honourRanges) {
          return new MockResponse.Builder().code(200).body(new Buffer().write(content)).build();
        }
        String[] parts = range.substring("bytes=".length()).split("-");
        int first = Integer.parseInt(parts[0]);
        int last = Math.min(Integer.parseInt(parts[1]), content.length - 1);
        MockResponse.Builder response = new MockResponse.Builder().code(206)
            .setHeader("Content-Range", "bytes " + first + "-" + last + "/" + content.length)
            .setHeader("ETag", "\"v1\"")
            .body(new Buffer().write(content, first, last - first + 1));
        if (throttle) {
          response.throttleBody(1_000, 10, TimeUnit.MILLISECONDS);
        }
        return response.build();
      }
    });
    server.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
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
      assertEquals(sha256(content), result.sha256());
      assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
      assertTrue(result.ranged());
      assertEquals(5, ranges.size(), ranges.toString());
      assertEquals("bytes=0-65535", ranges.get(0));
      assertFalse(Files.exists(dir.resolve("data.bin.part")));
    }
  }

  @Test
  void fallsBackToOneStreamWhenServerIgnoresRange() throws Exception {
    honourRanges = false;
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxBytesPerThread(64 * 1024).build()).build()) {
      DownloadResult result = downloader.start(DownloadRequest.newBuilder(
              server.url("/a.bin").uri(), dir.resolve("a.bin")).build())
          .result().get(30, TimeUnit.SECONDS);

      assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
      assertFalse(result.ranged());
      assertEquals(1, ranges.size());
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
      int before = ranges.size();

      handle.resume();
      DownloadResult result = handle.result().get(30, TimeUnit.SECONDS);

      assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
      long requested = ranges.stream().mapToLong(RangeDownloaderTest::length).sum();
      assertTrue(requested <= content.length + 10_000,
          "only the chunk the pause cut may be asked for twice: " + ranges);
      assertTrue(before >= 2);
    }
  }

  @Test
  void pausedAndResumedEventsAlternateHoweverFastTheCallsCome() throws Exception {
    throttle = true;
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
      throttle = false;
      DownloadResult result = handle.result().get(60, TimeUnit.SECONDS);

      assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
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

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
