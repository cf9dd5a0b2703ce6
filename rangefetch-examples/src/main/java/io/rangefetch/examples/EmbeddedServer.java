package io.rangefetch.examples;

import io.rangefetch.Limits;
import io.rangefetch.server.RangefetchServer;
import io.rangefetch.server.ServerConfig;
import java.nio.file.Path;

/**
 * Starts the rangefetch WebSocket server inside this program, on a free port, and runs it until
 * Ctrl+C. Connect with {@code python3 -m websockets ws://127.0.0.1:PORT/} and send a URL.
 */
public final class EmbeddedServer {
  private EmbeddedServer() {}

  /**
   * Starts the server.
   *
   * @param args ignored
   * @throws Exception if the server cannot start
   */
  public static void main(String[] args) throws Exception {
    ServerConfig config = ServerConfig.newBuilder()
        .port(0)
        .downloadDir(Path.of("downloads"))
        .limits(Limits.newBuilder().maxThreads(4).maxConcurrentDownloads(2).build())
        .build();
    RangefetchServer server = RangefetchServer.create(config);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    server.start();
    System.out.println(server.uri());
    server.join();
  }
}
