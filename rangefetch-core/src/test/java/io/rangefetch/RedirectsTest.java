package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Redirects are followed once, bounded, over http(s) only; chunks go to the final URL. */
class RedirectsTest extends ServedFileTest {
  private static final byte[] CONTENT = SeededBytes.of(300 * 1024, 6);

  private RangeDispatcher files;
  private Path target;

  @BeforeEach
  void serveContent() {
    files = serve(CONTENT);
    target = dir.resolve("file.bin");
  }

  private URI uri(String path) {
    return server.url(path).uri();
  }

  private Outcome<DownloadResult> download(RangeDownloader.Builder builder, String path) {
    try (RangeDownloader downloader = builder.build()) {
      return Outcome.of(downloader.start(DownloadRequest.newBuilder(uri(path), target).build()));
    }
  }

  @Test
  void followsRedirectChainAndFetchesEveryChunkFromTheFinalUrl() throws Exception {
    // given /start -> /mid -> (absolute) /final/file.bin, through 302, 301 and 307
    files.redirect("/start", 302, "/mid")
        .redirect("/mid", 301, server.url("/hop").toString())
        .redirect("/hop", 307, "/final/file.bin");

    // when
    DownloadResult result = download(TestDownloaders.newBuilder(), "/start").completed();

    // then each hop was asked once, and every ranged request went to the final path
    assertEquals(1, files.exchangesTo("/start").size(), files.exchanges()::toString);
    assertEquals(1, files.exchangesTo("/mid").size(), files.exchanges()::toString);
    assertEquals(1, files.exchangesTo("/hop").size(), files.exchanges()::toString);
    List<Exchange> atFinal = files.exchangesTo("/final/file.bin");
    assertEquals(files.exchanges().size() - 3, atFinal.size(), files.exchanges()::toString);
    assertTrue(atFinal.size() > 1, "the file was fetched in chunks");
    assertEquals("/final/file.bin", result.finalUri().getPath());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void redirectLoopFailsWithRedirect() throws Exception {
    // given /a -> /b -> /a
    files.redirect("/a", 302, "/b").redirect("/b", 302, "/a");

    // when
    DownloadException failure = download(TestDownloaders.newBuilder(), "/a").failed();

    // then
    assertEquals(Reason.REDIRECT, failure.reason(), failure::getMessage);
    assertTrue(files.exchanges().size() <= 11, files.exchanges()::toString);
    assertDirectoryEmpty();
  }

  @Test
  void moreRedirectsThanMaxRedirectsFail() throws Exception {
    // given three hops before the file
    files.redirect("/r1", 302, "/r2").redirect("/r2", 302, "/r3").redirect("/r3", 302, "/file");

    // when only two are allowed
    DownloadException failure =
        download(TestDownloaders.newBuilder().maxRedirects(2), "/r1").failed();

    // then
    assertEquals(Reason.REDIRECT, failure.reason(), failure::getMessage);
    assertEquals(0, files.exchangesTo("/file").size(), files.exchanges()::toString);
    assertDirectoryEmpty();
  }

  @Test
  void exactlyMaxRedirectsAreFollowed() {
    // given three hops before the file
    files.redirect("/r1", 302, "/r2").redirect("/r2", 302, "/r3").redirect("/r3", 302, "/file");

    // when three are allowed
    download(TestDownloaders.newBuilder().maxRedirects(3), "/r1").completed();

    // then
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @ParameterizedTest(name = "to {0}")
  @ValueSource(strings = {"ftp://127.0.0.1/file.bin", "file:///etc/passwd",
      "jar:file:///tmp/x.jar!/file.bin"})
  void redirectToAnotherSchemeIsRefused(String location) throws Exception {
    // given
    files.redirect("/start", 302, location);

    // when
    DownloadException failure = download(TestDownloaders.newBuilder(), "/start").failed();

    // then
    assertEquals(Reason.REDIRECT, failure.reason(), failure::getMessage);
    assertEquals(1, files.exchanges().size(), files.exchanges()::toString);
    assertDirectoryEmpty();
  }
}
