package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.RecordingDownloadListener;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A name from the server becomes a plain, safe name inside the target directory. */
class FileNamesTest {
  private static final byte[] CONTENT = SeededBytes.of(100 * 1024, 8);
  private static final byte[] OLD = SeededBytes.of(1000, 80);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path root;
  private Path downloads;
  private RangeDispatcher files;

  @BeforeEach
  void serveContent() throws Exception {
    files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
    downloads = Files.createDirectory(root.resolve("downloads"));
  }

  private Outcome<DownloadResult> download(String path, Path target, IfExists ifExists) {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      return Outcome.of(downloader.start(DownloadRequest
          .newBuilder(server.url(path).uri(), target).ifExists(ifExists).build()));
    }
  }

  private Outcome<DownloadResult> downloadInto(Path directory, IfExists ifExists) {
    return download("/files/file.bin", directory, ifExists);
  }

  private static List<String> namesIn(Path directory) throws Exception {
    try (Stream<Path> listing = Files.list(directory)) {
      return listing.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static Stream<Arguments> hostileDispositions() {
    return Stream.of(
        Arguments.of("parent path", "attachment; filename=\"../../evil.txt\""),
        Arguments.of("absolute path", "attachment; filename=\"/etc/passwd\""),
        Arguments.of("subdirectory", "attachment; filename=\"a/b.txt\""),
        Arguments.of("backslashes", "attachment; filename=\"..\\\\..\\\\evil.txt\""),
        Arguments.of("dot dot", "attachment; filename=\"..\""),
        Arguments.of("control characters", "attachment; filename=\"a\u0001b\u001fc\u007f.txt\""),
        Arguments.of("1000 characters", "attachment; filename=\"" + "n".repeat(1000) + ".txt\""),
        Arguments.of("1000 bytes of UTF-8",
            "attachment; filename*=UTF-8''" + "%C3%A9".repeat(500) + ".txt"),
        Arguments.of("encoded parent path", "attachment; filename*=UTF-8''..%2F..%2Fevil.txt"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileDispositions")
  void hostileContentDispositionLandsInsideTheDirectoryWithAPlainName(String what,
      String disposition) throws Exception {
    // given
    files.contentDisposition(disposition);

    // when
    DownloadResult result = downloadInto(downloads, IfExists.FAIL).completed();

    // then
    Path file = result.file();
    assertEquals(downloads.toRealPath(), file.getParent().toRealPath());
    assertSafePlainName(file.getFileName().toString());
    assertEquals(List.of(file.getFileName().toString()), namesIn(downloads));
    assertEquals(List.of("downloads"), namesIn(root), "nothing may land outside the directory");
    assertEquals(Sha256.of(CONTENT), Sha256.of(file));
  }

  private static void assertSafePlainName(String name) {
    assertFalse(name.isBlank(), "blank name");
    assertFalse(name.contains("/") || name.contains("\\"), () -> "separator in " + name);
    assertFalse(name.contains(".."), () -> "'..' in " + name);
    assertTrue(name.chars().noneMatch(c -> c < 0x20 || c == 0x7f),
        () -> "control character in " + name.replaceAll("\\p{Cntrl}", "?"));
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    assertTrue(bytes <= 255, () -> "name of " + bytes + " bytes");
  }

  @Test
  void extendedFileNameIsDecodedFromUtf8() throws Exception {
    // given
    files.contentDisposition("attachment; filename*=UTF-8''na%C3%AFve.txt");

    // when
    DownloadResult result = downloadInto(downloads, IfExists.FAIL).completed();

    // then
    assertEquals("na\u00efve.txt", result.file().getFileName().toString());
    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
  }

  @Test
  void extendedFileNameWinsOverThePlainOne() throws Exception {
    // given both forms, as RFC 6266 allows
    files.contentDisposition(
        "attachment; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve.txt");

    // when
    DownloadResult result = downloadInto(downloads, IfExists.FAIL).completed();

    // then
    assertEquals("na\u00efve.txt", result.file().getFileName().toString());
  }

  @Test
  void nameComesFromTheUrlPathWithoutContentDisposition() throws Exception {
    // when
    DownloadResult result = download("/files/report.pdf?x=1", downloads, IfExists.FAIL)
        .completed();

    // then
    assertEquals(downloads.resolve("report.pdf").toRealPath(), result.file().toRealPath());
    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
  }

  @Test
  void nameFromTheUrlIsPercentDecoded() throws Exception {
    // when
    DownloadResult result = download("/files/q3%20report%2Bnotes.pdf", downloads, IfExists.FAIL)
        .completed();

    // then
    assertEquals("q3 report+notes.pdf", result.file().getFileName().toString());
  }

  @Test
  void encodedSlashesInTheUrlNeverLeaveTheDirectory() throws Exception {
    // when
    DownloadResult result = download("/files/..%2F..%2Fevil.txt", downloads, IfExists.FAIL)
        .completed();

    // then
    assertEquals(downloads.toRealPath(), result.file().getParent().toRealPath());
    assertSafePlainName(result.file().getFileName().toString());
    assertEquals(List.of("downloads"), namesIn(root));
  }

  @Test
  void urlWithoutANameGivesDownload() throws Exception {
    // when
    DownloadResult result = download("/", downloads, IfExists.FAIL).completed();

    // then
    assertEquals("download", result.file().getFileName().toString());
  }

  @Test
  void existingFileWithFailIsLeftUnchanged() throws Exception {
    // given
    Path target = downloads.resolve("data.bin");
    Files.write(target, OLD);

    // when
    DownloadException failure = download("/data.bin", target, IfExists.FAIL).failed();

    // then
    assertEquals(Reason.FILE_EXISTS, failure.reason(), failure::getMessage);
    assertTrue(failure.getMessage().contains("data.bin"), failure::getMessage);
    assertArrayEquals(OLD, Files.readAllBytes(target));
    assertEquals(List.of("data.bin"), namesIn(downloads));
  }

  @Test
  void existingFileInTheDirectoryWithFailIsLeftUnchanged() throws Exception {
    // given the name the server gives is taken
    files.contentDisposition("attachment; filename=\"data.bin\"");
    Files.write(downloads.resolve("data.bin"), OLD);

    // when
    DownloadException failure = downloadInto(downloads, IfExists.FAIL).failed();

    // then
    assertEquals(Reason.FILE_EXISTS, failure.reason(), failure::getMessage);
    assertArrayEquals(OLD, Files.readAllBytes(downloads.resolve("data.bin")));
    assertEquals(List.of("data.bin"), namesIn(downloads));
  }

  @Test
  void existingFileWithRenameGetsANumberedNameBesideIt() throws Exception {
    // given data.bin and data (1).bin exist
    files.contentDisposition("attachment; filename=\"data.bin\"");
    Files.write(downloads.resolve("data.bin"), OLD);
    Files.write(downloads.resolve("data (1).bin"), OLD);

    // when
    DownloadResult result = downloadInto(downloads, IfExists.RENAME).completed();

    // then
    assertEquals("data (2).bin", result.file().getFileName().toString());
    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    assertArrayEquals(OLD, Files.readAllBytes(downloads.resolve("data.bin")));
    assertArrayEquals(OLD, Files.readAllBytes(downloads.resolve("data (1).bin")));
    assertEquals(List.of("data (1).bin", "data (2).bin", "data.bin"), namesIn(downloads));
  }

  @Test
  void existingFileWithRenameOfAFileTargetGetsANumberedName() throws Exception {
    // given
    Path target = downloads.resolve("data.bin");
    Files.write(target, OLD);

    // when
    DownloadResult result = download("/x", target, IfExists.RENAME).completed();

    // then
    assertEquals(downloads.resolve("data (1).bin").toRealPath(), result.file().toRealPath());
    assertArrayEquals(OLD, Files.readAllBytes(target));
  }

  @Test
  void existingFileWithOverwriteIsReplaced() throws Exception {
    // given
    Path target = downloads.resolve("data.bin");
    Files.write(target, OLD);

    // when
    DownloadResult result = download("/data.bin", target, IfExists.OVERWRITE).completed();

    // then
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertEquals(target.toRealPath(), result.file().toRealPath());
    assertEquals(List.of("data.bin"), namesIn(downloads));
  }

  @Test
  void renameOfALongestNameStaysWithinTheLimit() throws Exception {
    // given a 1000-character name, downloaded once already under its shortened name
    files.contentDisposition("attachment; filename=\"" + "n".repeat(1000) + ".txt\"");
    String first = downloadInto(downloads, IfExists.FAIL).completed().file().getFileName()
        .toString();

    // when downloaded again beside it
    DownloadResult second = downloadInto(downloads, IfExists.RENAME).completed();

    // then the numbered name is safe too, and both files are whole
    String name = second.file().getFileName().toString();
    assertSafePlainName(name);
    assertTrue(!name.equals(first), name);
    assertEquals(List.of(first, name).stream().sorted().toList(), namesIn(downloads));
    assertEquals(Sha256.of(CONTENT), Sha256.of(second.file()));
    assertEquals(Sha256.of(CONTENT), Sha256.of(downloads.resolve(first)));
  }

  @Test
  void aDownloadUnderTheLongestNameCanStillBeContinuedAfterAFailure() throws Exception {
    // given a first run under a 1000-character name that fails for good on its second chunk
    files.contentDisposition("attachment; filename=\"" + "n".repeat(1000) + ".txt\"")
        .inject(Fault.status(404),
            RangeDispatcher.rangeStartingAt(TestDownloaders.CHUNK), 1);
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(downloader.start(DownloadRequest
          .newBuilder(server.url("/files/file.bin").uri(), downloads).threads(1).build()))
          .failed();
    }
    int firstRun = files.exchanges().size();

    // when downloaded again
    RecordingDownloadListener listener = new RecordingDownloadListener();
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      DownloadResult result = Outcome.of(downloader.start(DownloadRequest
          .newBuilder(server.url("/files/file.bin").uri(), downloads).listener(listener).build()))
          .completed();
      assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
    }

    // then the first chunk, kept on disk, was not fetched again
    listener.awaitTerminal(Outcome.PATIENCE);
    assertEquals(List.of(TestDownloaders.CHUNK), listener.named("downloadContinued").stream()
        .map(e -> ((Long) e.args().get(0)).intValue()).toList(), listener.names()::toString);
    assertTrue(files.exchanges().subList(firstRun + 1, files.exchanges().size()).stream()
        .allMatch(e -> e.first() >= TestDownloaders.CHUNK), files.exchanges()::toString);
  }

  @Test
  void aNamedFileIsKnownToTheHandleAtOnce() throws Exception {
    // given a slow server
    files.throttle(8 * 1024, Duration.ofMillis(10));
    Path target = downloads.resolve("chosen.bin");

    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // when a file is named
      DownloadHandle download = downloader.start(
          DownloadRequest.newBuilder(server.url("/a").uri(), target).build());

      // then the handle knows it at once, as DownloadHandle.file() promises
      assertEquals(Optional.of(target.toAbsolutePath()), download.file());
      Outcome.of(download).completed();
    }
  }

  @Test
  void aFileChosenInADirectoryIsKnownToTheHandleAfterTheProbe() throws Exception {
    // given
    files.contentDisposition("attachment; filename=\"named.bin\"");

    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      // when a directory is named
      DownloadHandle download = downloader.start(
          DownloadRequest.newBuilder(server.url("/b").uri(), downloads).build());
      DownloadResult result = Outcome.of(download).completed();

      // then
      assertEquals(downloads.resolve("named.bin").toAbsolutePath(), result.file());
      assertEquals(Optional.of(result.file()), download.file());
    }
  }
}
