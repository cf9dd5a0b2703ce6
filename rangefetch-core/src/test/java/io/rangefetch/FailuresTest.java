package io.rangefetch;

import static io.rangefetch.testing.RangeDispatcher.anyRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Framing;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Failures that retrying cannot fix end at once, with a message a person can act on. */
class FailuresTest extends ServedFileTest {
  private static final byte[] CONTENT = SeededBytes.of(300 * 1024, 5);

  private RangeDispatcher files;
  private Path target;

  @BeforeEach
  void serveContent() {
    files = serve(CONTENT);
    target = dir.resolve("file.bin");
  }

  private Outcome<DownloadResult> download(RangeDownloader.Builder builder,
      DownloadRequest.Builder request) {
    try (RangeDownloader downloader = builder.build()) {
      return Outcome.of(downloader.start(request.build()));
    }
  }

  /** Removes thousands separators so "307,200" and "307 200" read as 307200. */
  private static String digitsOf(String message) {
    return message.replaceAll("(?<=\\d)[,_ .'\u00a0\u202f](?=\\d{3})", "");
  }

  @ParameterizedTest(name = "{0} fails at once")
  @ValueSource(ints = {404, 401, 403, 410})
  void clientErrorFailsAtOnceWithoutRetries(int status) throws Exception {
    // given
    files.always(Fault.status(status), anyRequest());

    // when
    DownloadException failure = download(TestDownloaders.newBuilder(),
        DownloadRequest.newBuilder(uri(), target)).failed();

    // then
    assertEquals(Reason.HTTP_STATUS, failure.reason(), failure::getMessage);
    assertEquals(status, failure.statusCode());
    assertTrue(failure.getMessage().contains(String.valueOf(status)), failure::getMessage);
    assertEquals(1, files.exchanges().size(), files.exchanges()::toString);
    assertDirectoryEmpty();
  }

  @Test
  void fileOverMaxFileBytesIsRefusedBeforeAnythingIsWritten() throws Exception {
    // given a ceiling below the file's size
    long ceiling = 100_000;

    // when
    DownloadException failure = download(
        TestDownloaders.newBuilder().limits(
            TestDownloaders.smallLimits().toBuilder().maxFileBytes(ceiling).build()),
        DownloadRequest.newBuilder(uri(), target)).failed();

    // then
    assertEquals(Reason.TOO_LARGE, failure.reason(), failure::getMessage);
    String digits = digitsOf(failure.getMessage());
    assertTrue(digits.contains(String.valueOf(CONTENT.length))
        || digits.contains(String.valueOf(ceiling)), failure::getMessage);
    assertDirectoryEmpty();
  }

  @Test
  void streamOverMaxFileBytesIsRefusedBeforeAnythingIsWritten() throws Exception {
    // given a server that ignores Range: its 200 announces the size in Content-Length
    files.ignoreRange();

    // when
    DownloadException failure = download(
        TestDownloaders.newBuilder().limits(
            TestDownloaders.smallLimits().toBuilder().maxFileBytes(100_000).build()),
        DownloadRequest.newBuilder(uri(), target)).failed();

    // then
    assertEquals(Reason.TOO_LARGE, failure.reason(), failure::getMessage);
    assertDirectoryEmpty();
  }

  @Test
  void wrongExpectedChecksumFailsAndRemovesTheFile() throws Exception {
    // given
    String wrong = "0".repeat(64);

    // when
    DownloadException failure = download(TestDownloaders.newBuilder(),
        DownloadRequest.newBuilder(uri(), target).sha256(wrong)).failed();

    // then
    assertEquals(Reason.CHECKSUM_MISMATCH, failure.reason(), failure::getMessage);
    assertFalse(failure.partFileKept(), "a wrong file is not kept to be continued");
    assertTrue(failure.getMessage().contains(Sha256.of(CONTENT))
        || failure.getMessage().contains(wrong), failure::getMessage);
    assertDirectoryEmpty();
  }

