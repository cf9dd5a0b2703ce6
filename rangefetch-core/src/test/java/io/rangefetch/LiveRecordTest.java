package io.rangefetch;

import static io.rangefetch.testing.RangeDispatcher.rangeStartingAt;
import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rangefetch.testing.DirectoryWatch;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The live record lists each finished chunk without a disk sync; after the process dies, a run
 * in the same boot continues from it, and a run after a reboot, or with a torn record, from the
 * durable control file alone.
 */
class LiveRecordTest {
  private static final byte[] CONTENT = SeededBytes.of(8 * CHUNK, 21);
  private static final Duration AN_HOUR = Duration.ofHours(1);
  private static final String THREE_CHUNKS = "0-" + (3L * CHUNK - 1);
  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;
  private final AtomicLong continuedFrom = new AtomicLong(-1);

  @BeforeEach
  void onlyWhereBootsAreToldApart() {
    assumeTrue(Files.isReadable(BOOT_ID), "the system tells no boot id: no live record");
  }

  private URI url() {
    return server.url("/file.bin").uri();
  }

  private Path part() {
    return dir.resolve("file.bin.part");
  }

  private Path controlFile() {
    return dir.resolve("file.bin.part.rangefetch");
  }

  private Path liveRecord() {
    return dir.resolve("file.bin.part.rangefetch-live");
  }

  /** A read timeout far longer than any test waits, so a stall ends only by the cancel. */
  private static RangeDownloader downloader(Duration checkpointInterval) {
    return TestDownloaders.newBuilder().readTimeout(Duration.ofSeconds(60))
        .checkpointInterval(checkpointInterval).build();
  }

  /**
   * Leaves in {@link #dir} what a process killed during a one-thread download leaves once three
   * chunks are written and the fourth stalls: a part file, a control file that lists nothing
   * (its first checkpoint is an hour away), and a live record that lists the three chunks.
   * The files are copied aside while the download runs and put back after it is cancelled.
   */
  private void leaveWhatAProcessDeathLeaves() throws Exception {
    RangeDispatcher stalling = new RangeDispatcher(CONTENT);
    stalling.inject(Fault.stall(), rangeStartingAt(3L * CHUNK), 1);
    server.setDispatcher(stalling);
    try (RangeDownloader downloader = downloader(AN_HOUR)) {
      DownloadHandle first = downloader.start(DownloadRequest.newBuilder(url(), dir)
          .threads(1).build());
      assertNotNull(stalling.awaitRequest(rangeStartingAt(3L * CHUNK), Outcome.PATIENCE),
          stalling.exchanges()::toString);
      assertTrue(DirectoryWatch.await(dir, Outcome.PATIENCE,
          () -> THREE_CHUNKS.equals(writtenIn(liveRecord()))),
          () -> "the live record lists " + writtenIn(liveRecord()));
      assertEquals("", done(), "no durable checkpoint within the interval");
      // The record first: the part file holds at least what it lists.
      byte[] live = Files.readAllBytes(liveRecord());
      byte[] partBytes = Files.readAllBytes(part());
      byte[] control = Files.readAllBytes(controlFile());
      first.cancel();
      assertTrue(Outcome.of(first).cancelled());
      Files.write(part(), partBytes);
      Files.write(controlFile(), control);
      Files.write(liveRecord(), live);
    }
  }

