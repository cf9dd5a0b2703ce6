package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.ProxyProcess;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's {@code proxy} setting carries every download, through a real microsocks. */
class ProxyConfigTest {
  @TempDir Path dir;
  @TempDir Path proxyDir;

  @Test
  void configuredProxy_carriesTheDownloads_andItsPasswordStaysOutOfTheStatus() throws Exception {
    try (TestOrigin origin = new TestOrigin();
        ProxyProcess proxy = ProxyProcess.microsocks(proxyDir, "srv", "pw-4417");
        RunningServer server = RunningServer.start(dir, ServerConfig.newBuilder()
            .proxy(URI.create("socks5h://srv:pw-4417@127.0.0.1:" + proxy.port())));
        ProtocolClient client = server.connectApi()) {
      byte[] content = origin.file("/p.bin", 256 * 1024);
      // A name, so that the log shows the proxy resolved it: "localhost", not 127.0.0.1.
      String url = "http://localhost:" + origin.uri("/p.bin").getPort() + "/p.bin";

      String id = client.request("r", "{\"op\":\"add\",\"url\":\"" + url + "\"}")
          .get("download").get("id").asText();
      JsonNode done = client.awaitState(id, "completed");

      assertEquals(Sha256.of(content), done.get("sha256").asText());
      proxy.awaitLog("connected to localhost:" + origin.uri("/p.bin").getPort());
      client.history().forEach(frame -> assertFalse(frame.contains("pw-4417"), frame));
    }
  }
}
