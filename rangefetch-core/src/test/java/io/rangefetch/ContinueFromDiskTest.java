package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Fault;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A part file and control file left by an earlier run are continued, or safely ignored. */
class ContinueFromDiskTest {
  private static final int SIZE = 100_000;
  private static final int CHUNK = 10_000;
  private static final byte[] CONTENT = SeededBytes.of(SIZE, 7);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;
  private RangeDispatcher files;

  @BeforeEach
  void serveContent() {
    files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
  }

  private Path target() {
    return dir.resolve("data.bin");
  }

  /**
   * Writes what a run killed after chunks 0, 1 and 5 would leave, with a control file for it
   * that records {@code savedEtag} and the Last-Modified the server sends.
   */
  private void leaveEarlierRun(String url, String savedEtag, int partBytes) throws Exception {
    byte[] part = new byte[6 * CHUNK];
    System.arraycopy(CONTENT, 0, part, 0, 2 * CHUNK);
    System.arraycopy(CONTENT, 5 * CHUNK, part, 5 * CHUNK, CHUNK);
    Files.write(dir.resolve("data.bin.part"), Arrays.copyOf(part, partBytes));
    String control = "format=rangefetch-control-1\n"
        + "url=" + url.replace(":", "\\:") + "\n"
        + "finalUrl=" + url.replace(":", "\\:") + "\n"
        + "size=" + SIZE + "\n"
        + "etag=" + savedEtag + "\n"
        + "lastModified=" + RangeDispatcher.LAST_MODIFIED.replace(":", "\\:") + "\n"
        + "chunkBytes=" + CHUNK + "\n"
        + "done=0-" + (2 * CHUNK - 1) + "," + (5 * CHUNK) + "-" + (6 * CHUNK - 1) + "\n";
    Files.writeString(dir.resolve("data.bin.part.rangefetch"), control, StandardCharsets.ISO_8859_1);
  }

