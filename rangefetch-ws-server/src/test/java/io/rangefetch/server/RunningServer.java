package io.rangefetch.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** A real {@link RangefetchServer} on a free port, for tests. Thread-safe. */
final class RunningServer implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(30)).build();

  private final RangefetchServer server;

  private RunningServer(RangefetchServer server) {
    this.server = server;
  }

  /** Starts a server on port 0 in {@code dir} with the settings of {@code config}. */
  static RunningServer start(Path dir, ServerConfig.Builder config) throws Exception {
    RangefetchServer server = RangefetchServer.create(config.port(0).downloadDir(dir).build());
    server.start();
    return new RunningServer(server);
  }

  static RunningServer start(Path dir) throws Exception {
    return start(dir, ServerConfig.newBuilder());
  }

  int port() {
    return server.port();
  }

  URI api() {
    return URI.create("ws://127.0.0.1:" + port() + "/ws");
  }

  URI console() {
    return URI.create("ws://127.0.0.1:" + port() + "/");
  }

  URI http(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(http(path)).timeout(Duration.ofSeconds(60));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  ProtocolClient connectApi() throws Exception {
    ProtocolClient client = ProtocolClient.connect(api());
    client.assertHello();
    client.await("list");
    return client;
  }

  /**
   * Waits, on a new session, until download {@code id} is in {@code state}: in the first list if
   * it got there before the session opened, else in a push.
   */
  JsonNode awaitState(String id, String state) throws Exception {
    try (ProtocolClient watcher = ProtocolClient.connect(api())) {
      watcher.assertHello();
      for (JsonNode download : watcher.await("list").get("downloads")) {
        if (download.get("id").asText().equals(id)
            && download.get("state").asText().equals(state)) {
          return download;
        }
      }
      return watcher.awaitState(id, state);
    }
  }

  /** Waits until the server has been closed, by a test or by itself. */
  void join() throws InterruptedException {
    server.join();
  }

  @Override
  public void close() {
    server.close();
  }
}
