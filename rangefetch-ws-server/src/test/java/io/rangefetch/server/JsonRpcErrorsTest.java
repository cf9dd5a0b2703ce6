package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad JSON, unknown methods, wrong types, a wrong secret and options the engine cannot honour
 * each answer a JSON-RPC error that says what was wrong, and change nothing: after every test
 * the list is empty, the origin saw no request and the download directory holds no file.
 */
class JsonRpcErrorsTest {
  private static final String SECRET = "errors-secret";
  private static final String UI_ORIGIN = "http://ui.example:6880";

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private Aria2RpcClient rpc;
  private String url;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    origin.file("/a.bin", 4096);
    url = origin.uri("/a.bin").toString();
    server = RunningServer.start(dir.resolve("downloads"), ServerConfig.newBuilder()
        .token(SECRET).allowedOrigins(List.of(UI_ORIGIN)).maxMessageBytes(4096)
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(64 * 1024).build()));
    rpc = Aria2RpcClient.connect(server, SECRET);
  }

  @AfterEach
  void nothingChanged() throws Exception {
    try {
      assertEquals(0, rpc.result("aria2.tellActive").size());
      assertEquals(0, rpc.result("aria2.tellWaiting", 0, 100).size());
      assertEquals(0, rpc.result("aria2.tellStopped", 0, 100).size());
      assertEquals(List.of(), origin.requests());
      try (Stream<Path> files = Files.list(dir.resolve("downloads"))) {
        assertEquals(List.of(), files.filter(f -> !f.getFileName().toString()
            .startsWith(".rangefetch-state")).toList());
      }
    } finally {
      rpc.close();
      server.close();
      origin.close();
    }
  }

  @Test
  void notJson_parseError() throws Exception {
    assertError(rpc.sendRaw("{\"method\": aria2.getVersion"), -32700, "Parse error");
    assertEquals("null", rpc.sendRaw("{oops").get("id").toString());
  }

  @Test
  void notARequest_invalidRequest() throws Exception {
    assertError(rpc.sendRaw("42"), -32600, "a request is a JSON object");
    assertError(rpc.sendRaw("[]"), -32600, "the batch is empty");
    assertError(rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"aria2.getVersion\"}"), -32600,
        "\"id\" is missing");
    JsonNode noMethod = rpc.sendRaw("{\"id\":\"m1\",\"method\":5}");
    assertError(noMethod, -32600, "\"method\" must be a string");
    assertEquals("m1", noMethod.get("id").asText());
  }

  @Test
  void namedParams_invalidParams() throws Exception {
    assertError(rpc.sendRaw("{\"id\":\"n1\",\"method\":\"aria2.addUri\",\"params\":{\"uris\":[\""
        + url + "\"]}}"), -32602, "must be an array");
  }

  @Test
  void unknownMethod_methodNotFound() throws Exception {
    assertError(rpc.call("aria2.addSomething", List.of(url)), -32601,
        "No such method: aria2.addSomething");
  }

  @Test
  void wrongTypes_invalidParams() throws Exception {
    assertError(rpc.call("aria2.addUri", url), -32602, "uris (parameter 1 after the secret) must"
        + " be an array of strings");
    assertError(rpc.call("aria2.addUri", List.of(url, 7)), -32602, "array of strings");
    assertError(rpc.call("aria2.addUri", List.of(url), "dir"), -32602, "options");
    assertError(rpc.call("aria2.tellWaiting", "0", 10), -32602, "offset");
    assertError(rpc.call("aria2.tellActive", "gid"), -32602, "keys");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("split", "many")), -32602,
        "option split must be a whole number");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("split", true)), -32602,
        "option split");
    assertError(rpc.call("aria2.getVersion", 1), -32602, "at most 0 parameters");
  }

  @Test
  void unknownGid_failed() throws Exception {
    assertError(rpc.call("aria2.tellStatus", "not-a-gid"), 1, "Invalid GID not-a-gid");
    assertError(rpc.call("aria2.pause", "00000000000000ff"), 1,
        "GID 00000000000000ff is not found");
    assertError(rpc.call("aria2.removeDownloadResult", "ff"), 1, "GID ff is not found");
  }

  @Test
  void optionsTheEngineCannotHonour_failedAndSayWhy() throws Exception {
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("max-download-limit", "1 MB/s")),
        -32602, "option max-download-limit must be a size such as");
    assertError(rpc.call("aria2.addUri", List.of(url, "ftp://example.org/a.bin")), 1,
        "ftp://example.org/a.bin");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("checksum", "md5=0123")), 1,
        "SHA-256 only");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("checksum", "sha-256=abc")), 1,
        "must be 64 hex digits");
    assertError(rpc.call("aria2.changeGlobalOption", Map.of("max-download-limit", "100K")), 1,
        "no default limit for each new download");
    assertError(rpc.call("aria2.addTorrent", "ZDg6YW5ub3VuY2U="), 1, "BitTorrent is not supported");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of(), -1), 1, "0 or more");
    assertEquals("OK", rpc.result("aria2.changeGlobalOption",
        Map.of("max-overall-download-limit", "0")).asText());
  }

  @Test
  void unsafeOptions_failed() throws Exception {
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("header", List.of("Host: evil"))),
        1, "header Host is refused");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("header", "Range: bytes=0-")), 1,
        "header Range is refused");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("header", "X-Bad\u0001: v")), 1,
        "not a valid HTTP token");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("dir", "/etc")), 1,
        "option dir: directory \"/etc\" is outside the download directory");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("dir", "../downloads/sub")), 1,
        "contains \"..\"");
    assertError(rpc.call("aria2.addUri", List.of(url), Map.of("out", "../escape.bin")), 1,
        "fileName \"../escape.bin\"");
    assertError(rpc.call("aria2.addUri", List.of("ftp://127.0.0.1/a.bin")), 1, "http");
  }

  @Test
  void wrongOrMissingSecret_unauthorized() throws Exception {
    JsonNode wrong = rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"aria2.addUri\","
        + "\"params\":[\"token:guess\",[\"" + url + "\"]]}");
    assertError(wrong, 1, "Unauthorized");
    assertTrue(wrong.get("error").get("data").asText().contains("\"token:SECRET\""));
    assertError(rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"s2\",\"method\":\"aria2.addUri\","
        + "\"params\":[[\"" + url + "\"]]}"), 1, "Unauthorized");
    JsonNode listed = rpc.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"s3\","
        + "\"method\":\"system.listMethods\"}");
    assertTrue(listed.get("result").toString().contains("aria2.addUri"), listed.toString());
  }

  @Test
  void shutdownWithoutTheSetting_refused() throws Exception {
    assertError(rpc.call("aria2.shutdown"), 1, "set rpc.allow-shutdown=true");
    assertError(rpc.call("aria2.forceShutdown"), 1, "set rpc.allow-shutdown=true");
    assertEquals(200, server.get("/healthz").statusCode());
  }

  @Test
  void batchAndMulticall_answerEachCallOnItsOwn() throws Exception {
    rpc.socket().send("[{\"jsonrpc\":\"2.0\",\"id\":\"b1\",\"method\":"
        + "\"aria2.getVersion\",\"params\":[\"token:" + SECRET + "\"]},{\"id\":\"b2\"},7]");
    JsonNode batch = rpc.socket().nextJson();
    assertEquals(3, batch.size());
    assertEquals("b1", batch.get(0).get("id").asText());
    assertTrue(batch.get(0).get("result").has("version"));
    assertError(batch.get(1), -32600, "\"method\" must be a string");
    assertError(batch.get(2), -32600, "a request is a JSON object");
    JsonNode multi = rpc.send(rpc.requestWithoutSecret("system.multicall", List.of(
        Map.of("methodName", "system.multicall", "params", List.of()),
        Map.of("methodName", "aria2.getGlobalStat", "params", List.of("token:guess")),
        Map.of("methodName", "aria2.getGlobalStat", "params", List.of("token:" + SECRET)))));
    JsonNode results = multi.get("result");
    assertEquals(1, results.get(0).get("code").asInt());
    assertEquals("Recursive system.multicall forbidden.", results.get(0).get("message").asText());
    assertEquals("Unauthorized", results.get(1).get("message").asText());
    assertEquals("0", results.get(2).get(0).get("numActive").asText());
  }

  @Test
  void http_statusesAsAria2AndOriginChecks() throws Exception {
    HttpResponse<String> bad = rpc.post("{oops", "Content-Type", "application/json");
    assertEquals(500, bad.statusCode());
    assertError(Aria2RpcClient.json(bad.body()), -32700, "Parse error");
    HttpResponse<String> unknown = rpc.post(rpc.request("aria2.nope").toString());
    assertEquals(404, unknown.statusCode());
    HttpResponse<String> unauthorized = rpc.post(rpc.request("aria2.getGlobalStat").toString()
        .replace(SECRET, "guess"));
    assertEquals(400, unauthorized.statusCode());
    assertError(Aria2RpcClient.json(unauthorized.body()), 1, "Unauthorized");
    HttpResponse<String> ok = rpc.post(rpc.request("aria2.getGlobalStat").toString(),
        "Origin", UI_ORIGIN);
    assertEquals(200, ok.statusCode());
    assertEquals(UI_ORIGIN, ok.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals(403, rpc.post(rpc.request("aria2.getGlobalStat").toString(),
        "Origin", "http://evil.example").statusCode());
    assertEquals(413, rpc.post("[" + "1,".repeat(4000) + "1]").statusCode());
    assertEquals(405, server.get("/jsonrpc").statusCode());
    HttpResponse<byte[]> preflight = server.get("/jsonrpc", "Origin", UI_ORIGIN);
    assertEquals(405, preflight.statusCode());
  }

  @Test
  void webSocket_foreignOriginRefusedAndLargeMessageClosed() throws Exception {
    URI ws = URI.create("ws://127.0.0.1:" + server.port() + "/jsonrpc");
    Exception refused = assertThrows(Exception.class,
        () -> ProtocolClient.connect(ws, Map.of("Origin", "http://evil.example")));
    Throwable cause = refused;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    assertTrue(String.valueOf(cause.getMessage()).contains("403"), cause.toString());

    rpc.socket().send("[\"" + "x".repeat(5000) + "\"]");
    assertError(rpc.socket().nextJson(), -32600, "more than the 4096 accepted");
    assertEquals(1009, rpc.socket().awaitClose().code());
    rpc = Aria2RpcClient.connect(server, SECRET);
  }

  private static void assertError(JsonNode response, int code, String messagePart) {
    JsonNode error = response.get("error");
    assertTrue(error != null && !response.has("result"), "expected an error: " + response);
    assertEquals(code, error.get("code").asInt(), response.toString());
    if (messagePart != null) {
      assertTrue(error.get("message").asText().contains(messagePart),
          "\"" + messagePart + "\" not in: " + error.get("message").asText());
    }
  }
}
