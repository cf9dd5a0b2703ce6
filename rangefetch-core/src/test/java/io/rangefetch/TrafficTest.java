package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;

/**
 * Traffic control seen from the origin: rate limits in bytes the server wrote over time, the
 * per-host connection cap in responses it wrote at once, 503 with Retry-After in when requests
 * came back.
 */
class TrafficTest extends ServedFileTest {
  private static final long MIB = 1024 * 1024;
  private static final long SECOND = 1_000_000_000L;
  private static final int SEND_BUFFER = 32 * 1024;

  /** Bytes per second the origin wrote between the moments it had written {@code from}, {@code to}. */
  private static double rateBetween(RangeDispatcher files, long from, long to) {
    long start = files.nanosWhenServed(from);
    long end = files.nanosWhenServed(to);
    return (to - from) * (double) SECOND / (end - start);
  }

  @Test
  void aDownloaderLimitHoldsTheOriginToTheRateWithinFivePercent() throws Exception {
    // given a 12 MiB file and a downloader limited to 2 MiB/s
    byte[] content = SeededBytes.of((int) (12 * MIB), 31);
    RangeDispatcher files = serve(content).sendBuffer(SEND_BUFFER);
    Path target = dir.resolve("file.bin");
    long rate = 2 * MIB;
    Limits limits = TestDownloaders.smallLimits().toBuilder().maxBytesPerThread(MIB)
        .maxBytesPerSecond(rate).build();

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(limits)
        .readTimeout(Duration.ofSeconds(5)).build()) {
      DownloadHandle download = downloader.start(DownloadRequest.newBuilder(uri(), target).build());
      assertEquals(rate, download.status().limitBytesPerSecond());
      Outcome.of(download).completed();
    }