  @Test
  void expectedChecksumInUpperCaseIsAccepted() throws Exception {
    // when
    DownloadResult result = download(TestDownloaders.newBuilder(),
        DownloadRequest.newBuilder(uri(), target).sha256(Sha256.of(CONTENT).toUpperCase()))
        .completed();

    // then
    assertEquals(Sha256.of(CONTENT), result.sha256());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void failureMessageNamesTheUrl() {
    // given
    files.always(Fault.status(404), anyRequest());

    // when
    DownloadException failure = download(TestDownloaders.newBuilder(),
        DownloadRequest.newBuilder(uri(), target)).failed();

    // then
    assertTrue(failure.getMessage().contains("/file.bin"), failure::getMessage);
    assertEquals(uri(), failure.uri());
  }

  @Test
  void startAfterCloseIsRejected() {
    // given
    RangeDownloader downloader = TestDownloaders.newBuilder().build();
    downloader.close();

    // when / then
    DownloadRequest request = DownloadRequest.newBuilder(uri(), target).build();
    IllegalStateException e = assertThrows(
        IllegalStateException.class, () -> downloader.start(request));
    assertTrue(files.exchanges().isEmpty(), files.exchanges()::toString);
    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
  }

  @Test
  void addressRefusedByTheFilterIsNeverContacted() throws Exception {
    // given a downloader that refuses loopback addresses, and a server on loopback
    RangeDownloader.Builder builder =
        TestDownloaders.newBuilder().addressFilter(address -> !address.isLoopbackAddress());

    // when
    DownloadException failure = download(builder, DownloadRequest.newBuilder(uri(), target))
        .failed();

    // then
    assertEquals(Reason.ADDRESS_REFUSED, failure.reason(), failure::getMessage);
    assertTrue(files.exchanges().isEmpty(), files.exchanges()::toString);
    assertDirectoryEmpty();
  }

  @Test
  void redirectToARefusedAddressIsNeverFollowed() throws Exception {
    // given a redirect to a second server on 127.0.0.2, an address the filter refuses
    try (MockWebServer other = new MockWebServer()) {
      other.start(InetAddress.getByName("127.0.0.2"), 0);
      RangeDispatcher otherFiles = new RangeDispatcher(CONTENT);
      other.setDispatcher(otherFiles);
      files.redirect("/file.bin", 302, "http://127.0.0.2:" + other.getPort() + "/file.bin");
      RangeDownloader.Builder builder = TestDownloaders.newBuilder()
          .addressFilter(address -> !address.getHostAddress().equals("127.0.0.2"));

      // when
      DownloadException failure = download(builder, DownloadRequest.newBuilder(uri(), target))
          .failed();

      // then
      assertEquals(Reason.ADDRESS_REFUSED, failure.reason(), failure::getMessage);
      assertTrue(otherFiles.exchanges().isEmpty(), otherFiles.exchanges()::toString);
      assertDirectoryEmpty();
    }
  }

  @Test
  void bodyGrowingPastMaxFileBytesIsCutOff() throws Exception {
    // given a chunked body without a length, larger than the ceiling
    files.ignoreRange().wholeBodyFraming(Framing.CHUNKED);

    // when
    DownloadException failure = download(
        TestDownloaders.newBuilder().limits(
            TestDownloaders.smallLimits().toBuilder().maxFileBytes(100_000).build()),
        DownloadRequest.newBuilder(uri(), target)).failed();

    // then
    assertEquals(Reason.TOO_LARGE, failure.reason(), failure::getMessage);
    assertDirectoryEmpty();
  }

  @Test
  void twoDownloadsToTheSameFileNeverShareIt() throws Exception {
    // given a slow server, and two downloads of it to one target
    files.throttle(16 * 1024, Duration.ofMillis(10));
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadHandle first = downloader.start(DownloadRequest.newBuilder(uri(), target).build());
      DownloadHandle second = downloader.start(DownloadRequest.newBuilder(uri(), target).build());

      // when
      Outcome<DownloadResult> one = Outcome.of(first);
      Outcome<DownloadResult> two = Outcome.of(second);

      // then one of them gets the file, the other is told the file is taken
      assertTrue(one.succeeded() != two.succeeded(), () -> one + " / " + two);
      DownloadException failure = one.succeeded() ? two.failed() : one.failed();
      assertEquals(Reason.FILE_EXISTS, failure.reason(), failure::getMessage);
      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    }
  }

  @ParameterizedTest(name = "{0} on a later chunk fails at once")
  @ValueSource(ints = {404, 403, 410})
  void clientErrorOnALaterChunkFailsAtOnceWithoutRetries(int status) throws Exception {
    // given the file answers its first request, then the third chunk is gone
    long third = 2L * TestDownloaders.CHUNK;
    files.always(Fault.status(status), RangeDispatcher.rangeStartingWithin(third,
        third + TestDownloaders.CHUNK - 1));

    // when
    DownloadException failure = download(TestDownloaders.newBuilder(),
        DownloadRequest.newBuilder(uri(), target)).failed();

    // then
    assertEquals(Reason.HTTP_STATUS, failure.reason(), failure::getMessage);
    assertEquals(status, failure.statusCode());
    assertEquals(1, files.rangedExchanges().stream().filter(e -> e.first() == third).count(),
        files.exchanges()::toString);
    assertTrue(!Files.exists(target), "a failed download left a file under the final name");
    // what was written before is kept, and the failure says so
    assertEquals(Files.exists(dir.resolve("file.bin.part")), failure.partFileKept(),
        failure::getMessage);
  }

  @Test
  void aFailureAfterSomeChunksKeepsThePartFileAndSaysSo() throws Exception {
    // given the first chunks are served, then every request for the last chunk fails with 503
    long last = CONTENT.length - 1;
    files.always(Fault.status(503), RangeDispatcher.rangeStartingWithin(
        CONTENT.length - TestDownloaders.CHUNK, last));

    // when
    DownloadException failure = download(TestDownloaders.newBuilder().maxAttemptsPerChunk(2)
            .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20)),
        DownloadRequest.newBuilder(uri(), target).threads(1)).failed();

    // then the bytes written are kept with their record, for a later run to continue
    assertEquals(Reason.HTTP_STATUS, failure.reason(), failure::getMessage);
    assertTrue(failure.partFileKept(), failure::getMessage);
    assertTrue(Files.exists(dir.resolve("file.bin.part")), "the part file is on disk");
    assertTrue(Files.exists(dir.resolve("file.bin.part.rangefetch")), "with its record");
  }
}
