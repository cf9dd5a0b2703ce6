package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A target is a file or a directory because the request says so, not because of what exists. */
class TargetKindTest {
  private static final byte[] CONTENT = SeededBytes.of(200_000, 11);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;

  @BeforeEach
  void serveContent() {
    server.setDispatcher(new RangeDispatcher(CONTENT));
  }

  private URI uri() {
    return server.url("/files/data.bin").uri();
  }

  private Outcome<DownloadResult> download(DownloadRequest request) {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      return Outcome.of(downloader.start(request));
    }
  }

  @Test
  void intoDirectoryCreatesAMissingDirectoryAndNamesTheFileFromTheUrl() throws Exception {
    // given a fresh folder without "downloads", as README's example runs in
    Path downloads = dir.resolve("downloads");

    // when
    DownloadResult result = download(DownloadRequest.intoDirectory(uri(), downloads).build())
        .completed();

    // then the directory was made and the file has the URL's name in it
    assertEquals(downloads.resolve("data.bin").toAbsolutePath(),
        result.file().toAbsolutePath());
    assertEquals(Sha256.of(CONTENT), Sha256.of(downloads.resolve("data.bin")));
  }

  @Test
  void toFileOfAnExistingDirectoryFailsAndWritesNothing() throws Exception {
    // given a directory where the caller names a file
    Path taken = Files.createDirectory(dir.resolve("report.pdf"));

    // when
    DownloadException failure = download(DownloadRequest.toFile(uri(), taken).build()).failed();

    // then it says so, and nothing was written into the directory
    assertEquals(DownloadException.Reason.FILE_EXISTS, failure.reason(), failure::getMessage);
    assertTrue(failure.getMessage().contains("intoDirectory"), failure::getMessage);
    try (var inside = Files.list(taken)) {
      assertEquals(List.of(), inside.toList());
    }
  }

  @Test
  void toFileWritesThatFileWhateverItsName() throws Exception {
    // when a file is named like a directory would be
    Path file = dir.resolve("downloads");
    DownloadResult result = download(DownloadRequest.toFile(uri(), file).build()).completed();

    // then it is that file
    assertEquals(file.toAbsolutePath(), result.file().toAbsolutePath());
    assertFalse(Files.isDirectory(file));
    assertEquals(Sha256.of(CONTENT), Sha256.of(file));
    assertEquals(TargetKind.FILE, DownloadRequest.toFile(uri(), file).build().targetKind());
  }
}