    // then, once the sockets' buffers on loopback are full (they take a few MiB at once), the
    // origin wrote at the rate: over the rest of the run, and in every second of it
    double overall = rateBetween(files, 5 * MIB, 12 * MIB);
    assertEquals(rate, overall, rate * 0.05, "bytes per second over the run");
    long spanStart = files.nanosWhenServed(5 * MIB);
    long spanEnd = files.nanosWhenServed(12 * MIB);
    for (long t = spanStart; t + SECOND <= spanEnd; t += SECOND / 4) {
      long inWindow = files.servedBy(t + SECOND) - files.servedBy(t);
      assertTrue(inWindow <= rate * 1.3 && inWindow >= rate * 0.6,
          "one second from " + (t - spanStart) / 1_000_000 + " ms wrote " + inWindow + " bytes");
    }
    assertEquals(Sha256.of(content), Sha256.of(target));
  }

  @Test
  void aDownloadsLimitChangedMidDownloadTakesEffect() throws Exception {
    // given a download limited to 1 MiB/s
    byte[] content = SeededBytes.of((int) (12 * MIB), 32);
    RangeDispatcher files = serve(content).sendBuffer(SEND_BUFFER);
    Path target = dir.resolve("file.bin");
    Limits limits = TestDownloaders.smallLimits().toBuilder().maxBytesPerThread(MIB).build();

    try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(limits)
        .readTimeout(Duration.ofSeconds(5)).build()) {
      DownloadHandle download = downloader.start(
          DownloadRequest.newBuilder(uri(), target).maxBytesPerSecond(MIB).build());

      // when, after 5 MiB (the buffers are full by then), it is raised to 4 MiB/s
      assertTrue(files.awaitServed(5 * MIB, Duration.ofSeconds(60)), "5 MiB served");
      double before = rateBetween(files, 3 * MIB, 5 * MIB);
      download.limitRate(4 * MIB);
      assertEquals(4 * MIB, download.status().limitBytesPerSecond());
      Outcome.of(download).completed();

      // then the origin wrote at 1 MiB/s before, and at 4 MiB/s after
      assertEquals(MIB, before, MIB * 0.2, "bytes per second before the change");
    }
    assertEquals(4 * MIB, rateBetween(files, 6 * MIB, 12 * MIB), MIB * 0.4,
        "bytes per second after the change");
    assertEquals(Sha256.of(content), Sha256.of(target));
  }

  @Test
  void aServerWithoutRangesIsReadAtTheDownloadsLimitToo() throws Exception {
    // given a server that ignores ranges, and a download limited to 2 MiB/s
    byte[] content = SeededBytes.of((int) (8 * MIB), 35);
    RangeDispatcher files = serve(content).ignoreRange().sendBuffer(SEND_BUFFER);
    Path target = dir.resolve("file.bin");

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder()
        .readTimeout(Duration.ofSeconds(5)).build()) {
      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri(), target)
          .maxBytesPerSecond(2 * MIB).build())).completed();
    }

    // then, past the bytes the client's socket buffer took at once, the one stream came at
    // the rate (loosely: that buffer is not made small for a stream, only for range requests)
    assertEquals(2 * MIB, rateBetween(files, 3 * MIB, 6 * MIB), MIB / 2,
        "bytes per second of the stream");
    assertEquals(Sha256.of(content), Sha256.of(target));
  }

  @Test
  void twoDownloadsUnderTheDownloadersLimitShareItEvenlyWhateverTheirThreads() throws Exception {
    // given two origins, one file each, and a downloader limited to 2 MiB/s
    try (MockWebServer second = new MockWebServer()) {
      second.start();
      byte[] content = SeededBytes.of((int) (5 * MIB), 37);
      RangeDispatcher first = serve(content).sendBuffer(SEND_BUFFER);
      RangeDispatcher other = new RangeDispatcher(content).sendBuffer(SEND_BUFFER);
      second.setDispatcher(other);
      long rate = 2 * MIB;
      Limits limits = TestDownloaders.smallLimits().toBuilder().maxThreads(4)
          .maxBytesPerThread(MIB / 2).maxBytesPerSecond(rate).build();

      // when a 4-thread and a 1-thread download run at once
      try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(limits)
          .readTimeout(Duration.ofSeconds(10)).build()) {
        DownloadHandle wide = downloader.start(DownloadRequest.newBuilder(uri(),
            dir.resolve("wide.bin")).threads(4).build());
        DownloadHandle narrow = downloader.start(DownloadRequest.newBuilder(
            second.url("/file.bin").uri(), dir.resolve("narrow.bin")).threads(1).build());
        Outcome.of(wide).completed();
        Outcome.of(narrow).completed();
      }

      // then, while both ran (after the sockets' buffers filled), each origin wrote about half:
      // measured 38-44 % for the 4-thread one; a share by threads would give it 80 %
      long from = Math.max(first.nanosWhenServed(2 * MIB), other.nanosWhenServed(2 * MIB));
      long to = Math.min(first.nanosWhenServed(5 * MIB), other.nanosWhenServed(5 * MIB));
      assertTrue(to - from >= SECOND / 2, () -> "the downloads overlapped only "
          + (to - from) / 1_000_000 + " ms after their first 2 MiB");
      long wideBytes = first.servedBy(to) - first.servedBy(from);
      long narrowBytes = other.servedBy(to) - other.servedBy(from);
      double wideShare = wideBytes / (double) (wideBytes + narrowBytes);
      assertTrue(wideShare >= 0.3 && wideShare <= 0.7, () -> "the 4-thread download got "
          + Math.round(wideShare * 100) + " % of the bytes while both ran (" + wideBytes
          + " against " + narrowBytes + ")");
      assertEquals(Sha256.of(content), Sha256.of(dir.resolve("wide.bin")));
      assertEquals(Sha256.of(content), Sha256.of(dir.resolve("narrow.bin")));
    }
  }

  @Test
  void twoDownloadsFromOneHostShareItsConnectionCap() throws Exception {
    // given a slow origin and a cap of 2 connections per host, 4 threads per download
    byte[] content = SeededBytes.of(640 * 1024 + 5, 33);
    RangeDispatcher files = serve(content).throttle(8 * 1024, Duration.ofMillis(10));
    Limits limits = TestDownloaders.smallLimits().toBuilder().maxConnectionsPerHost(2).build();

    // when two downloads of it run at once
    try (RangeDownloader downloader = TestDownloaders.newBuilder().limits(limits).build()) {
      DownloadHandle a = downloader.start(
          DownloadRequest.newBuilder(uri(), dir.resolve("a.bin")).build());
      DownloadHandle b = downloader.start(
          DownloadRequest.newBuilder(uri(), dir.resolve("b.bin")).build());
      Outcome.of(a).completed();
      Outcome.of(b).completed();
    }

    // then the origin never wrote more than 2 responses at once, yet did write 2
    assertEquals(2, files.maxInFlight(), "responses written at once, over both downloads");
    assertEquals(Sha256.of(content), Sha256.of(dir.resolve("a.bin")));
    assertEquals(Sha256.of(content), Sha256.of(dir.resolve("b.bin")));
  }

  @Test
  void aHostAnswering503AboveTwoConnectionsIsWaitedForAndTheDownloadCompletes()
      throws Exception {
    // given an origin that answers 503 with Retry-After: 1 to a third connection at once
    byte[] content = SeededBytes.of(640 * 1024 + 7, 34);
    RangeDispatcher files = serve(content).throttle(8 * 1024, Duration.ofMillis(10))
        .refuseAbove(2, 503, "Retry-After: 1");
    Path target = dir.resolve("file.bin");

    // when a download with 4 threads fetches it, its status watched
    List<Integer> allowances = new CopyOnWriteArrayList<>();
    DownloadListener watcher = new DownloadListener() {
      @Override
      public void progress(DownloadHandle download, DownloadStatus status) {
        allowances.add(status.hostAllowance());
      }
    };
    try (RangeDownloader downloader = TestDownloaders.newBuilder()
        .progressInterval(Duration.ofMillis(50)).listener(watcher).build()) {
      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri(), target).build())).completed();
    }

    // then it is complete, and no refused range was asked again before its Retry-After
    assertEquals(Sha256.of(content), Sha256.of(target));
    List<Exchange> all = files.exchanges();
    List<Exchange> refused = all.stream().filter(e -> e.status() == 503).toList();
    assertFalse(refused.isEmpty(), "the test needs a refusal");
    for (Exchange no : refused) {
      for (Exchange again : all) {
        if (again.index() > no.index() && again.first() == no.first()) {
          assertTrue(again.arrivalNanos() - no.arrivalNanos() >= SECOND,
              () -> again + " came " + (again.arrivalNanos() - no.arrivalNanos()) / 1_000_000
                  + " ms after " + no);
        }
      }
    }
    // nor any other request to the host, once the refusal reached the client (a request sent
    // ahead on another connection just before it may still arrive)
    for (Exchange no : refused) {
      for (Exchange other : all) {
        long after = other.arrivalNanos() - no.arrivalNanos();
        assertFalse(after > SECOND / 5 && after < SECOND,
            () -> other + " came " + after / 1_000_000 + " ms after " + no);
      }
    }
    // the status showed the cut allowance, which was halved rather than refused again and again
    assertTrue(allowances.stream().anyMatch(a -> a >= 1 && a <= 2),
        () -> "host allowances seen: " + allowances);
    assertTrue(refused.size() <= 4, () -> refused.size() + " refusals: " + refused);
  }

  @Test
  void theHostCapChangesWithinTheBuiltOneAndTheTrafficStatusShowsTheLimitsInForce() {
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxConnectionsPerHost(4).build()).build()) {
      IllegalArgumentException above = assertThrows(IllegalArgumentException.class,
          () -> downloader.limitConnectionsPerHost(5));
      assertTrue(above.getMessage().contains("between 1 and 4"), above.getMessage());

      downloader.limitConnectionsPerHost(2);
      downloader.limitRate(2048);

      assertEquals(new TrafficStatus(2048, 2, 0, 0), downloader.traffic());
    }
  }
}
