package io.rangefetch;

import static io.rangefetch.testing.RangeDispatcher.rangeStartingAt;
import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.DirectoryWatch;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.RecordingDownloadListener;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints come at most once per {@code checkpointInterval}; pause, close and failures record
 * at once; a crash before the first checkpoint still leaves a part file the next run takes.
 */
class CheckpointIntervalTest {
  private static final byte[] CONTENT = SeededBytes.of(8 * CHUNK, 11);
  private static final Duration AN_HOUR = Duration.ofHours(1);
  private static final Duration FEW_SECONDS = Duration.ofSeconds(5);
  private static final String THREE_CHUNKS = "0-" + (3L * CHUNK - 1);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;
  private RangeDispatcher files;
  private final RecordingDownloadListener listener = new RecordingDownloadListener();

  @BeforeEach
  void serve() {
    files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
  }

  private URI url() {
    return server.url("/file.bin").uri();
  }

  private Path controlFile() {
    return dir.resolve("file.bin.part.rangefetch");
  }

  /** A read timeout far longer than any test waits, so a stall ends only by pause or close. */
  private static RangeDownloader.Builder downloader(Duration checkpointInterval) {
    return TestDownloaders.newBuilder().readTimeout(Duration.ofSeconds(60))
        .checkpointInterval(checkpointInterval);
  }

  /**
   * Starts a one-thread download into {@link #dir} whose origin sends three chunks and then
   * stalls on the fourth, and returns once the fourth is asked for and the third has ended: the
   * first three are then written and handed to the checkpointer. (The fourth may be asked for
   * while the third is still arriving: it is sent ahead on the same connection.)
   */
  private DownloadHandle startStallingAfterThreeChunks(RangeDownloader downloader)
      throws Exception {
    files.inject(Fault.stall(), rangeStartingAt(3L * CHUNK), 1);
    DownloadHandle download = downloader.start(DownloadRequest.newBuilder(url(), dir)
        .ifExists(IfExists.RENAME).threads(1).listener(listener).build());
    assertNotNull(files.awaitRequest(rangeStartingAt(3L * CHUNK), Outcome.PATIENCE),
        files.exchanges()::toString);
    listener.await(e -> e.name().equals("chunkEnd") && e.range().first() == 2L * CHUNK,
        "the third chunk's end", Outcome.PATIENCE);
    return download;
  }

  @Test
  void aLongIntervalRecordsNothingWhileDownloadingAndPauseRecordsAtOnce() throws Exception {
    try (RangeDownloader downloader = downloader(AN_HOUR).build()) {
      // given three chunks written, well within the interval
      DownloadHandle download = startStallingAfterThreeChunks(downloader);

      // then the control file marks the part file as this URL's but lists nothing yet
      Properties early = read(controlFile());
      assertEquals(url().toString(), early.getProperty("url"));
      assertEquals("", early.getProperty("done"));

      // when paused, then the chunks are recorded by the time listeners hear of it, durably:
      // the live record, which says nothing more, is gone
      download.pause();
      listener.await("downloadPaused", FEW_SECONDS);
      assertEquals(THREE_CHUNKS, read(controlFile()).getProperty("done"));
      assertEquals(List.of("file.bin.part", "file.bin.part.rangefetch"), namesInDir());
    }
  }

  @Test
  void aLongIntervalStillRecordsWhenTheDownloaderCloses() throws Exception {
    try (RangeDownloader downloader = downloader(AN_HOUR).build()) {
      // given three chunks written, well within the interval
      startStallingAfterThreeChunks(downloader);
      assertEquals("", read(controlFile()).getProperty("done"));

      // when
      downloader.close();

      // then
      assertEquals(THREE_CHUNKS, read(controlFile()).getProperty("done"));
      assertTrue(Files.exists(dir.resolve("file.bin.part")), "the part file is kept");
    }
  }

  @Test
  void anIntervalRecordsFinishedChunksOnceItHasPassed() throws Exception {
    try (RangeDownloader downloader = downloader(Duration.ofMillis(200)).build()) {
      // given three chunks written, and no pause
      startStallingAfterThreeChunks(downloader);

      // then a checkpoint records them
      assertTrue(awaitDone(controlFile(), THREE_CHUNKS), () -> "done=" + doneOf(controlFile()));
    }
  }

  @Test
  void zeroIntervalRecordsEachChunkWithoutWaiting() throws Exception {
    try (RangeDownloader downloader = downloader(Duration.ZERO).build()) {
      // given three chunks written, and no pause
      startStallingAfterThreeChunks(downloader);

      // then checkpoints record them
      assertTrue(awaitDone(controlFile(), THREE_CHUNKS), () -> "done=" + doneOf(controlFile()));
    }
  }

  @Test
  void aLongIntervalLeavesNothingButTheFileOfADownloadSmallerThanAChunk() throws Exception {
    // given
    byte[] small = SeededBytes.of(CHUNK / 2, 12);
    server.setDispatcher(new RangeDispatcher(small));

    // when
    try (RangeDownloader downloader = downloader(AN_HOUR).build()) {
      Outcome.of(downloader.start(DownloadRequest.newBuilder(url(), dir).build())).completed();
    }

    // then
    assertEquals(List.of("file.bin"), namesInDir());
    assertEquals(Sha256.of(small), Sha256.of(dir.resolve("file.bin")));
  }

  @Test
  void aCrashBeforeTheFirstCheckpointIsContinuedInTheSameFile() throws Exception {
    // given what a crash before the first checkpoint leaves: a part file with three chunks,
    // and a control file that lists nothing
    byte[] part;
    byte[] control;
    try (RangeDownloader downloader = downloader(AN_HOUR).build()) {
      DownloadHandle first = startStallingAfterThreeChunks(downloader);
      part = Files.readAllBytes(dir.resolve("file.bin.part"));
      control = Files.readAllBytes(controlFile());
      first.cancel();
      assertTrue(Outcome.of(first).cancelled());
    }
    Files.write(dir.resolve("file.bin.part"), part);
    Files.write(controlFile(), control);
    assertEquals("", read(controlFile()).getProperty("done"));

    // when the same URL is downloaded into the same directory, renaming rather than replacing
    try (RangeDownloader downloader = downloader(AN_HOUR).build()) {
      DownloadResult result = Outcome.of(downloader.start(DownloadRequest.newBuilder(url(), dir)
          .ifExists(IfExists.RENAME).build())).completed();

      // then it writes the same file, not "file (1).bin" beside a stale part file
      assertEquals(dir.resolve("file.bin"), result.file());
    }
    assertEquals(List.of("file.bin"), namesInDir());
    assertArrayEquals(CONTENT, Files.readAllBytes(dir.resolve("file.bin")));
  }

  private List<String> namesInDir() throws IOException {
    try (var listing = Files.list(dir)) {
      return listing.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static Properties read(Path control) throws IOException {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(control)) {
      properties.load(in);
    }
    return properties;
  }

  private static String doneOf(Path control) {
    try {
      return read(control).getProperty("done");
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /**
   * Waits until the control file lists exactly {@code done}, woken by the file system each time
   * the file is replaced; false after {@link Outcome#PATIENCE}.
   */
  private static boolean awaitDone(Path control, String done) throws Exception {
    return DirectoryWatch.await(control.getParent(), Outcome.PATIENCE,
        () -> done.equals(doneOf(control)));
  }
}
