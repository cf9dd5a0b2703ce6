package io.rangefetch.server.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rangefetch.Limits;
import io.rangefetch.server.protocol.AddCommand;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How aria2's {@code addUri} options become an {@code add} of the server. */
class Aria2OptionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR = Path.of("/srv/downloads");
  private static final String URL = "http://127.0.0.1:9/a.iso";
  private final Aria2Options options = new Aria2Options(DIR,
      Limits.newBuilder().maxThreads(8).maxBytesPerThread(4 << 20).build());

  @Test
  void noOptions_everythingLeftToTheServer() {
    assertEquals(AddCommand.of(URL), options.add(URL, null));
  }

  @Test
  void splitAndConnectionsPerServer_theSmallerIsTheThreads() {
    assertEquals(3, add(Map.of("split", "5", "max-connection-per-server", "3")).threads());
    assertEquals(5, add(Map.of("split", "5")).threads());
    assertEquals(16, add(Map.of("max-connection-per-server", 16)).threads());
  }

  @Test
  void minSplitSize_sizesWithSuffixes() {
    assertEquals(1L << 20, add(Map.of("min-split-size", "1M")).chunkBytes());
    assertEquals(512L << 10, add(Map.of("min-split-size", "512K")).chunkBytes());
    assertEquals(1000L, add(Map.of("min-split-size", "1000")).chunkBytes());
  }

  @Test
  void outDirChecksumAndHeaders_mapped() throws Exception {
    String hex = "AB".repeat(32);
    AddCommand add = options.add(URL, JSON.readTree("""
        {"out": "a.iso", "dir": "%s/", "checksum": "SHA-256=%s", "max-download-limit": "0",
         "header": ["Cookie: a=b", "Accept-Language: ja"], "referer": "http://r/",
         "user-agent": "ui/1"}""".formatted(DIR, hex)));

    assertEquals("a.iso", add.fileName());
    assertEquals("ab".repeat(32), add.sha256());
    assertEquals(Map.of("Cookie", "a=b", "Accept-Language", "ja", "Referer", "http://r/",
        "User-Agent", "ui/1"), add.headers());
    assertEquals(List.of("Cookie", "Accept-Language", "Referer", "User-Agent"),
        List.copyOf(add.headers().keySet()));
    assertNull(add.threads());
  }

  @Test
  void split_zero() {
    RpcException e = assertThrows(RpcException.class, () -> add(Map.of("split", "0")));
    assertEquals(RpcException.FAILED, e.code());
    assertTrue(e.getMessage().contains("split must be at least 1, was 0"), e.getMessage());
  }

  @Test
  void minSplitSize_overflow() {
    RpcException e = assertThrows(RpcException.class,
        () -> add(Map.of("min-split-size", "999999999999999G")));
    assertEquals(RpcException.INVALID_PARAMS, e.code());
  }

  @Test
  void maxDownloadLimit_theDownloadsRateLimitAndZeroForNone() {
    assertEquals(10240L, add(Map.of("max-download-limit", "10K")).limitBps());
    assertEquals(4L << 20, add(Map.of("max-download-limit", "4M")).limitBps());
    assertNull(add(Map.of("max-download-limit", "0")).limitBps());
  }

  @Test
  void maxDownloadLimit_notASize() {
    RpcException e = assertThrows(RpcException.class,
        () -> add(Map.of("max-download-limit", "fast")));
    assertEquals(RpcException.INVALID_PARAMS, e.code());
    assertTrue(e.getMessage().contains("a size such as"), e.getMessage());
  }

  @Test
  void header_connection() {
    RpcException e = assertThrows(RpcException.class,
        () -> add(Map.of("header", "connection: close")));
    assertTrue(e.getMessage().contains("header connection is refused"), e.getMessage());
  }

  @Test
  void header_acceptEncoding_refusedByTheCore() {
    RpcException e = assertThrows(RpcException.class,
        () -> add(Map.of("header", "Accept-Encoding: gzip")));
    assertTrue(e.getMessage().contains("set by the downloader itself"), e.getMessage());
  }

  @Test
  void header_noColon() {
    assertThrows(RpcException.class, () -> add(Map.of("header", "Cookie")));
  }

  @Test
  void dir_relativeToTheDownloadDirectory() {
    assertNull(add(Map.of("dir", ".")).fileName());
    RpcException e = assertThrows(RpcException.class, () -> add(Map.of("dir", "..")));
    assertTrue(e.getMessage().contains("directory \"..\" contains \"..\""), e.getMessage());
  }

  @Test
  void globalOptions_theServersCaps() {
    JsonNode global = options.global(0);
    assertEquals("8", global.get("split").asText());
    assertEquals("4194304", global.get("min-split-size").asText());
    assertEquals(DIR.toString(), global.get("dir").asText());
    assertEquals("0", global.get("max-overall-download-limit").asText());
    assertEquals("4194304", options.global(4 << 20).get("max-overall-download-limit").asText());
  }

  private AddCommand add(Map<String, Object> values) {
    return options.add(URL, JSON.valueToTree(values));
  }
}
