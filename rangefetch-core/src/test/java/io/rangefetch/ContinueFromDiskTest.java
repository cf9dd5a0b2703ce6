package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A part file and control file left by an earlier run are continued, or safely ignored. */
class ContinueFromDiskTest {
  private static final int SIZE = 100_000;
  private static final int CHUNK = 10_000;

  @TempDir Path dir;
  private final MockWebServer server = new MockWebServer();
  private final List<String> ranges = new CopyOnWriteArrayList<>();
  private volatile byte[] content = new byte[SIZE];
  private volatile String etag = "\"v1\"";
  private volatile boolean throttle;

  @BeforeEach
  void start() throws Exception {
    new Random(7).nextBytes(content);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        String range = request.getHeaders().get("Range");
        ranges.add(String.valueOf(range));
        byte[] body = content;
        String[] ends = range.substring("bytes=".length()).split("-");
        int first = Integer.parseInt(ends[0]);
        int last = Math.min(Integer.parseInt(ends[1]), body.length - 1);
        MockResponse.Builder response = new MockResponse.Builder().code(206)
            .setHeader("Content-Range", "bytes " + first + "-" + last + "/" + body.length)
            .setHeader("ETag", etag)
            .body(new Buffer().write(body, first, last - first + 1));
        if (throttle) {
          response.throttleBody(2_000, 20, TimeUnit.MILLISECONDS);
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

  private Path target() {
    return dir.resolve("data.bin");
  }

  /** Writes what a run killed after chunks 0, 1 and 5 would leave, with a control file for it. */
  private void leaveEarlierRun(String url, String savedEtag, int partBytes) throws Exception {
    byte[] part = new byte[6 * CHUNK];
    System.arraycopy(content, 0, part, 0, 2 * CHUNK);
    System.arraycopy(content, 5 * CHUNK, part, 5 * CHUNK, CHUNK);
    Files.write(dir.resolve("data.bin.part"), Arrays.copyOf(part, partBytes));
    String control = "format=rangefetch-control-1\n"
        + "url=" + url.replace(":", "\\:") + "\n"
        + "finalUrl=" + url.replace(":", "\\:") + "\n"
        + "size=" + SIZE + "\n"
        + "etag=" + savedEtag + "\n"
        + "lastModified=\n"
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

    assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
    assertEquals(3L * CHUNK, continued.get());
    // The probe asks for chunk 0, which is on disk: its body is dropped, then 7 chunks follow.
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

    assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
    assertEquals(SIZE / CHUNK, ranges.size(), "every chunk fetched again: " + ranges);
  }

  @Test
  void startsOverWhenTheControlFileBelongsToAnotherUrl() throws Exception {
    leaveEarlierRun("http://elsewhere.example/data.bin", "\"v1\"", 6 * CHUNK);

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
    assertEquals(SIZE / CHUNK, ranges.size());
  }

  @Test
  void startsOverWhenTheControlFileIsGarbled() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v1\"", 6 * CHUNK);
    Path control = dir.resolve("data.bin.part.rangefetch");
    byte[] bytes = Files.readAllBytes(control);
    Files.write(control, Arrays.copyOf(bytes, bytes.length / 2));

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
    assertEquals(SIZE / CHUNK, ranges.size());
  }

  @Test
  void startsOverWhenThePartFileIsShorterThanTheControlFileClaims() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v1\"", 3 * CHUNK);

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
    assertEquals(SIZE / CHUNK, ranges.size());
  }

  @Test
  void startsOverWhenThePartFileWasDeleted() throws Exception {
    leaveEarlierRun(server.url("/data.bin").uri().toString(), "\"v1\"", 6 * CHUNK);
    Files.delete(dir.resolve("data.bin.part"));

    DownloadResult result = download(DownloadListener.NONE);

    assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
    assertEquals(SIZE / CHUNK, ranges.size());
  }

  @Test
  void failureKeepsPartAndControlFileSoTheNextRunContinues() throws Exception {
    String url = server.url("/data.bin").uri().toString();
    // A server that dies after the first three chunks.
    byte[] original = content;
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        String range = request.getHeaders().get("Range");
        ranges.add(String.valueOf(range));
        int first = Integer.parseInt(range.substring("bytes=".length()).split("-")[0]);
        if (first >= 3 * CHUNK) {
          return new MockResponse.Builder().code(500).body("down").build();
        }
        int last = first + CHUNK - 1;
        return new MockResponse.Builder().code(206)
            .setHeader("Content-Range", "bytes " + first + "-" + last + "/" + SIZE)
            .setHeader("ETag", "\"v1\"")
            .body(new Buffer().write(original, first, CHUNK))
            .build();
      }
    });
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
    throttle = true;
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
    int before = ranges.size();
    throttle = false;

    AtomicLong continued = new AtomicLong(-1);
    DownloadResult result = download(new DownloadListener() {
      @Override
      public void downloadContinued(DownloadHandle download, long bytesOnDisk) {
        continued.set(bytesOnDisk);
      }
    });

    assertEquals(sha256(content), sha256(Files.readAllBytes(result.file())));
    assertTrue(continued.get() >= 3L * CHUNK, "kept " + continued.get());
    long fetchedAgain = ranges.subList(before + 1, ranges.size()).stream()
        .mapToLong(ContinueFromDiskTest::length).sum();
    assertTrue(fetchedAgain <= SIZE - continued.get(), "only missing bytes: " + ranges);
  }

  private static long length(String range) {
    String[] ends = range.substring("bytes=".length()).split("-");
    return Long.parseLong(ends[1]) - Long.parseLong(ends[0]) + 1;
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
