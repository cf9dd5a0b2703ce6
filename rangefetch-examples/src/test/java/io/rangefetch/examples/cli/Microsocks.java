package io.rangefetch.examples.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real microsocks (SOCKS5 proxy from Debian) on a free loopback port, started by a test and
 * stopped by {@link #close()}; it logs each connection it makes ("connected to host:port"). A
 * missing program fails the test with what to install. (The modules share no test code: the
 * core's ProxyProcess, the CLI's and the server's Microsocks are copies of one another.)
 */
final class Microsocks implements AutoCloseable {
  private static final Duration START = Duration.ofSeconds(30);
  private static final Path PROGRAM = Path.of("/usr/bin/microsocks");
  private final Process process;
  private final Path log;
  private final int port;

  private Microsocks(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts it; with a non-empty {@code user}, it asks for that user and password. */
  static Microsocks start(Path dir, String user, String password) throws Exception {
    if (!Files.isExecutable(PROGRAM)) {
      throw new AssertionError("microsocks is not installed (" + PROGRAM + "); this test runs"
          + " a real one: run .ci/run, or apt-get install microsocks");
    }
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    List<String> command = new ArrayList<>(
        List.of(PROGRAM.toString(), "-i", "127.0.0.1", "-p", Integer.toString(port)));
    if (!user.isEmpty()) {
      command.addAll(List.of("-u", user, "-P", password));
    }
    Path log = dir.resolve("microsocks.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    Microsocks proxy = new Microsocks(process, log, port);
    long deadline = System.nanoTime() + START.toNanos();
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return proxy;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          proxy.close();
          throw new AssertionError("microsocks did not listen on port " + port + " within "
              + START + ": " + Files.readString(log));
        }
        // Waiting for the process to bind: the only signal is a connect that succeeds.
        process.waitFor(50, TimeUnit.MILLISECONDS);
      }
    }
  }

  int port() {
    return port;
  }

  /** Waits until the log contains {@code text} (it is written after the connection is made). */
  String awaitLog(String text) throws Exception {
    long deadline = System.nanoTime() + START.toNanos();
    String now = Files.readString(log, StandardCharsets.UTF_8);
    while (!now.contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("microsocks logged no \"" + text + "\":\n" + now);
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
      now = Files.readString(log, StandardCharsets.UTF_8);
    }
    return now;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