  private DownloadResult download(DownloadListener listener) throws Exception {
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(2).maxBytesPerThread(CHUNK).build()).build()) {
      return downloader.start(DownloadRequest.newBuilder(server.url("/data.bin").uri(), target())
              .listener(listener).build())
          .result().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void continuesFromRecordedRangesAndFetchesOnlyTheMissingOnes() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v1\"", 6 * CHUNK);
    AtomicLong continued = new AtomicLong(-1);

    DownloadResult result = download(new DownloadListener() {
      @Override
      public void downloadContinued(DownloadHandle download, long bytesOnDisk) {
        continued.set(bytesOnDisk);
      }
    });

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(3L * CHUNK, continued.get());
    // The probe asks for chunk 0, which is on disk: its body is dropped, then 7 chunks follow.
    List<String> ranges = files.ranges();
    assertEquals("bytes=0-9999", ranges.get(0));
    List<String> fetched = ranges.subList(1, ranges.size());
    assertEquals(7, fetched.size(), fetched.toString());
    assertFalse(fetched.contains("bytes=10000-19999"));
    assertFalse(fetched.contains("bytes=50000-59999"));
    assertFalse(Files.exists(dir.resolve("data.bin.part.rangefetch")), "control file removed");
  }

  @Test
  void startsOverWhenTheFileChangedOnTheServer() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v0\"", 6 * CHUNK);

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(SIZE / CHUNK, files.ranges().size(),
        () -> "every chunk fetched again: " + files.ranges());
  }

  @Test
  void startsOverWhenTheControlFileBelongsToAnotherUrl() throws Exception {
    leaveEarlierRun("http://elsewhere.example/data.bin", "\"v1\"", 6 * CHUNK);

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(SIZE / CHUNK, files.ranges().size());
  }

  @Test
  void continuesThePartFileOfItsFormerUrlWhenTheNewOneServesTheSameFile() throws Exception {
    // given a part file of an old URL, and a new URL of the same file (same length and ETag)
    String old = "http://expired.example/data.bin?sig=1";
    leaveEarlierRun(old, "\"v1\"", 6 * CHUNK);

    // when downloaded from the new URL, naming the old one
    DownloadResult result = download(DownloadRequest.newBuilder(server.url("/data.bin").uri(),
        target()).formerUri(java.net.URI.create(old)).ifExists(IfExists.OVERWRITE));

    // then the 3 chunks on disk are kept: the probe and the 7 missing chunks are fetched
    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(8, files.ranges().size(), files.ranges()::toString);
  }

  @Test
  void startsOverWhenItsFormerUrlServedAnotherFileAndSaysWhy() throws Exception {
    // given a part file of an old URL whose file had another ETag
    String old = "http://expired.example/data.bin?sig=1";
    leaveEarlierRun(old, "\"v0\"", 6 * CHUNK);

    // when downloaded from the new URL, naming the old one
    DownloadStatus[] last = new DownloadStatus[1];
    DownloadResult result;
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(2).maxBytesPerThread(CHUNK).build()).build()) {
      DownloadHandle handle = downloader.start(DownloadRequest.newBuilder(
          server.url("/data.bin").uri(), target()).formerUri(java.net.URI.create(old))
          .ifExists(IfExists.OVERWRITE).build());
      result = handle.result().get(30, TimeUnit.SECONDS);
      last[0] = handle.status();
    }

    // then every chunk is fetched again, and the status says why
    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(SIZE / CHUNK, files.ranges().size(), files.ranges()::toString);
    String note = last[0].sources().get(0).note();
    assertTrue(note.contains("serves another file") && note.contains("started over"), note);
  }

  private DownloadResult download(DownloadRequest.Builder request) throws Exception {
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(2).maxBytesPerThread(CHUNK).build()).build()) {
      return downloader.start(request.build()).result().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void startsOverWhenTheControlFileIsGarbled() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v1\"", 6 * CHUNK);
    Path control = dir.resolve("data.bin.part.rangefetch");
    byte[] bytes = Files.readAllBytes(control);
    Files.write(control, Arrays.copyOf(bytes, bytes.length / 2));

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(SIZE / CHUNK, files.ranges().size());
  }

  @Test
  void startsOverWhenThePartFileIsShorterThanTheControlFileClaims() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v1\"", 3 * CHUNK);

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(SIZE / CHUNK, files.ranges().size());
  }

  @Test
  void startsOverWhenThePartFileWasDeleted() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v1\"", 6 * CHUNK);
    Files.delete(dir.resolve("data.bin.part"));

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertEquals(SIZE / CHUNK, files.ranges().size());
  }

  @Test
  void failureKeepsPartAndControlFileSoTheNextRunContinues() throws Exception {
    String url = server.url("/data.bin").uri().toString();
    // A server that dies after the first three chunks.
    files.always(Fault.status(500), exchange -> exchange.first() >= 3 * CHUNK);
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(1).maxBytesPerThread(CHUNK).build())
        .maxAttemptsPerChunk(1)
        .build()) {
      DownloadHandle handle = downloader.start(
          DownloadRequest.newBuilder(server.url("/data.bin").uri(), target()).build());
      java.util.concurrent.ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(
          java.util.concurrent.ExecutionException.class, () -> handle.result().get(30, TimeUnit.SECONDS));
      assertEquals(DownloadException.Reason.HTTP_STATUS,
          ((DownloadException) failure.getCause()).reason());
    }
    assertTrue(Files.exists(dir.resolve("data.bin.part")));
    String control = Files.readString(dir.resolve("data.bin.part.rangefetch"), StandardCharsets.ISO_8859_1);
    assertTrue(control.contains("done=0-29999"), control);
    assertTrue(control.contains("url=" + url.replace(":", "\\:")), control);
  }

  @Test
  void closingTheDownloaderKeepsThePartFileAndANewDownloaderContinuesIt() throws Exception {
    files.throttle(2_000, Duration.ofMillis(20));
    java.util.concurrent.CountDownLatch threeChunks = new java.util.concurrent.CountDownLatch(3);
    DownloadListener counting = new DownloadListener() {
      @Override
      public void chunkEnd(DownloadHandle download, ByteRange range) {
        threeChunks.countDown();
      }
    };
    RangeDownloader first = RangeDownloader.newBuilder()
        .limits(Limits.newBuilder().maxThreads(2).maxBytesPerThread(CHUNK).build()).build();
    DownloadHandle handle = first.start(DownloadRequest.newBuilder(server.url("/data.bin").uri(),
        target()).listener(counting).build());
    assertTrue(threeChunks.await(30, TimeUnit.SECONDS));

    first.close();

    assertEquals(DownloadState.CANCELLED, handle.status().state());
    assertTrue(Files.exists(dir.resolve("data.bin.part")));
    String control = Files.readString(dir.resolve("data.bin.part.rangefetch"),
        StandardCharsets.ISO_8859_1);
    assertTrue(control.contains("done=0-"), control);
    int before = files.ranges().size();
    files.fullSpeed();

    AtomicLong continued = new AtomicLong(-1);
    DownloadResult result = download(new DownloadListener() {
      @Override
      public void downloadContinued(DownloadHandle download, long bytesOnDisk) {
        continued.set(bytesOnDisk);
      }
    });

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertTrue(continued.get() >= 3L * CHUNK, "kept " + continued.get());
    List<String> ranges = files.ranges();
    long fetchedAgain = ranges.subList(before + 1, ranges.size()).stream()
        .mapToLong(ContinueFromDiskTest::length).sum();
    assertTrue(fetchedAgain <= SIZE - continued.get(), "only missing bytes: " + ranges);
  }

  private static long length(String range) {
    String[] ends = range.substring("bytes=".length()).split("-");
    return Long.parseLong(ends[1]) - Long.parseLong(ends[0]) + 1;
  }
}
