package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Setters reject bad values at once, with a message that names the setting and the value. */
class ValidationTest {
  private static final URI URL = URI.create("https://example.org/a.iso");
  private static final Path TARGET = Path.of("a.iso");

  private static void assertRejected(Executable setter, String... mentioned) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, setter);
    for (String text : mentioned) {
      assertTrue(e.getMessage().contains(text),
          () -> "message should mention \"" + text + "\": " + e.getMessage());
    }
  }

  private static DownloadRequest.Builder request() {
    return DownloadRequest.newBuilder(URL, TARGET);
  }

  // Limits

  @Test
  void maxThreads_zero() {
    assertRejected(() -> Limits.newBuilder().maxThreads(0), "maxThreads", "0");
  }

  @Test
  void maxThreads_negative() {
    assertRejected(() -> Limits.newBuilder().maxThreads(-3), "maxThreads", "-3");
  }

  @Test
  void maxThreads_aboveCeiling() {
    assertRejected(() -> Limits.newBuilder().maxThreads(Limits.MAX_THREADS_CEILING + 1),
        "maxThreads", "65");
  }

  @Test
  void maxThreads_atCeilingAccepted() {
    assertEquals(64, Limits.newBuilder().maxThreads(64).build().maxThreads());
  }

  @Test
  void maxBytesPerThread_zero() {
    assertRejected(() -> Limits.newBuilder().maxBytesPerThread(0), "maxBytesPerThread", "0");
  }

  @Test
  void maxConcurrentDownloads_zero() {
    assertRejected(() -> Limits.newBuilder().maxConcurrentDownloads(0),
        "maxConcurrentDownloads", "0");
  }

  @Test
  void maxConcurrentDownloads_aboveCeiling() {
    assertRejected(() -> Limits.newBuilder().maxConcurrentDownloads(1025),
        "maxConcurrentDownloads", "1025");
  }

  @Test
  void maxFileBytes_negative() {
    assertRejected(() -> Limits.newBuilder().maxFileBytes(-1), "maxFileBytes", "-1");
  }

  @Test
  void limits_defaults() {
    Limits limits = Limits.defaults();
    assertEquals(8, limits.maxThreads());
    assertEquals(4L * 1024 * 1024, limits.maxBytesPerThread());
    assertEquals(4, limits.maxConcurrentDownloads());
    assertEquals(1L << 40, limits.maxFileBytes());
  }

  @Test
  void limits_toBuilderKeepsEveryValue() {
    Limits limits = Limits.newBuilder().maxThreads(3).maxBytesPerThread(5)
        .maxConcurrentDownloads(7).maxFileBytes(11).build();
    assertEquals(limits, limits.toBuilder().build());
  }

  // DownloadRequest

  @Test
  void threads_zero() {
    assertRejected(() -> request().threads(0), "threads", "0");
  }

  @Test
  void chunkBytes_zero() {
    assertRejected(() -> request().chunkBytes(0), "chunkBytes", "0");
  }

  @Test
  void sha256_notHex() {
    String notHex = "z".repeat(64);
    assertRejected(() -> request().sha256(notHex), "sha256", notHex);
  }

  @Test
  void sha256_tooShort() {
    assertRejected(() -> request().sha256("abc123"), "sha256", "abc123");
  }

  @Test
  void uri_ftp() {
    assertRejected(() -> DownloadRequest.newBuilder(URI.create("ftp://example.org/a"), TARGET),
        "ftp://example.org/a");
  }

  @Test
  void uri_file() {
    assertRejected(() -> DownloadRequest.newBuilder(URI.create("file:///etc/passwd"), TARGET),
        "file:///etc/passwd");
  }

  @Test
  void uri_relative() {
    assertRejected(() -> DownloadRequest.newBuilder(URI.create("/a.iso"), TARGET), "/a.iso");
  }

  @Test
  void uri_withoutHost() {
    assertRejected(() -> DownloadRequest.newBuilder(URI.create("http:///a.iso"), TARGET),
        "http:///a.iso");
  }

  @Test
  void uri_ftpWithCredentialsHidesThePassword() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DownloadRequest.newBuilder(URI.create("ftp://user:secret@example.org/a"), TARGET));
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @Test
  void header_reserved() {
    assertRejected(() -> request().header("Range", "bytes=0-1"), "Range");
  }

  @Test
  void header_reservedInAnotherCase() {
    assertRejected(() -> request().header("accept-ENCODING", "gzip"), "accept-ENCODING");
  }

  @Test
  void header_nameNotAToken() {
    assertRejected(() -> request().header("Bad Name", "x"), "Bad Name");
  }

  @Test
  void header_valueWithLineBreak() {
    assertRejected(() -> request().header("X-Token", "a\r\nInjected: yes"), "X-Token");
  }

  @Test
  void header_acceptedAndKeptInOrder() {
    DownloadRequest built = request().header("X-B", "2").header("Cookie", "a=1").build();
    assertEquals(List.of("X-B", "Cookie"), List.copyOf(built.headers().keySet()));
  }

  @Test
  void request_toStringHidesThePassword() {
    DownloadRequest built =
        DownloadRequest.newBuilder(URI.create("https://user:secret@example.org/a"), TARGET).build();
    assertFalse(built.toString().contains("secret"), built.toString());
  }

  // RangeDownloader.Builder

  @Test
  void readTimeout_zero() {
    assertRejected(() -> RangeDownloader.newBuilder().readTimeout(Duration.ZERO),
        "readTimeout", "PT0S");
  }

  @Test
  void connectTimeout_negative() {
    assertRejected(() -> RangeDownloader.newBuilder().connectTimeout(Duration.ofSeconds(-1)),
        "connectTimeout", "PT-1S");
  }

  @Test
  void maxAttemptsPerChunk_zero() {
    assertRejected(() -> RangeDownloader.newBuilder().maxAttemptsPerChunk(0),
        "maxAttemptsPerChunk", "0");
  }

  @Test
  void maxAttemptsPerChunk_aboveCeiling() {
    assertRejected(() -> RangeDownloader.newBuilder().maxAttemptsPerChunk(101),
        "maxAttemptsPerChunk", "101");
  }

  @Test
  void retryBackoff_maxBelowInitial() {
    assertRejected(() -> RangeDownloader.newBuilder()
        .retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)), "PT2S", "PT1S");
  }

  @Test
  void retryBackoff_zero() {
    assertRejected(() -> RangeDownloader.newBuilder()
        .retryBackoff(Duration.ZERO, Duration.ofSeconds(1)), "PT0S");
  }

  @Test
  void maxRedirects_negative() {
    assertRejected(() -> RangeDownloader.newBuilder().maxRedirects(-1), "maxRedirects", "-1");
  }

  @Test
  void maxRedirects_aboveCeiling() {
    assertRejected(() -> RangeDownloader.newBuilder().maxRedirects(51), "maxRedirects", "51");
  }

  @Test
  void userAgent_blank() {
    assertRejected(() -> RangeDownloader.newBuilder().userAgent("  "), "userAgent");
  }

  @Test
  void userAgent_lineBreak() {
    assertRejected(() -> RangeDownloader.newBuilder().userAgent("a\r\nX-Injected: 1"),
        "userAgent");
  }

  @Test
  void progressInterval_belowTenMillis() {
    assertRejected(() -> RangeDownloader.newBuilder().progressInterval(Duration.ofMillis(9)),
        "progressInterval", "PT0.009S");
  }

  @Test
  void progressInterval_aboveOneMinute() {
    assertRejected(() -> RangeDownloader.newBuilder().progressInterval(Duration.ofSeconds(61)),
        "progressInterval", "PT1M1S");
  }

  @Test
  void checkpointInterval_negative() {
    assertRejected(() -> RangeDownloader.newBuilder().checkpointInterval(Duration.ofMillis(-1)),
        "checkpointInterval", "PT-0.001S", "Duration.ZERO");
  }

  @Test
  void downloader_keepsTheLimitsItWasGiven() {
    Limits limits = Limits.newBuilder().maxThreads(3).build();
    try (RangeDownloader downloader = RangeDownloader.newBuilder().limits(limits).build()) {
      assertEquals(limits, downloader.limits());
    }
  }
}
