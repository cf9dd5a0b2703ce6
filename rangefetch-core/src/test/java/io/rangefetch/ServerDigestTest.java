package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Digests of the whole file that the server sends ({@code Repr-Digest}, {@code Digest},
 * {@code Content-MD5}) are checked before the file gets its name: a wrong one fails the download
 * with CHECKSUM_MISMATCH and leaves nothing on disk.
 */
@Timeout(120)
class ServerDigestTest {
  // Several chunks of 64 KiB: the digest is computed as the file grows, out of order.
  private static final byte[] CONTENT = SeededBytes.of(400 * 1024 + 5, 21);
  private static final byte[] OTHER = SeededBytes.of(1000, 22);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;

  private static String base64(String algorithm, byte[] bytes) throws Exception {
    return Base64.getEncoder().encodeToString(MessageDigest.getInstance(algorithm).digest(bytes));
  }

  private RangeDispatcher serve() {
    RangeDispatcher files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
    return files;
  }

  private URI uri() {
    return server.url("/file.bin").uri();
  }

  private Outcome<DownloadResult> download(DownloadRequest.Builder request) {
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      return Outcome.of(downloader.start(request.build()));
    }
  }

  private List<Path> filesLeft() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  @Test
  void reprDigest_matching_completes() throws Exception {
    serve().extraHeader("Repr-Digest", "sha-512=:" + base64("SHA-512", CONTENT)
        + ":, sha-256=:" + base64("SHA-256", CONTENT) + ":");

    DownloadResult result = download(DownloadRequest.newBuilder(uri(), dir)).completed();

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
  }

  @Test
  void reprDigest_wrong_failsAndRemovesTheData_evenWithoutComputeSha256() throws Exception {
    serve().extraHeader("Repr-Digest", "sha-256=:" + base64("SHA-256", OTHER) + ":");

    DownloadException e = download(DownloadRequest.newBuilder(uri(), dir).computeSha256(false))
        .failed();

    assertEquals(DownloadException.Reason.CHECKSUM_MISMATCH, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("the server's Repr-Digest says "
        + Sha256.of(OTHER)), e.getMessage());
    assertEquals(List.of(), filesLeft());
  }

  @Test
  void reprDigest_sha512Only_isChecked() throws Exception {
    serve().extraHeader("Repr-Digest", "sha-512=:" + base64("SHA-512", OTHER) + ":");

    DownloadException e = download(DownloadRequest.newBuilder(uri(), dir)).failed();

    assertEquals(DownloadException.Reason.CHECKSUM_MISMATCH, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("SHA-512"), e.getMessage());
    assertEquals(List.of(), filesLeft());
  }

  @Test
  void rfc3230Digest_sha256Matching_completes() throws Exception {
    serve().extraHeader("Digest", "SHA-256=" + base64("SHA-256", CONTENT));

    DownloadResult result = download(DownloadRequest.newBuilder(uri(), dir)).completed();

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
  }

  @Test
  void rfc3230Digest_md5Wrong_fails() throws Exception {
    serve().extraHeader("Digest", "MD5=" + base64("MD5", OTHER));

    DownloadException e = download(DownloadRequest.newBuilder(uri(), dir)).failed();

    assertEquals(DownloadException.Reason.CHECKSUM_MISMATCH, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("the downloaded file has MD5 "), e.getMessage());
    assertEquals(List.of(), filesLeft());
  }

  @Test
  void contentMd5_onAWholeBody_isChecked() throws Exception {
    serve().ignoreRange().extraHeader("Content-MD5", base64("MD5", OTHER));

    DownloadException e = download(DownloadRequest.newBuilder(uri(), dir)).failed();

    assertEquals(DownloadException.Reason.CHECKSUM_MISMATCH, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains("Content-MD5"), e.getMessage());
    assertEquals(List.of(), filesLeft());
  }

  @Test
  void contentMd5_onAWholeBody_matching_completes() throws Exception {
    serve().ignoreRange().extraHeader("Content-MD5", base64("MD5", CONTENT));

    DownloadResult result = download(DownloadRequest.newBuilder(uri(), dir)).completed();

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
  }

  @Test
  void contentMd5_onA206_coversOnlyThatPartAndIsNotHeldAgainstTheFile() throws Exception {
    // The MD5 of the first chunk, as a server sends it with that chunk: not the file's.
    serve().extraHeader("Content-MD5", base64("MD5", java.util.Arrays.copyOf(CONTENT, 65536)));

    DownloadResult result = download(DownloadRequest.newBuilder(uri(), dir)).completed();

    assertEquals(Sha256.of(CONTENT), Sha256.of(result.file()));
  }
}
