package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one check of a download's URL, used by the library, the CLI and the server. */
class DownloadUrlsTest {
  @Test
  void parseTakesAnHttpUrlAndIgnoresSurroundingBlanks() {
    assertEquals(URI.create("https://example.org/a.iso"),
        DownloadUrls.parse("  https://example.org/a.iso\n"));
  }

  @Test
  void parseSaysWhereTheTextIsNotAUrl() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DownloadUrls.parse("http://exa mple.org/"));
    assertTrue(e.getMessage().contains("is not a URL") && e.getMessage().contains("index 7"),
        e.getMessage());
  }

  @Test
  void aUrlThatDoesNotParseIsQuotedWithoutItsPassword() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DownloadUrls.parse("https://user:s3cret@exa mple.org/a?b=c@d"));
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    assertTrue(e.getMessage().contains("exa mple.org/a?b=c@d"), e.getMessage());
    assertEquals(null, e.getCause(), "the cause would quote the text whole");
  }

  @Test
  void checkRefusesOtherSchemesRelativeUrlsAndMissingHostsWithoutShowingThePassword() {
    for (String url : List.of("ftp://user:secret@example.org/a", "/a.iso", "file:///etc/passwd",
        "http:///a.iso", "https://user:secret@/a")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> DownloadUrls.check(URI.create(url)), url);
      assertFalse(e.getMessage().contains("secret"), e.getMessage());
      assertTrue(e.getMessage().contains("https://host/path"), e.getMessage());
      assertFalse(DownloadUrls.isDownloadable(URI.create(url)), url);
    }
    assertTrue(DownloadUrls.isDownloadable(URI.create("HTTP://example.org/a")));
  }

  @Test
  void redactRemovesOnlyTheUserInfo() {
    assertEquals("https://example.org:8443/a%20b?x=1#f", DownloadUrls.redact(
        URI.create("https://user:p%40ss@example.org:8443/a%20b?x=1#f")).toString());
    assertEquals("http://[::1]:8080/a",
        DownloadUrls.redact(URI.create("http://u:p@[::1]:8080/a")).toString());
    // A host name that java.net.URI cannot parse as a server (an underscore): still redacted.
    assertEquals("http://my_host/a",
        DownloadUrls.redact(URI.create("http://u:secret@my_host/a")).toString());
    URI plain = URI.create("https://example.org/a");
    assertEquals(plain, DownloadUrls.redact(plain));
  }

  @Test
  void mirrorsMayNotRepeatNorBeTheDownloadsOwnUrl() {
    URI main = URI.create("https://a.example/f");
    URI mirror = URI.create("https://b.example/f");
    assertEquals(List.of(mirror), DownloadUrls.checkMirrors(main, List.of(mirror)));
    assertThrows(IllegalArgumentException.class,
        () -> DownloadUrls.checkMirrors(main, List.of(mirror, mirror)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DownloadUrls.checkMirrors(main, List.of(main)));
    assertTrue(e.getMessage().contains("given twice"), e.getMessage());
    // Without the download's URL (a running download's new one may not be taken yet): the old
    // URL may stay as a mirror.
    assertEquals(List.of(main, mirror), DownloadUrls.checkMirrors(null, List.of(main, mirror)));
  }
}
