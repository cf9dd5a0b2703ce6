package io.rangefetch.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JSON-RPC client of {@code /jsonrpc} as an aria2 web UI is one: calls over a real WebSocket
 * with the secret as the first parameter, notifications queued with the replies, and plain
 * {@code POST}s. Not thread-safe.
 */
final class Aria2RpcClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(30)).build();

  private final ProtocolClient socket;
  private final URI http;
  private final String secret;
  private final AtomicInteger ids = new AtomicInteger();

  private Aria2RpcClient(ProtocolClient socket, URI http, String secret) {
    this.socket = socket;
    this.http = http;
    this.secret = secret;
  }

  static Aria2RpcClient connect(RunningServer server, String secret) throws Exception {
    return new Aria2RpcClient(
        ProtocolClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/jsonrpc")),
        server.http("/jsonrpc"), secret);
  }

  /** A request object with the secret first; {@code params} are plain values, lists, maps. */
  ObjectNode request(String method, Object... params) {
    ObjectNode request = requestWithoutSecret(method, params);
    ((ArrayNode) request.get("params")).insert(0, "token:" + secret);
    return request;
  }

  /** A request object without the secret (for {@code system.multicall}, whose calls carry it). */
  ObjectNode requestWithoutSecret(String method, Object... params) {
    ObjectNode request = JSON.createObjectNode();
    request.put("jsonrpc", "2.0");
    request.put("id", "c" + ids.incrementAndGet());
    request.put("method", method);
    ArrayNode array = request.putArray("params");
    for (Object p : params) {
      array.add(JSON.valueToTree(p));
    }
    return request;
  }

  /** Calls over the WebSocket; returns the whole response ({@code result} or {@code error}). */
  JsonNode call(String method, Object... params) throws Exception {
    return send(request(method, params));
  }

  /** Calls over the WebSocket and returns {@code result}; fails on an error. */
  JsonNode result(String method, Object... params) throws Exception {
    JsonNode response = call(method, params);
    if (!response.has("result")) {
      throw new AssertionError(method + " failed: " + response);
    }
    return response.get("result");
  }

  /** Sends one request object over the WebSocket and waits for the response with its id. */
  JsonNode send(ObjectNode request) throws Exception {
    socket.send(JSON.writeValueAsString(request));
    String id = request.get("id").asText();
    return socket.awaitJson(node -> !node.has("method") && id.equals(node.path("id").asText()),
        "the response to " + request);
  }

  /** Sends raw text and waits for the next response (a frame without {@code method}). */
  JsonNode sendRaw(String text) throws Exception {
    socket.send(text);
    return socket.awaitJson(node -> !node.has("method"), "the response to " + text);
  }

  /** Waits for the notification {@code method} about {@code gid}. */
  JsonNode awaitNotification(String method, String gid) throws Exception {
    return socket.awaitJson(node -> method.equals(node.path("method").asText())
        && gid.equals(node.path("params").path(0).path("gid").asText()),
        method + " for " + gid);
  }

  /** POSTs {@code body} to {@code /jsonrpc}. */
  HttpResponse<String> post(String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(http)
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  ProtocolClient socket() {
    return socket;
  }

  @Override
  public void close() {
    socket.close();
  }
}
