package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.ProxyProcess;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.SelfSignedTls;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Downloads through real proxies started by the test: tinyproxy (HTTP) and microsocks (SOCKS5),
 * each checked to have carried the traffic, from its log or from what the origin received.
 */
@Timeout(180)
class ProxyTest {
  private static final byte[] CONTENT = SeededBytes.of(300 * 1024 + 17, 14);

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;

  private RangeDispatcher serve() {
    RangeDispatcher files = new RangeDispatcher(CONTENT);
    server.setDispatcher(files);
    return files;
  }

  /** The file's URL with {@code host} as its host name. */
  private URI uri(String host) {
    return URI.create("http://" + host + ":" + server.getPort() + "/file.bin");
  }

  @Test
  void httpProxyWithBasicAuth_carriesEveryRequest() throws Exception {
    RangeDispatcher files = serve();
    try (ProxyProcess proxy = ProxyProcess.tinyproxy(dir, "bob", "s3cret");
        RangeDownloader downloader = TestDownloaders.newBuilder()
            .proxy(URI.create("http://bob:s3cret@127.0.0.1:" + proxy.port())).build()) {
      Path target = dir.resolve("file.bin");

      DownloadResult result = Outcome.of(downloader.start(
          DownloadRequest.newBuilder(uri("127.0.0.1"), target).build())).completed();

      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      assertEquals(Sha256.of(CONTENT), result.sha256());
      assertTrue(files.exchanges().size() >= 5, "300 KiB in 64 KiB chunks");
      // tinyproxy adds Via to each request it forwards: none came around it.
      files.exchanges().forEach(e -> assertTrue(e.header("Via").contains("tinyproxy"),
          e.header("Via")));
      proxy.awaitLog("GET " + uri("127.0.0.1") + " HTTP/1.1");
    }
  }