  /** Downloads the file again from a healthy origin, and returns what it was asked for. */
  private List<Exchange> continueDownload() throws Exception {
    RangeDispatcher healthy = new RangeDispatcher(CONTENT);
    server.setDispatcher(healthy);
    try (RangeDownloader downloader = downloader(AN_HOUR)) {
      DownloadResult result = Outcome.of(downloader.start(DownloadRequest.newBuilder(url(), dir)
          .listener(new DownloadListener() {
            @Override
            public void downloadContinued(DownloadHandle download, long bytesOnDisk) {
              continuedFrom.set(bytesOnDisk);
            }
          }).build())).completed();
      assertEquals(dir.resolve("file.bin"), result.file());
    }
    assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve("file.bin")));
    assertEquals(List.of("file.bin"), namesInDir());
    return healthy.rangedExchanges();
  }

  @Test
  void aProcessDeathLosesOnlyTheChunksInFlight() throws Exception {
    // given
    leaveWhatAProcessDeathLeaves();

    // when
    List<Exchange> asked = continueDownload();

    // then the probe asks for chunk 0, whose body is dropped, and nothing else before chunk 3
    assertEquals(3L * CHUNK, continuedFrom.get());
    assertEquals(0, asked.get(0).first());
    assertEquals(List.of(), asked.subList(1, asked.size()).stream()
        .filter(e -> e.first() < 3L * CHUNK).map(Exchange::range).toList());
  }

  @Test
  void aLiveRecordFromAnotherBootIsIgnored() throws Exception {
    // given the live record of a boot before this one, and chunk 1 in a durable checkpoint
    leaveWhatAProcessDeathLeaves();
    writeLiveRecord("00000000-0000-4000-8000-000000000000", THREE_CHUNKS);
    setDone(CHUNK + "-" + (2L * CHUNK - 1));

    // when
    List<Exchange> asked = continueDownload();

    // then only chunk 1 is kept: chunks 0 and 2 are fetched again
    assertEquals(CHUNK, continuedFrom.get());
    assertEquals(List.of(0L, 2L * CHUNK), asked.stream().map(Exchange::first)
        .filter(first -> first < 3L * CHUNK).sorted().toList());
  }

  @Test
  void aTornLiveRecordIsIgnored() throws Exception {
    // given a live record cut in the middle, as by a process dying while writing it
    leaveWhatAProcessDeathLeaves();
    byte[] whole = Files.readAllBytes(liveRecord());
    Files.write(liveRecord(), Arrays.copyOf(whole, whole.length / 2));

    // when
    List<Exchange> asked = continueDownload();

    // then nothing counts as on disk: every chunk is fetched again, and the file is right
    assertEquals(-1, continuedFrom.get(), "nothing continued");
    assertEquals(List.of(0L, (long) CHUNK, 2L * CHUNK), asked.stream().map(Exchange::first)
        .filter(first -> first < 3L * CHUNK).sorted().toList());
  }

  @Test
  void aLiveRecordOfThisBootWithAWrongChecksumIsIgnored() throws Exception {
    // given a record of this boot that lists more than its checksum covers
    leaveWhatAProcessDeathLeaves();
    String record = Files.readString(liveRecord(), StandardCharsets.US_ASCII);
    Files.writeString(liveRecord(), record.replace("written=" + THREE_CHUNKS,
        "written=0-" + (5L * CHUNK - 1)), StandardCharsets.US_ASCII);

    // when
    List<Exchange> asked = continueDownload();

    // then chunks 1 to 4 are fetched again
    assertEquals(-1, continuedFrom.get(), "nothing continued");
    assertEquals(List.of((long) CHUNK, 2L * CHUNK, 3L * CHUNK, 4L * CHUNK), asked.stream()
        .map(Exchange::first).filter(first -> first > 0 && first < 5L * CHUNK).sorted()
        .toList());
  }

  @ParameterizedTest(name = "checkpointInterval {0} ms")
  @ValueSource(longs = {0, 3_600_000})
  void completionLeavesNeitherControlFileNorLiveRecord(long intervalMillis) throws Exception {
    // given checkpoints per chunk, some of them running as the download ends, or none at all
    server.setDispatcher(new RangeDispatcher(CONTENT));

    // when
    try (RangeDownloader downloader = downloader(Duration.ofMillis(intervalMillis))) {
      Outcome.of(downloader.start(DownloadRequest.newBuilder(url(), dir).build())).completed();
    }

    // then
    assertEquals(List.of("file.bin"), namesInDir());
    assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve("file.bin")));
  }

  /** The {@code written} ranges of a live record, or "" when there is none yet. */
  private static String writtenIn(Path live) {
    try {
      return Files.readAllLines(live, StandardCharsets.US_ASCII).stream()
          .filter(line -> line.startsWith("written=")).findFirst()
          .map(line -> line.substring("written=".length())).orElse("");
    } catch (IOException e) {
      return "";
    }
  }

  /** Writes a well-formed live record, as rangefetch writes it, for another boot id. */
  private void writeLiveRecord(String bootId, String written) throws IOException {
    String body = "rangefetch-live-1\nboot=" + bootId + "\nwritten=" + written + "\n";
    CRC32C crc = new CRC32C();
    crc.update(body.getBytes(StandardCharsets.US_ASCII));
    String checksum = HexFormat.of().toHexDigits((int) crc.getValue());
    Files.writeString(liveRecord(), body + "crc32c=" + checksum + "\n",
        StandardCharsets.US_ASCII);
  }

  private String done() throws IOException {
    return controlProperties().getProperty("done");
  }

  private void setDone(String done) throws IOException {
    Properties control = controlProperties();
    control.setProperty("done", done);
    try (var out = Files.newOutputStream(controlFile())) {
      control.store(out, null);
    }
  }

  private Properties controlProperties() throws IOException {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(controlFile())) {
      properties.load(in);
    }
    return properties;
  }

  private List<String> namesInDir() throws IOException {
    try (var listing = Files.list(dir)) {
      return listing.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