  @Test
  void httpProxyWithoutAuth_carriesTheDownload() throws Exception {
    RangeDispatcher files = serve();
    try (ProxyProcess proxy = ProxyProcess.tinyproxy(dir, "", "");
        RangeDownloader downloader = TestDownloaders.newBuilder()
            .proxy(URI.create("http://127.0.0.1:" + proxy.port())).build()) {
      Path target = dir.resolve("file.bin");

      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri("127.0.0.1"), target).build()))
          .completed();

      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      files.exchanges().forEach(e -> {
        assertTrue(e.header("Via").contains("tinyproxy"), e.toString());
        assertEquals("", e.header("Proxy-Authorization"), e.toString());
      });
      proxy.awaitLog("GET " + uri("127.0.0.1") + " HTTP/1.1");
    }
  }

  @Test
  void httpsThroughAnHttpProxy_goesThroughAConnectTunnelWithTheProxysCredentials()
      throws Exception {
    SelfSignedTls tls = SelfSignedTls.create(dir);
    server.useHttps(tls.serverContext().getSocketFactory());
    RangeDispatcher files = serve();
    try (ProxyProcess proxy = ProxyProcess.tinyproxy(dir, "bob", "s3cret");
        RangeDownloader downloader = TestDownloaders.newBuilder()
            .sslContext(tls.clientContext())
            .proxy(URI.create("http://bob:s3cret@127.0.0.1:" + proxy.port())).build()) {
      Path target = dir.resolve("file.bin");
      URI https = URI.create("https://127.0.0.1:" + server.getPort() + "/file.bin");

      Outcome.of(downloader.start(DownloadRequest.newBuilder(https, target).build())).completed();

      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      proxy.awaitLog("CONNECT 127.0.0.1:" + server.getPort() + " HTTP/1.1");
      // Inside the tunnel the proxy sees nothing to mark, and its password is not sent on.
      assertTrue(files.exchanges().size() >= 5);
      files.exchanges().forEach(e -> {
        assertEquals("", e.header("Via"), e.toString());
        assertEquals("", e.header("Proxy-Authorization"), e.toString());
      });
    }
  }

  @Test
  void httpProxyAskingForCredentials_withoutThem_failsSayingWhereToPutThem() throws Exception {
    serve();
    try (ProxyProcess proxy = ProxyProcess.tinyproxy(dir, "bob", "s3cret");
        RangeDownloader downloader = TestDownloaders.newBuilder()
            .proxy(URI.create("http://127.0.0.1:" + proxy.port())).build()) {

      DownloadException e = Outcome.of(downloader.start(
          DownloadRequest.newBuilder(uri("127.0.0.1"), dir).build())).failed();

      assertEquals(DownloadException.Reason.HTTP_STATUS, e.reason());
      assertTrue(e.getMessage().contains("407") && e.getMessage().contains("proxy URL"),
          e.getMessage());
    }
  }

  @Test
  void httpProxy_wrongPassword_failsWithoutShowingIt() throws Exception {
    RangeDispatcher files = serve();
    try (ProxyProcess proxy = ProxyProcess.tinyproxy(dir, "bob", "s3cret");
        RangeDownloader downloader = TestDownloaders.newBuilder()
            .proxy(URI.create("http://bob:wrong-pass@127.0.0.1:" + proxy.port())).build()) {

      DownloadException e = Outcome.of(downloader.start(
          DownloadRequest.newBuilder(uri("127.0.0.1"), dir).build())).failed();

      // tinyproxy answers a wrong password with 401 (and none with 407), as curl shows too.
      assertEquals(DownloadException.Reason.HTTP_STATUS, e.reason());
      assertTrue(e.getMessage().contains("returned 401"), e.getMessage());
      assertFalse(e.getMessage().contains("wrong-pass"), e.getMessage());
      assertEquals(0, files.exchanges().size(), "nothing reached the origin");
    }
  }

  @Test
  void socks5h_sendsTheNameForTheProxyToResolve() throws Exception {
    serve();
    try (ProxyProcess proxy = ProxyProcess.microsocks(dir, "alice", "pw");
        // Loopback is refused here: only a name resolved by the proxy can reach the origin.
        RangeDownloader downloader = TestDownloaders.newBuilder()
            .addressFilter(address -> !address.isLoopbackAddress())
            .proxy(URI.create("socks5h://alice:pw@127.0.0.1:" + proxy.port())).build()) {
      Path target = dir.resolve("file.bin");

      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri("localhost"), target).build()))
          .completed();

      assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      String log = proxy.awaitLog("connected to localhost:" + server.getPort());
      assertFalse(log.contains("connected to 127.0.0.1"), log);
    }
  }

  @Test
  void socks5_resolvesHereAndTheAddressFilterStillApplies() throws Exception {
    serve();
    try (ProxyProcess proxy = ProxyProcess.microsocks(dir, "alice", "pw")) {
      URI socks = URI.create("socks5://alice:pw@127.0.0.1:" + proxy.port());
      try (RangeDownloader refusing = TestDownloaders.newBuilder()
          .addressFilter(address -> !address.isLoopbackAddress()).proxy(socks).build()) {
        DownloadException e = Outcome.of(refusing.start(
            DownloadRequest.newBuilder(uri("localhost"), dir).build())).failed();
        assertEquals(DownloadException.Reason.ADDRESS_REFUSED, e.reason(), e.getMessage());
      }
      try (RangeDownloader downloader = TestDownloaders.newBuilder().proxy(socks).build()) {
        Path target = dir.resolve("file.bin");
        Outcome.of(downloader.start(DownloadRequest.newBuilder(uri("localhost"), target)
            .build())).completed();
        assertEquals(Sha256.of(CONTENT), Sha256.of(target));
      }
      String log = proxy.awaitLog("connected to 127.0.0.1:" + server.getPort());
      assertFalse(log.contains("connected to localhost"), log);
    }
  }

  @Test
  void socks5_wrongPassword_failsSayingSo() throws Exception {
    RangeDispatcher files = serve();
    try (ProxyProcess proxy = ProxyProcess.microsocks(dir, "alice", "pw");
        RangeDownloader downloader = TestDownloaders.newBuilder()
            .proxy(URI.create("socks5h://alice:not-it@127.0.0.1:" + proxy.port())).build()) {

      DownloadException e = Outcome.of(downloader.start(
          DownloadRequest.newBuilder(uri("localhost"), dir).build())).failed();

      assertTrue(e.getMessage().contains("refused the user name and password"), e.getMessage());
      assertFalse(e.getMessage().contains("not-it"), e.getMessage());
      assertEquals(0, files.exchanges().size());
    }
  }

  @Test
  void aDownloadsOwnProxy_carriesThatDownloadOnly() throws Exception {
    serve();
    try (ProxyProcess proxy = ProxyProcess.microsocks(dir, "", "");
        RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Path proxied = Files.createDirectory(dir.resolve("proxied"));
      Path direct = Files.createDirectory(dir.resolve("direct"));

      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri("localhost"), proxied)
          .proxy(URI.create("socks5h://127.0.0.1:" + proxy.port())).build())).completed();
      Outcome.of(downloader.start(DownloadRequest.newBuilder(uri("127.0.0.1"), direct)
          .build())).completed();

      assertEquals(Sha256.of(CONTENT), Sha256.of(proxied.resolve("file.bin")));
      assertEquals(Sha256.of(CONTENT), Sha256.of(direct.resolve("file.bin")));
      String log = proxy.awaitLog("connected to localhost:" + server.getPort());
      assertFalse(log.contains("connected to 127.0.0.1"), "the direct download went around: "
          + log);
    }
  }
}
